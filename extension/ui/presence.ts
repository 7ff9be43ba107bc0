import { effect } from '@preact/signals';
import type { Overlay } from './overlay-state';

/**
 * Tells the background while the overlay is on a visible tab with a clip, so it keeps the live
 * socket up for this tab (and lets it go when nobody is looking). Stops with `signal`.
 */
export function reportPresence(overlay: Overlay, signal: AbortSignal): void {
  const doc = overlay.doc;
  let reported: boolean | null = null;
  const report = (visible: boolean) => {
    if (visible === reported) return;
    reported = visible;
    overlay.client.presence(visible).catch(() => {
      reported = null;
    });
  };
  const update = () =>
    report(doc.visibilityState === 'visible' && overlay.clip.status.peek() === 'found');
  const stop = effect(() => {
    overlay.clip.status.value;
    update();
  });
  doc.addEventListener('visibilitychange', update, { signal });
  // Re-announce now and then: a restarted service worker forgets who was looking.
  const timer = setInterval(() => {
    if (reported) {
      reported = null;
      update();
    }
  }, 25_000);
  signal.addEventListener('abort', () => {
    stop();
    clearInterval(timer);
    if (reported) overlay.client.presence(false).catch(() => {});
  });
}
