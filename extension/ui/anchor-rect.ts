import { signal as createSignal, effect, type ReadonlySignal } from '@preact/signals';
import { isStylesheet } from './site-theme';

export interface Box {
  top: number;
  left: number;
  width: number;
  height: number;
}

function boxOf(el: Element): Box {
  const r = el.getBoundingClientRect();
  return { top: r.top, left: r.left, width: r.width, height: r.height };
}

function close(a: Box | null, b: Box | null): boolean {
  if (!a || !b) return a === b;
  return (
    Math.abs(a.top - b.top) < 0.5 &&
    Math.abs(a.left - b.left) < 0.5 &&
    Math.abs(a.width - b.width) < 0.5 &&
    Math.abs(a.height - b.height) < 0.5
  );
}

/**
 * Where the anchor element is in the viewport, kept current through scrolling (in any
 * scroller: the listener captures), resizing, fullscreen and the anchor's own size changes,
 * plus a slow check for moves nothing announces (CSS transitions). Stops with `signal`.
 */
export function watchAnchorBox(
  anchor: ReadonlySignal<Element | null>,
  signal: AbortSignal,
  slowCheckMs = 300,
): ReadonlySignal<Box | null> {
  const box = createSignal<Box | null>(null);
  let frame = 0;
  const measure = () => {
    frame = 0;
    const el = anchor.peek();
    const next = el?.isConnected ? boxOf(el) : null;
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
    const el = anchor.value;
    observer?.disconnect();
    observer = null;
    if (el && typeof ResizeObserver !== 'undefined') {
      observer = new ResizeObserver(soon);
      observer.observe(el);
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
