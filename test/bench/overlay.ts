/**
 * Overlay bench: what the content script costs a page.
 *
 *   npm run bench -- overlay [--runs 10]
 *
 * 1. Size: builds the Chrome extension (the browser-test harness, test/fixtures/browser.ts) and
 *    gzips (-9, per file, as served) the content script and everything its manifest entry loads
 *    (JS and CSS), next to a baseline measured in the same run: a minimal script that only finds
 *    the video and docks a fixed-position button in a shadow root (BASELINE below, minified by
 *    esbuild).
 * 2. Time to overlay: in Chromium with the extension loaded, on the TikTok, YouTube Shorts and
 *    Instagram fixtures served under their real hostnames (loopback only), the time from the
 *    first `<video>` entering the DOM to the overlay's dock rendering in its shadow root, over N
 *    fresh page loads per site, with the page's long tasks. The baseline script runs the same
 *    pages as a page script (addInitScript) in a Chromium without the extension.
 *
 * Figures go to bench-results/overlay.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { transform } from 'esbuild';
import { type BrowserContext, chromium } from 'playwright-core';
import {
  buildExtension,
  chromiumPath,
  launchArgs,
  launchBrowser,
  repoRoot,
  type SiteHost,
  startFixtureServer,
} from '../fixtures/browser';
import {
  CONTENT_SCRIPT_BUDGET_BYTES,
  contentScriptSizes,
  gzipSize as gzip,
} from './content-script-size';

/**
 * The least a content script can do for this feature: find the video (now or when one appears)
 * and put a fixed-position button in a shadow root. Runs at DOMContentLoaded, as a page script.
 */
export const BASELINE = `(() => {
  const mount = () => {
    if (document.querySelector('kith-baseline')) return true;
    const video = document.querySelector('video');
    if (!video) return false;
    const host = document.createElement('kith-baseline');
    const root = host.attachShadow({ mode: 'open' });
    root.innerHTML = '<style>button{position:fixed;right:16px;bottom:16px;z-index:2147483647;border:0;border-radius:20px;padding:8px 14px;font:600 14px system-ui;background:#111;color:#fff}</style><button class="kith-dock" type="button">Kith</button>';
    document.documentElement.append(host);
    return true;
  };
  const start = () => {
    if (mount()) return;
    const observer = new MutationObserver(() => { if (mount()) observer.disconnect(); });
    observer.observe(document, { childList: true, subtree: true });
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true });
  else start();
})();`;

/**
 * Installed before any page script: timestamps the first `<video>` in the DOM, its first
 * `playing`, the overlay host and its rendered dock; records long tasks.
 */
const PROBE = `(() => {
  const marks = { video: null, playing: null, dcl: null, host: null, mounted: null };
  const longTasks = [];
  window.__kithBench = { marks, longTasks };
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch {}
  document.addEventListener('playing', () => { marks.playing ??= performance.now(); }, true);
  document.addEventListener('DOMContentLoaded', () => { marks.dcl = performance.now(); }, { once: true });
  const HOSTS = 'kith-overlay, kith-baseline';
  const watchShadow = (host) => {
    const root = host.shadowRoot;
    const check = () => {
      if (marks.mounted === null && root && root.querySelector('.kith-dock, .kith-missing')) {
        marks.mounted = performance.now();
        return true;
      }
      return false;
    };
    if (check() || !root) return;
    const o = new MutationObserver(() => { if (check()) o.disconnect(); });
    o.observe(root, { childList: true, subtree: true });
  };
  const scan = (node) => {
    if (!(node instanceof Element)) return;
    if (marks.video === null && (node.localName === 'video' || node.querySelector('video')))
      marks.video = performance.now();
    if (marks.host === null) {
      const host = node.matches(HOSTS) ? node : node.querySelector(HOSTS);
      if (host) { marks.host = performance.now(); watchShadow(host); }
    }
  };
  new MutationObserver((records) => {
    for (const r of records) for (const n of r.addedNodes) scan(n);
  }).observe(document, { childList: true, subtree: true });
})();`;

const SITES: { name: string; host: SiteHost; path: string }[] = [
  { name: 'tiktok', host: 'www.tiktok.com', path: '/foryou' },
  { name: 'youtube-shorts', host: 'www.youtube.com', path: '/shorts/aqz-KE-bpKQ' },
  { name: 'instagram-reels', host: 'www.instagram.com', path: '/reels/' },
];

