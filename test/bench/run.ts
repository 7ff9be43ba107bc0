/**
 * Runs named benchmarks: `npm run bench -- messages [flags]`; with no name, every bench in turn
 * (each with its default settings). Flags after the name belong to that bench.
 */
type Bench = (argv: string[]) => Promise<void>;

const benches: Record<string, () => Promise<Bench>> = {
  messages: async () => (await import('./messages')).runMessagesBench,
  widgets: async () => (await import('./widget-size')).runWidgetSizeBench,
  overlay: async () => (await import('./overlay')).runOverlayBench,
  fanout: async () => (await import('./fanout')).fanoutBench,
  static: async () => (await import('./static')).runStaticBench,
};

async function main() {
  const args = process.argv.slice(2);
  const names: string[] = [];
  while (args[0] && !args[0].startsWith('-')) names.push(...args.shift()!.split(','));
  const unknown = names.filter((n) => !benches[n]);
  if (unknown.length) {
    console.error(
      `Unknown bench ${unknown.join(', ')}. Available: ${Object.keys(benches).join(', ')}.\n` +
        'Usage: npm run bench -- [name[,name…]] [flags for that bench]',
    );
    process.exit(2);
  }
  const selected = names.length ? names : Object.keys(benches);
  if (!names.length && args.length) {
    console.error('Flags need a bench name first, e.g. npm run bench -- messages --users 64');
    process.exit(2);
  }
  for (const name of selected) {
    if (selected.length > 1) console.log(`\n=== bench: ${name} ===`);
    await (await benches[name]!())(args);
  }
}

main().then(
  () => {
    // Every bench closes what it opened; exit anyway in case a library keeps a handle.
    setTimeout(() => process.exit(process.exitCode ?? 0), 500).unref();
  },
  (error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
