/**
 * The extension adds no long task of its own to the sites' pages. Each fixture page (TikTok,
 * YouTube Shorts, Instagram Reels, under their real hostnames) loads under a Chromium trace
 * until the overlay has docked; the trace says whose code ran in every task
 * (test/bench/extension-long-tasks.ts).
 *
 * Judged on thread (CPU) time, not wall time: on a busy machine other processes stretch a task's
 * wall time without the extension doing more work, and a test must not fail for that. The bench
 * (`npm run bench -- overlay`) reports wall time against the same budget.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  extensionTasks,
  LONG_TASK_MS,
  type TaskShare,
  type TraceEvent,
  traceWhile,
} from '../bench/extension-long-tasks';
import {
  buildExtension,
  type FixtureServer,
  type KithBrowser,
  launchBrowser,
  type SiteHost,
  startFixtureServer,
} from '../fixtures/browser';

const SITES: { name: string; host: SiteHost; path: string }[] = [
  { name: 'tiktok', host: 'www.tiktok.com', path: '/foryou' },
  { name: 'youtube-shorts', host: 'www.youtube.com', path: '/shorts/aqz-KE-bpKQ' },
  { name: 'instagram-reels', host: 'www.instagram.com', path: '/reels/C1a2B3c4D5e/' },
];

const EXT = 'chrome-extension://abc/';
const PID = 1;
const MAIN = 10;

/** A complete trace event; times in ms (the trace counts µs). */
function event(
  name: string,
  start: number,
  duration: number,
  options: { cpu?: number; url?: string; tid?: number } = {},
): TraceEvent {
  return {
    name,
    cat: 'devtools.timeline',
    ph: 'X',
    ts: start * 1000,
    dur: duration * 1000,
    tdur: (options.cpu ?? duration) * 1000,
    pid: PID,
    tid: options.tid ?? MAIN,
    ...(options.url ? { args: { data: { url: options.url } } } : {}),
  };
}

const task = (start: number, duration: number, cpu = duration) =>
  event('ThreadControllerImpl::RunTask', start, duration, { cpu });

describe('telling the extension’s long tasks from the page’s', () => {
  it('a page whose trace never shows the extension’s script says so', () => {
    const share = extensionTasks([
      task(0, 80),
      event('FunctionCall', 1, 70, { url: 'https://a/' }),
    ]);
    expect(share.ran).toBe(false);
    expect(share.tasks).toEqual([]);
  });

  it('a long task made long by the extension’s script is the extension’s', () => {
    const share = extensionTasks(
      [
        task(0, 70),
        event('EvaluateScript', 5, 40, { url: `${EXT}content-scripts/overlay.js` }),
        // Nested calls are part of the evaluation, not counted twice.
        event('FunctionCall', 10, 20, { url: `${EXT}content-scripts/overlay.js` }),
        task(100, 10),
        event('FunctionCall', 101, 2, { url: `${EXT}content-scripts/overlay.js` }),
      ],
      EXT,
    );
    expect(share.ran).toBe(true);
    expect(share.tasks.map((t) => [t.duration, t.extension])).toEqual([
      [70, 40],
      [10, 2],
    ]);
    expect(share.caused.wall.map((t) => t.start)).toEqual([0]);
    expect(share.maxExtension).toBe(40);
  });

  it('a page’s own long task with a little extension work in it is the page’s', () => {
    const share = extensionTasks(
      [task(0, 120), event('FunctionCall', 3, 5, { url: `${EXT}content-scripts/overlay.js` })],
      EXT,
    );
    expect(share.caused.wall).toEqual([]);
    expect(share.caused.cpu).toEqual([]);
  });

  it('a page task already at the line is not blamed on a sliver of extension work', () => {
    // The page's own 49.5 ms of CPU, plus 1.1 ms of the extension's: the page made it long.
    const sliver = extensionTasks(
      [
        task(0, 115, 50.6),
        event('FunctionCall', 3, 2, { cpu: 1.1, url: `${EXT}content-scripts/overlay.js` }),
      ],
      EXT,
    );
    expect(sliver.caused.cpu).toEqual([]);
    // The same task with 6 ms of the extension's is the extension's: without it, no long task.
    const part = extensionTasks(
      [
        task(0, 115, 52),
        event('FunctionCall', 3, 8, { cpu: 6, url: `${EXT}content-scripts/overlay.js` }),
      ],
      EXT,
    );
    expect(part.caused.cpu).toHaveLength(1);
  });

  it('thread time tells a busy machine from a slow script', () => {
    // 60 ms of wall time, of which the script used 8 ms of CPU: the machine was busy.
    const share = extensionTasks(
      [
        task(0, 60, 12),
        event('EvaluateScript', 1, 55, { cpu: 8, url: `${EXT}content-scripts/overlay.js` }),
      ],
      EXT,
    );
    expect(share.caused.wall).toHaveLength(1);
    expect(share.caused.cpu).toEqual([]);
    expect(share.maxExtensionCpu).toBe(8);
  });

  it('only the page’s main thread counts, and another extension’s scripts are not ours', () => {
    const share = extensionTasks(
      [
        task(0, 90),
        event('EvaluateScript', 1, 5, { url: `${EXT}content-scripts/overlay.js` }),
        event('FunctionCall', 10, 70, { url: 'chrome-extension://other/script.js' }),
        event('v8.compile', 1, 80, { url: `${EXT}content-scripts/overlay.js`, tid: 99 }),
      ],
      EXT,
    );
    expect(share.caused.wall).toEqual([]);
    expect(share.maxExtension).toBe(5);
  });
});

describe('the extension on the sites’ pages', () => {
  let fixtures: FixtureServer;
  let kith: KithBrowser;

  beforeAll(async () => {
    const extensionDir = await buildExtension();
    fixtures = await startFixtureServer();
    kith = await launchBrowser({ extensionDir, fixtures });
  });

  afterAll(async () => {
    await kith?.close();
    await fixtures?.close();
  });

  const describeTask = (t: TaskShare) =>
    `task at ${t.start.toFixed(0)} ms: ${t.duration.toFixed(1)} ms (CPU ${t.cpu.toFixed(1)}), extension ${t.extension.toFixed(1)} ms (CPU ${t.extensionCpu.toFixed(1)})`;

  it.each(SITES)('adds no long task of its own to a $name page', async ({ host, path }) => {
    const page = await kith.context.newPage();
    try {
      const { events } = await traceWhile(kith.context, page, async () => {
        await page.goto(fixtures.url(host, path), { waitUntil: 'load', timeout: 30_000 });
        await page.locator('kith-overlay .kith-dock').waitFor({ timeout: 30_000 });
        // Work right after mounting (the first looks at the page, the session) counts too.
        await page.waitForTimeout(500);
      });
      const share = extensionTasks(events, `chrome-extension://${kith.extensionId}/`);
      expect(share.ran, 'the trace shows the content script running').toBe(true);
      const report = share.tasks
        .filter((t) => t.duration > LONG_TASK_MS)
        .map(describeTask)
        .join('\n');
      console.log(
        `${host}: extension's largest part of one task ${share.maxExtension.toFixed(1)} ms (CPU ${share.maxExtensionCpu.toFixed(1)} ms), in ${share.tasks.length} tasks${report ? `\nlong tasks it ran in:\n${report}` : ''}`,
      );
      expect(share.caused.cpu.map(describeTask)).toEqual([]);
      expect(share.maxExtensionCpu).toBeLessThanOrEqual(LONG_TASK_MS);
    } finally {
      await page.close();
    }
  });
});
