import { signal as createSignal, type ReadonlySignal } from '@preact/signals';
import type { CurrentClip, SiteAdapter } from '../sites/types';

/**
 * - `idle`: no adapter handles this address (e.g. YouTube's home page): the overlay stays away.
 * - `searching`: an adapter handles it but has not found the clip yet (pages render late).
 * - `found`: `current` is the clip on screen.
 * - `missing`: nothing found for a while: the overlay offers "try again".
 */
export type ClipStatus = 'idle' | 'searching' | 'found' | 'missing';

export interface ClipTracker {
  current: ReadonlySignal<CurrentClip | null>;
  status: ReadonlySignal<ClipStatus>;
  /** The adapter that handles this address, if any. */
  adapter: ReadonlySignal<SiteAdapter['name'] | null>;
  /** Looks again now, and keeps looking for another grace period ("try again"). */
  retry(): void;
}

export interface TrackOptions {
  /** How long to keep looking before saying no video was found. */
  graceMs?: number;
  /** How often to look while searching, and to check the address while idle. */
  pollMs?: number;
}

function sameClip(a: CurrentClip | null, b: CurrentClip | null): boolean {
  if (!a || !b) return a === b;
  return (
    a.clip.url === b.clip.url &&
    a.video === b.video &&
    a.anchor === b.anchor &&
    a.clip.title === b.clip.title &&
    a.clip.thumbnailUrl === b.clip.thumbnailUrl &&
    // Found while the page is still parsing, the author's link may come later than the video.
    (a.author ?? null) === (b.author ?? null)
  );
}

/**
 * Follows the clip on screen: asks the site adapter for the page's address (re-picked when the
 * address changes, since a single-page app can move from a page without clips to one with), and
 * re-asks whenever the adapter says something changed. Stops when `signal` aborts.
 */
export function trackClip(
  adapterFor: (url: URL) => SiteAdapter | null | undefined,
  doc: Document,
  signal: AbortSignal,
  options: TrackOptions = {},
): ClipTracker {
  const graceMs = options.graceMs ?? 4000;
  const pollMs = options.pollMs ?? 400;
  const current = createSignal<CurrentClip | null>(null);
  const status = createSignal<ClipStatus>('searching');
  const adapterName = createSignal<SiteAdapter['name'] | null>(null);
  const win = doc.defaultView ?? window;

  let adapter: SiteAdapter | null = null;
  let watching: AbortController | null = null;
  let searchingSince = Date.now();
  let lastHref = '';
  let scheduled = false;

  const evaluate = () => {
    scheduled = false;
    if (signal.aborted) return;
    const url = new URL(doc.location.href);
    lastHref = url.href;
    let next: SiteAdapter | null = null;
    try {
      next = adapterFor(url) ?? null;
    } catch {
      next = null;
    }
    if (next && !next.matches(url)) next = null;
    if (next !== adapter) {
      watching?.abort();
      watching = null;
      adapter = next;
      adapterName.value = adapter?.name ?? null;
      if (adapter) {
        watching = new AbortController();
        signal.addEventListener('abort', () => watching?.abort(), { once: true });
        adapter.watch(doc, schedule, watching.signal);
        searchingSince = Date.now();
      }
    }
    if (!adapter) {
      current.value = null;
      status.value = 'idle';
      return;
    }
    let found: CurrentClip | null = null;
    try {
      found = adapter.current(doc, url);
    } catch {
      // Markup the adapter does not understand is "no clip", never a broken page.
      found = null;
    }
    if (found && !found.video.isConnected) found = null;
    if (found) {
      if (!sameClip(current.peek(), found)) current.value = found;
      status.value = 'found';
      return;
    }
    if (status.peek() === 'found') searchingSince = Date.now();
    current.value = null;
    status.value = Date.now() - searchingSince >= graceMs ? 'missing' : 'searching';
  };

  function schedule() {
    if (scheduled || signal.aborted) return;
    scheduled = true;
    // Coalesces bursts (scroll, several observers) into one look after the page's own work.
    win.setTimeout(evaluate, 0);
  }

  // Looks again while searching, notices address changes while idle, and drops a clip whose
  // video left the page — in case an adapter's own watch misses any of these.
  const timer = win.setInterval(() => {
    const s = status.peek();
    if (s === 'searching' || doc.location.href !== lastHref) schedule();
    else if (s === 'found' && !current.peek()?.video.isConnected) schedule();
  }, pollMs);
  signal.addEventListener('abort', () => win.clearInterval(timer), { once: true });
  const nav = (win as Window & { navigation?: EventTarget }).navigation;
  nav?.addEventListener('currententrychange', schedule, { signal });
  win.addEventListener('popstate', schedule, { signal });
  doc.addEventListener('fullscreenchange', schedule, { signal });

  evaluate();
  return {
    current,
    status,
    adapter: adapterName,
    retry() {
      searchingSince = Date.now();
      if (status.peek() === 'missing') status.value = 'searching';
      evaluate();
    },
  };
}
