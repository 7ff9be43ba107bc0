import { signal as createSignal, effect, type ReadonlySignal } from '@preact/signals';
import { type DockTarget, dockTarget } from './dock-target';
import { isStylesheet } from './site-theme';

export interface Box {
  top: number;
  left: number;
  width: number;
  height: number;
}

/** What the button docks to: the adapter's anchor for the current video. */
export interface DockSubject {
  anchor: Element;
  video: Element;
}

function close(a: DockTarget | null, b: DockTarget | null): boolean {
  if (!a || !b) return a === b;
  return (
    a.element === b.element &&
    Math.abs(a.box.top - b.box.top) < 0.5 &&
    Math.abs(a.box.left - b.box.left) < 0.5 &&
    Math.abs(a.box.width - b.box.width) < 0.5 &&
    Math.abs(a.box.height - b.box.height) < 0.5
  );
}

/**
 * Where the button docks (see `dockTarget`: the anchor, else a wrapper of the video's size, else
 * the video itself) in the viewport, kept current through scrolling (in any scroller: the
 * listener captures), resizing, fullscreen and the anchor's and video's own size changes, plus
 * a slow check for changes nothing announces (CSS transitions, a wrapper restyled). Stops with
 * `signal`.
 */
export function watchAnchorBox(
  subject: ReadonlySignal<DockSubject | null>,
  signal: AbortSignal,
  slowCheckMs = 300,
): ReadonlySignal<DockTarget | null> {
  const box = createSignal<DockTarget | null>(null);
  let frame = 0;
  const measure = () => {
    frame = 0;
    const current = subject.peek();
    // An anchor the page dropped while its video stays is no reason to lose the button.
    const next = current?.video.isConnected
      ? dockTarget(current.anchor.isConnected ? current.anchor : current.video, current.video)
      : null;
    if (!close(box.peek(), next)) box.value = next;
  };
  const soon = () => {
    if (!frame) frame = requestAnimationFrame(measure);
  };
  const win = window;
  win.addEventListener('scroll', soon, { capture: true, passive: true, signal });
  win.addEventListener('resize', soon, { signal });
  document.addEventListener('fullscreenchange', soon, { signal });
  // Started while the page was loading: its stylesheets can still move the anchor.
  document.addEventListener('load', (event) => isStylesheet(event.target) && soon(), {
    capture: true,
    signal,
  });
  win.addEventListener('load', soon, { once: true, signal });
  const timer = setInterval(measure, slowCheckMs);
  let observer: ResizeObserver | null = null;
  const stop = effect(() => {
    const current = subject.value;
    observer?.disconnect();
    observer = null;
    if (current && typeof ResizeObserver !== 'undefined') {
      observer = new ResizeObserver(soon);
      observer.observe(current.anchor);
      if (current.video !== current.anchor) observer.observe(current.video);
    }
    measure();
  });
  signal.addEventListener('abort', () => {
    stop();
    observer?.disconnect();
    clearInterval(timer);
    if (frame) cancelAnimationFrame(frame);
  });
  return box;
}