interface Load {
  /** ms from the first <video> in the DOM to the dock rendered in the shadow root. */
  videoToMount: number;
  /** ms from the first <video> to the host element in the DOM. */
  videoToHost: number;
  /** ms from the first <video> to DOMContentLoaded: the floor for any script waiting for it. */
  videoToDcl: number | null;
  /** ms from the first `playing` to the dock (negative: mounted before it played). */
  playingToMount: number | null;
  longTasks: number;
  longTaskMs: number;
}

interface Summary {
  loads: number;
  failed: number;
  p50: number;
  p95: number;
  hostP50: number;
  dclP50: number;
  longTasks: number;
  longTaskMs: number;
  maxLongTaskMs: number;
}

const percentile = (values: number[], p: number) => {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

function summarize(loads: Load[], failed: number, maxLongTask: number): Summary {
  const times = loads.map((l) => l.videoToMount);
  return {
    loads: loads.length,
    failed,
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    hostP50: percentile(
      loads.map((l) => l.videoToHost),
      50,
    ),
    dclP50: percentile(
      loads.flatMap((l) => (l.videoToDcl === null ? [] : [l.videoToDcl])),
      50,
    ),
    longTasks: loads.reduce((n, l) => n + l.longTasks, 0),
    longTaskMs: loads.reduce((n, l) => n + l.longTaskMs, 0),
    maxLongTaskMs: maxLongTask,
  };
}

async function measureLoads(
  context: BrowserContext,
  url: string,
  runs: number,
  label: string,
  extraInit?: string,
): Promise<{ loads: Load[]; failed: number; maxLongTask: number }> {
  const loads: Load[] = [];
  let failed = 0;
  let maxLongTask = 0;
  const tty = process.stdout.isTTY;
  for (let i = 0; i < runs; i++) {
    const page = await context.newPage();
    try {
      await page.addInitScript({ content: PROBE });
      if (extraInit) await page.addInitScript({ content: extraInit });
      await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 15_000 });
      await page.waitForFunction(
        () =>
          (window as unknown as { __kithBench?: { marks: { mounted: number | null } } }).__kithBench
            ?.marks.mounted != null,
        undefined,
        { timeout: 15_000, polling: 50 },
      );
      // Let the page settle a moment so long tasks right after mounting are counted.
      await page.waitForTimeout(300);
      const { marks, longTasks } = await page.evaluate(
        () =>
          (
            window as unknown as {
              __kithBench: {
                marks: Record<'video' | 'playing' | 'dcl' | 'host' | 'mounted', number | null>;
                longTasks: { start: number; duration: number }[];
              };
            }
          ).__kithBench,
      );
      if (marks.video === null || marks.mounted === null || marks.host === null)
        throw new Error(`missing marks ${JSON.stringify(marks)}`);
      for (const t of longTasks) maxLongTask = Math.max(maxLongTask, t.duration);
      loads.push({
        videoToMount: marks.mounted - marks.video,
        videoToHost: marks.host - marks.video,
        videoToDcl: marks.dcl === null ? null : marks.dcl - marks.video,
        playingToMount: marks.playing === null ? null : marks.mounted - marks.playing,
        longTasks: longTasks.length,
        longTaskMs: longTasks.reduce((n, t) => n + t.duration, 0),
      });
      // On a terminal one line per series, updated in place; in a log, a dot per load.
      process.stdout.write(
        tty
          ? `\r  ${label.padEnd(34)} ${i + 1}/${runs}  last ${loads.at(-1)!.videoToMount.toFixed(1)} ms   `
          : i === 0
            ? `  ${label.padEnd(34)} .`
            : '.',
      );
    } catch (error) {
      failed++;
      process.stdout.write(
        `${tty ? '\r' : '\n'}  ${label.padEnd(34)} ${i + 1}/${runs}  failed: ${(error as Error).message.split('\n')[0]}\n`,
      );
    } finally {
      await page.close();
    }
  }
  process.stdout.write(tty ? '\n' : ` ${runs}/${runs}\n`);
  return { loads, failed, maxLongTask };
}

const ms = (n: number) => (Number.isFinite(n) ? `${n.toFixed(1)} ms` : '—');

