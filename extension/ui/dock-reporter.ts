import { effect } from '@preact/signals';
import type { DockReport, DockState, ElementFacts } from '../lib/dock-report';
import type { Box } from './anchor-rect';
import type { DockTarget } from './dock-target';
import { replacedElementFullscreen } from './follow-fullscreen';
import type { Overlay } from './overlay-state';
import { DOCK_MIN_SIZE, placeButton } from './placement';

/** Reports are sent at most this often (they change when the clip or the layout does). */
const SEND_DELAY_MS = 250;

/** Each name in an element's description is cut to this many characters. */
const NAME_CHARS = 48;

/**
 * A web page's clip id is its address (path, query and all): the report names only its host,
 * so that a copied report never tells which page of a site the user was on.
 */
export const WEB_CLIP_ID = '(the page’s address is left out)';

/** One line of at most `NAME_CHARS`: a page's line breaks must not add lines to a copied report. */
function cut(raw: string): string {
  const name = raw.replace(/[\p{C}\p{Z}\s]+/gu, ' ');
  return name.length > NAME_CHARS ? `${name.slice(0, NAME_CHARS - 1)}…` : name;
}

/** `div#xgwrapper-0-7301…[data-e2e="feed-video"]`: enough to find the element, nothing it says. */
export function describeElement(el: Element): string {
  // A page names its elements as it likes (custom element names have no length limit): every
  // part is cut, so that no page can make the report too long for the background to keep.
  const id = el.id ? `#${cut(el.id)}` : '';
  const e2e = el.getAttribute('data-e2e');
  return `${cut(el.localName)}${id}${e2e ? `[data-e2e="${cut(e2e)}"]` : ''}`;
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
  /** The video element itself is fullscreen: the browser draws nothing else. */
  videoFullscreen = false,
): DockState {
  if (status !== 'found') return status;
  if (videoFullscreen) return 'fullscreen-video';
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
    state: dockState(status, dock, viewport, replacedElementFullscreen(overlay.doc)),
    clip: found
      ? {
          site: found.clip.site,
          clipId: found.clip.site === 'web' ? WEB_CLIP_ID : found.clip.clipId,
        }
      : null,
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
  // Entering or leaving a video's own fullscreen may leave its box as it was: look again.
  overlay.doc.addEventListener('fullscreenchange', soon, { signal });
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
