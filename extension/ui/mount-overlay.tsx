import { render } from 'preact';
import { features } from './features';
import { mountFeatures, OverlayApp } from './overlay-app';
import { createOverlay, type Overlay, type OverlayDeps } from './overlay-state';
import { answerShareButtons } from './page-handoff';
import { reportPresence } from './presence';
import { mountShopStrip } from './shop-strip';

/**
 * Renders the overlay into `container` (inside the shadow root) for the page it runs on.
 * Everything it starts — stores, features, listeners, the rendered tree — ends with `signal`.
 */
export function mountOverlay(
  container: HTMLElement,
  deps: OverlayDeps,
  signal: AbortSignal,
): Overlay {
  const overlay = createOverlay(deps, signal);
  const mounted = mountFeatures(overlay, features, signal);
  const shop = mountShopStrip(overlay, signal);
  reportPresence(overlay, signal);
  const win = overlay.doc.defaultView;
  if (win) {
    answerShareButtons(
      win,
      (clip) => {
        overlay.shareTarget.value = clip;
        overlay.tab.value = 'share';
        overlay.open.value = true;
      },
      signal,
    );
  }
  render(<OverlayApp overlay={overlay} features={mounted} extras={[shop]} />, container);
  signal.addEventListener('abort', () => render(null, container), { once: true });
  return overlay;
}
