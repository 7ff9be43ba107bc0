import { effect } from '@preact/signals';
import type { DockReport, DockState, ElementFacts } from '../lib/dock-report';
import type { Box } from './anchor-rect';
import type { DockTarget } from './dock-target';
import type { Overlay } from './overlay-state';
import { DOCK_MIN_SIZE, placeButton } from './placement';

/** Reports are sent at most this often (they change when the clip or the layout does). */
const SEND_DELAY_MS = 250;

/** `div#xgwrapper-0-7301…[data-e2e="feed-video"]`: enough to find the element, nothing it says. */
export function describeElement(el: Element): string {
  const id = el.id ? `#${el.id.slice(0, 48)}` : '';
  const e2e = el.getAttribute('data-e2e');
  return `${el.localName}${id}${e2e ? `[data-e2e="${e2e.slice(0, 48)}"]` : ''}`;
}

function factsOf(el: Element): ElementFacts {
  const r = el.getBoundingClientRect();
  const style = el.ownerDocument.defaultView?.getComputedStyle(el);
  return {
    element: describeElement(el),
    width: Math.round(r.width),
    height: Math.round(r.height),
    display: style?.display ?? '',
    position: style?.position ?? '',
  };
}

/** Whether the button shows, and when it does not, why (see `DockState`). */
export function dockState(
  status: Overlay['clip']['status']['value'],
  dock: Pick<DockTarget, 'box'> | null,
  viewport: { width: number; height: number },
): DockState {
  if (status !== 'found') return status;
  const box: Box | null = dock?.box ?? null;
  if (!box || box.width <= 0 || box.height <= 0) return 'no-box';
  if (box.width < DOCK_MIN_SIZE || box.height < DOCK_MIN_SIZE) return 'too-small';
  return placeButton(box, viewport) ? 'docked' : 'off-screen';
}

/** The report for the overlay's state now. */
export function buildDockReport(overlay: Overlay, retries: number): DockReport {
  const win = overlay.doc.defaultView;
  const viewport = { width: win?.innerWidth ?? 0, height: win?.innerHeight ?? 0 };
  const found = overlay.clip.current.peek();
  const dock = overlay.dock.peek();
  const status = overlay.clip.status.peek();
  return {
    host: overlay.doc.location.hostname,
    adapter: overlay.clip.adapter.peek(),
    state: dockState(status, dock, viewport),
    clip: found ? { site: found.clip.site, clipId: found.clip.clipId } : null,
    author: found?.author ?? null,
    video: found
      ? { ...factsOf(found.video), playing: !found.video.paused && !found.video.ended }
      : null,
    anchor: found ? factsOf(found.anchor) : null,
    dock: dock && found ? { source: dock.source, element: describeElement(dock.element) } : null,
    retries,
    at: new Date().toISOString(),
  };
}

/**
 * Tells the background what the overlay found on this tab whenever that changes (the popup's
 * "This site" panel and the toolbar show it), and answers the popup's "try again". Reports go to
 * the extension's background only, never to the server. Stops with `signal`.
 */
export function reportDock(overlay: Overlay, signal: AbortSignal): void {
  const send = overlay.client.dockReport?.bind(overlay.client);
  let retries = 0;
  let lastSent = '';
  let timer: ReturnType<typeof setTimeout> | null = null;
  const flush = () => {
    timer = null;
    if (signal.aborted || !send) return;
    const report = buildDockReport(overlay, retries);
    // The time alone changing is no news.
    const key = JSON.stringify({ ...report, at: '' });
    if (key === lastSent) return;
    lastSent = key;
    send(report).catch(() => {
      lastSent = '';
    });
  };
  const soon = () => {
    if (!timer && !signal.aborted) timer = setTimeout(flush, SEND_DELAY_MS);
  };
  const stop = effect(() => {
    overlay.clip.status.value;
    overlay.clip.current.value;
    overlay.dock.value;
    soon();
  });
  overlay.client.onRetryRequested?.(() => {
    retries += 1;
    overlay.clip.retry();
    lastSent = '';
    soon();
  }, signal);
  // A restarted service worker forgets what it was told: say it again now and then.
  const again = setInterval(() => {
    lastSent = '';
    soon();
  }, 25_000);
  signal.addEventListener(
    'abort',
    () => {
      stop();
      clearInterval(again);
      if (timer) clearTimeout(timer);
    },
    { once: true },
  );
}
