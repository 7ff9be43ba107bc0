/**
 * Resolves as soon as the page has a `<video>` or its DOM is complete (DOMContentLoaded),
 * whichever comes first; at once when either is already true. Lets a script that starts with
 * the document (run_at document_start) mount its UI the moment the video is parsed, instead of
 * waiting for the page to go idle, and still mount on pages without one (to say so).
 */
export function videoOrDomReady(doc: Document, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return;
    const ready = () => doc.readyState !== 'loading' || doc.querySelector('video') !== null;
    if (ready()) {
      resolve();
      return;
    }
    const stop = new AbortController();
    const done = () => {
      stop.abort();
      resolve();
    };
    signal.addEventListener('abort', () => stop.abort(), { once: true, signal: stop.signal });
    doc.addEventListener('DOMContentLoaded', done, { once: true, signal: stop.signal });
    const observer = new MutationObserver((records) => {
      for (const record of records)
        for (const node of record.addedNodes)
          if (
            node.nodeType === 1 &&
            ((node as Element).localName === 'video' || (node as Element).querySelector('video'))
          ) {
            done();
            return;
          }
    });
    observer.observe(doc, { childList: true, subtree: true });
    stop.signal.addEventListener('abort', () => observer.disconnect(), { once: true });
  });
}
