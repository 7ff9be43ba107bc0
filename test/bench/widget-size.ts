/**
 * Widget size bench: the gzip bytes a page downloads to show one `<kith-shop-button>` (the
 * kith.js entry plus the chunks it imports for that element, each gzipped on its own as it is
 * served) next to Shopify's Buy Button (`@shopify/buy-button-js`, its minified bundle gzipped
 * the same way), measured in the same run, with the ratio.
 *
 *   npm run bench -- widgets
 *
 * Figures go to bench-results/widget-size.json. The budget test
 * (test/integration/widget-size.test.ts) fails the build above BUDGET_BYTES.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { constants, gzipSync } from 'node:zlib';
import { buildWidgets, repoRoot } from '../../widgets/build';

/** The budget for one shop button, 8 KB gzip: the size test fails the build above it. */
export const BUDGET_BYTES = 8 * 1024;

const gzip = (bytes: Buffer) => gzipSync(bytes, { level: constants.Z_BEST_COMPRESSION }).length;

export interface FileSize {
  file: string;
  raw: number;
  gzip: number;
}

export interface WidgetSizes {
  kith: { files: FileSize[]; raw: number; gzip: number };
  shopify: FileSize & { version: string };
  ratio: number;
}

/** Builds the widgets into a scratch folder and sums what one shop button loads. */
export async function measureShopButton(): Promise<WidgetSizes['kith']> {
  const outDir = await mkdtemp(path.join(os.tmpdir(), 'kith-widgets-'));
  try {
    const { metafile } = await buildWidgets(outDir);
    const outputs = metafile.outputs;
    const byName = (name: string) => Object.keys(outputs).find((f) => path.basename(f) === name);
    const entry = byName('kith.js');
    const element = Object.keys(outputs).find((f) =>
      outputs[f]!.entryPoint?.endsWith('widgets/kith-shop-button.ts'),
    );
    if (!entry || !element) throw new Error('the widget build has no kith.js or shop button chunk');
    // The entry, the element's chunk and everything it imports statically, once each.
    const load = new Set<string>([entry]);
    const visit = (file: string) => {
      if (load.has(file) && file !== entry) return;
      load.add(file);
      for (const imp of outputs[file]!.imports)
        if (imp.kind === 'import-statement') visit(imp.path);
    };
    visit(element);
    const files: FileSize[] = [];
    for (const file of load) {
      const bytes = await readFile(file);
      files.push({ file: path.basename(file), raw: bytes.length, gzip: gzip(bytes) });
    }
    return {
      files,
      raw: files.reduce((n, f) => n + f.raw, 0),
      gzip: files.reduce((n, f) => n + f.gzip, 0),
    };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

export async function measureShopify(): Promise<WidgetSizes['shopify']> {
  const require = createRequire(path.join(repoRoot, 'package.json'));
  const pkgFile = require.resolve('@shopify/buy-button-js/package.json');
  const pkg = JSON.parse(await readFile(pkgFile, 'utf8')) as { version: string };
  const file = path.join(path.dirname(pkgFile), 'dist/buybutton.min.js');
  const bytes = await readFile(file);
  return { file: 'buybutton.min.js', version: pkg.version, raw: bytes.length, gzip: gzip(bytes) };
}

export async function measureWidgets(): Promise<WidgetSizes> {
  const [kith, shopify] = await Promise.all([measureShopButton(), measureShopify()]);
  return { kith, shopify, ratio: shopify.gzip / kith.gzip };
}

const kb = (n: number) => `${(n / 1024).toFixed(2)} KB`;

export async function runWidgetSizeBench(_argv: string[] = []): Promise<void> {
  const sizes = await measureWidgets();
  console.log('What a page loads for one shop button (gzip -9 per file, as served):\n');
  for (const f of sizes.kith.files)
    console.log(
      `  ${f.file.padEnd(34)} ${String(f.raw).padStart(7)} B  ${String(f.gzip).padStart(6)} B gz`,
    );
  console.log(
    `  ${'Kith <kith-shop-button> total'.padEnd(34)} ${String(sizes.kith.raw).padStart(7)} B  ${String(sizes.kith.gzip).padStart(6)} B gz  (${kb(sizes.kith.gzip)})`,
  );
  console.log(
    `  ${`Shopify Buy Button ${sizes.shopify.version}`.padEnd(34)} ${String(sizes.shopify.raw).padStart(7)} B  ${String(sizes.shopify.gzip).padStart(6)} B gz  (${kb(sizes.shopify.gzip)}, ${sizes.shopify.file} only)`,
  );
  console.log(
    `\n  Shopify / Kith: ${sizes.ratio.toFixed(1)}× · budget ${kb(BUDGET_BYTES)}: ${sizes.kith.gzip <= BUDGET_BYTES ? 'PASS' : 'FAIL (over budget)'}`,
  );
  await mkdir(path.join(repoRoot, 'bench-results'), { recursive: true });
  await writeFile(
    path.join(repoRoot, 'bench-results/widget-size.json'),
    `${JSON.stringify({ measuredAt: new Date().toISOString(), budgetBytes: BUDGET_BYTES, ...sizes }, null, 2)}\n`,
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename))
  await runWidgetSizeBench(process.argv.slice(2));