export async function runOverlayBench(argv: string[] = []): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { runs: { type: 'string', default: '10' } },
    strict: true,
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 200)
    throw new Error('--runs must be an integer from 1 to 200');
  chromiumPath();

  console.log('Building the extension (wxt build, cached by source hash)…');
  const extensionDir = await buildExtension();
  const { files, ...total } = await contentScriptSizes(extensionDir);
  const baselineJs = (await transform(BASELINE, { minify: true, loader: 'js' })).code;
  const baseline = {
    file: 'baseline (minified)',
    raw: Buffer.byteLength(baselineJs),
    gzip: gzip(baselineJs),
  };
  console.log(
    `\nContent script and what it loads (gzip -9 per file), ${path.relative(repoRoot, extensionDir)}:\n`,
  );
  for (const f of files)
    console.log(
      `  ${f.file.padEnd(34)} ${String(f.raw).padStart(8)} B  ${String(f.gzip).padStart(7)} B gz`,
    );
  console.log(
    `  ${'overlay total'.padEnd(34)} ${String(total.raw).padStart(8)} B  ${String(total.gzip).padStart(7)} B gz`,
  );
  console.log(
    `  ${baseline.file.padEnd(34)} ${String(baseline.raw).padStart(8)} B  ${String(baseline.gzip).padStart(7)} B gz`,
  );
  const sizeRatio = total.gzip / baseline.gzip;
  console.log(`  overlay / baseline: ${sizeRatio.toFixed(1)}×`);
  const sizeOk = total.gzip <= CONTENT_SCRIPT_BUDGET_BYTES;
  console.log(
    `  budget ${(CONTENT_SCRIPT_BUDGET_BYTES / 1024).toFixed(0)} KB gzip: ${sizeOk ? 'PASS' : 'FAIL'} (${(total.gzip / 1024).toFixed(2)} KB)`,
  );

  console.log(`\nTime from <video> in the DOM to the overlay mounted, ${runs} loads per site:`);
  const fixtures = await startFixtureServer();
  const results: Record<
    string,
    { overlay: Summary; baseline: Summary; loads: { overlay: Load[]; baseline: Load[] } }
  > = {};
  try {
    const kith = await launchBrowser({ extensionDir, fixtures });
    const plain = await chromium.launch({
      executablePath: chromiumPath(),
      headless: true,
      args: launchArgs(extensionDir, fixtures.port).filter((a) => !a.includes('extension')),
    });
    try {
      const plainContext = await plain.newContext({
        ignoreHTTPSErrors: true,
        viewport: { width: 1280, height: 800 },
      });
      for (const site of SITES) {
        const url = fixtures.url(site.host, site.path);
        const ext = await measureLoads(kith.context, url, runs, `${site.name} · extension`);
        const base = await measureLoads(
          plainContext,
          url,
          runs,
          `${site.name} · baseline`,
          BASELINE,
        );
        results[site.name] = {
          overlay: summarize(ext.loads, ext.failed, ext.maxLongTask),
          baseline: summarize(base.loads, base.failed, base.maxLongTask),
          loads: { overlay: ext.loads, baseline: base.loads },
        };
      }
    } finally {
      await plain.close().catch(() => {});
      await kith.close();
    }
  } finally {
    await fixtures.close();
  }

  console.log(
    `\n  ${'site'.padEnd(17)}${'script'.padEnd(11)}${'p50'.padStart(10)}${'p95'.padStart(10)}${'host p50'.padStart(11)}${'DCL p50'.padStart(10)}  long tasks (count / total / max)  ok`,
  );
  for (const [name, r] of Object.entries(results))
    for (const [which, s] of [
      ['overlay', r.overlay],
      ['baseline', r.baseline],
    ] as const)
      console.log(
        `  ${name.padEnd(17)}${which.padEnd(11)}${ms(s.p50).padStart(10)}${ms(s.p95).padStart(10)}${ms(s.hostP50).padStart(11)}${ms(s.dclP50).padStart(10)}  ${`${s.longTasks} / ${s.longTaskMs.toFixed(0)} ms / ${s.maxLongTaskMs.toFixed(0)} ms`.padEnd(32)}  ${s.loads}/${s.loads + s.failed}`,
      );
  console.log(
    '\n  All times from the first <video> entering the DOM. host: the shadow host in the DOM; DCL: DOMContentLoaded.' +
      '\n  The overlay content script runs at document_idle; the baseline at DOMContentLoaded in the page.' +
      '\n  Long tasks are the whole page load (site script, the content script, Chromium), summed over all loads.',
  );

  await mkdir(path.join(repoRoot, 'bench-results'), { recursive: true });
  const out = path.join(repoRoot, 'bench-results/overlay.json');
  await writeFile(
    out,
    `${JSON.stringify(
      {
        measuredAt: new Date().toISOString(),
        runs,
        size: { files, total, baseline, ratio: sizeRatio },
        timing: results,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nWrote ${path.relative(repoRoot, out)}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename))
  await runOverlayBench(process.argv.slice(2));
