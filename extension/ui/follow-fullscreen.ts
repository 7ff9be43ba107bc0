/** Elements whose children are never drawn: the overlay cannot live inside them. */
const REPLACED = new Set(['video', 'img', 'iframe', 'canvas', 'embed', 'object', 'audio']);

/**
 * Where the overlay's host belongs: inside the fullscreen element while there is one (only the
 * top layer is drawn then), else at the end of the body. When the video element itself is
 * fullscreen nothing else can be drawn; the host waits in the body.
 */
export function overlayParent(doc: Document): Element {
  const fs = doc.fullscreenElement;
  if (fs && !REPLACED.has(fs.localName)) return fs;
  return doc.body ?? doc.documentElement;
}

/** Whether an element that draws no children (the video itself) is fullscreen: nothing shows over it. */
export function replacedElementFullscreen(doc: Document): boolean {
  const fs = doc.fullscreenElement;
  return fs != null && REPLACED.has(fs.localName);
}

/**
 * Moves the overlay's host into the fullscreen element and back out as fullscreen comes and
 * goes; also puts it back if the page removes it. Moving keeps the rendered UI as it is.
 */
export function followFullscreen(host: HTMLElement, doc: Document, signal: AbortSignal): void {
  const place = () => {
    if (signal.aborted) return;
    const parent = overlayParent(doc);
    if (host.parentElement !== parent) parent.append(host);
  };
  doc.addEventListener('fullscreenchange', place, { signal });
  // Some pages rebuild the body's children on navigation; check now and then.
  const timer = setInterval(() => {
    if (!host.isConnected) place();
  }, 1000);
  signal.addEventListener('abort', () => clearInterval(timer));
}
