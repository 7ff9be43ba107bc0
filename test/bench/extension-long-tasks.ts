/**
 * Which long tasks on a page the extension causes, from a Chromium performance trace (CDP
 * `Tracing`, the data behind DevTools' Performance panel). A page's PerformanceObserver sees long
 * tasks but cannot say whose code ran in them (content scripts run in an isolated world); the
 * trace can: every script evaluation and function call carries its script's URL, and the
 * extension's are `chrome-extension://…`.
 *
 * For each task on the page's main thread that ran extension code, this reports the task's
 * length and the extension's part of it, in wall time and in thread (CPU) time. Thread time is
 * what the code itself cost: it does not grow when other processes hold the CPU, so it is the
 * figure to judge on a busy machine.
 *
 * Used by the overlay bench (test/bench/overlay.ts) and test/browser/extension-long-tasks.test.ts.
 */
import type { BrowserContext, Page } from 'playwright-core';

/** A long task, as the Long Tasks API and Chromium's DevTools count them. */
export const LONG_TASK_MS = 50;
/**
 * The least part of a task that can make the extension answerable for it. A page task of 49.5 ms
 * that the extension touched for 1 ms was long before the extension came: blaming such slivers
 * would make the verdict follow the page's own jitter around the 50 ms line.
 */
export const BLAME_MIN_MS = LONG_TASK_MS / 10;

export interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  /** Microseconds. */
  ts: number;
  dur?: number;
  /** Thread time, microseconds. */
  tdur?: number;
  pid: number;
  tid: number;
  args?: { data?: { url?: string }; fileName?: string };
}

const CATEGORIES = ['toplevel', 'devtools.timeline', 'v8'];

/** Runs `fn` while Chromium records a trace of `page`'s renderer; returns the events. */
export async function traceWhile<T>(
  context: BrowserContext,
  page: Page,
  fn: () => Promise<T>,
): Promise<{ result: T; events: TraceEvent[] }> {
  const cdp = await context.newCDPSession(page);
  const events: TraceEvent[] = [];
  cdp.on('Tracing.dataCollected', (e) => {
    events.push(...(e.value as unknown as TraceEvent[]));
  });
  const complete = new Promise<void>((resolve) =>
    cdp.once('Tracing.tracingComplete', () => resolve()),
  );
  await cdp.send('Tracing.start', {
    traceConfig: { includedCategories: CATEGORIES, recordMode: 'recordAsMuchAsPossible' },
    transferMode: 'ReportEvents',
  });
  let result: T;
  try {
    result = await fn();
  } finally {
    await cdp.send('Tracing.end');
    await complete;
    await cdp.detach().catch(() => {});
  }
  return { result, events };
}

export interface TaskShare {
  /** ms from the trace's first event on the page's main thread. */
  start: number;
  /** The whole task, wall and thread time (ms). */
  duration: number;
  cpu: number;
  /** The extension's code inside it (script evaluation, its callbacks, what they forced). */
  extension: number;
  extensionCpu: number;
}

export interface ExtensionTasks {
  /** Whether the trace shows the extension's script running in the page at all. */
  ran: boolean;
  /** Every main-thread task in which extension code ran. */
  tasks: TaskShare[];
  /** The extension's longest stretch inside one task (ms), wall and thread time. */
  maxExtension: number;
  maxExtensionCpu: number;
  /**
   * Long tasks the extension caused: over LONG_TASK_MS, and either not over it without the
   * extension's part (when that part is at least BLAME_MIN_MS) or with an extension part over it
   * on its own. `wall` counts wall time,
   * `cpu` thread time.
   */
  caused: { wall: TaskShare[]; cpu: TaskShare[] };
}

const urlOf = (e: TraceEvent) => e.args?.data?.url ?? e.args?.fileName ?? '';
/** The top-level task on a thread (named `RunTask` in older Chromium). */
const isTask = (e: TraceEvent) =>
  e.name === 'ThreadControllerImpl::RunTask' || e.name === 'RunTask';

/** The outermost of overlapping complete events (nested calls are inside their caller). */
function outermost(events: TraceEvent[]): TraceEvent[] {
  const sorted = [...events].sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0));
  const out: TraceEvent[] = [];
  let end = Number.NEGATIVE_INFINITY;
  for (const e of sorted) {
    if (e.ts >= end) {
      out.push(e);
      end = e.ts + (e.dur ?? 0);
    }
  }
  return out;
}

/**
 * The extension's share of each task on the main thread that ran its code. `scriptPrefix`
 * names the extension's scripts (`chrome-extension://<id>/`, or any extension's by default).
 */
export function extensionTasks(
  events: TraceEvent[],
  scriptPrefix = 'chrome-extension://',
): ExtensionTasks {
  const complete = events.filter((e) => e.ph === 'X' && typeof e.dur === 'number');
  const ours = complete.filter((e) => !isTask(e) && urlOf(e).startsWith(scriptPrefix));
  const empty: ExtensionTasks = {
    ran: false,
    tasks: [],
    maxExtension: 0,
    maxExtensionCpu: 0,
    caused: { wall: [], cpu: [] },
  };
  if (!ours.length) return empty;
  // The page's main thread: where the content script was evaluated (V8 may compile elsewhere).
  const { pid, tid } = ours.find((e) => e.name === 'EvaluateScript') ?? ours[0]!;
  const onThread = (e: TraceEvent) => e.pid === pid && e.tid === tid;
  const mine = outermost(ours.filter(onThread));
  const runTasks = complete.filter((e) => isTask(e) && onThread(e));
  const origin = Math.min(...complete.filter(onThread).map((e) => e.ts));
  const tasks: TaskShare[] = [];
  for (const task of outermost(runTasks)) {
    const end = task.ts + task.dur!;
    const inside = mine.filter((e) => e.ts >= task.ts && e.ts < end);
    if (!inside.length) continue;
    tasks.push({
      start: (task.ts - origin) / 1000,
      duration: task.dur! / 1000,
      cpu: (task.tdur ?? task.dur!) / 1000,
      extension: inside.reduce((n, e) => n + Math.min(e.dur!, end - e.ts), 0) / 1000,
      extensionCpu: inside.reduce((n, e) => n + (e.tdur ?? e.dur!), 0) / 1000,
    });
  }
  const causedBy = (length: (t: TaskShare) => number, part: (t: TaskShare) => number) =>
    tasks.filter(
      (t) =>
        length(t) > LONG_TASK_MS &&
        ((part(t) >= BLAME_MIN_MS && length(t) - part(t) <= LONG_TASK_MS) ||
          part(t) > LONG_TASK_MS),
    );
  return {
    ran: true,
    tasks,
    maxExtension: Math.max(0, ...tasks.map((t) => t.extension)),
    maxExtensionCpu: Math.max(0, ...tasks.map((t) => t.extensionCpu)),
    caused: {
      wall: causedBy(
        (t) => t.duration,
        (t) => t.extension,
      ),
      cpu: causedBy(
        (t) => t.cpu,
        (t) => t.extensionCpu,
      ),
    },
  };
}
