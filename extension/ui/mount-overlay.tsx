import { batch } from '@preact/signals';
import { render } from 'preact';
import type { ClipInfo } from '../sites/types';
import { reportDock } from './dock-reporter';
import { features } from './features';
import { mountFeatures, OverlayApp } from './overlay-app';
import { createOverlay, type FeatureId, type Overlay, type OverlayDeps } from './overlay-state';
import { answerShareButtons } from './page-handoff';
import { reportPresence } from './presence';
import { mountShopStrip } from './shop-strip';

/** Opens the panel, on `tab` and sharing `target` when given (else the clip on screen). */
function openPanel(overlay: Overlay, how: { tab?: FeatureId; target?: ClipInfo } = {}): void {
  batch(() => {
    if (how.target) overlay.shareTarget.value = how.target;
    if (how.tab) overlay.tab.value = how.tab;
    overlay.open.value = true;
  });
}

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
  reportDock(overlay, signal);
  const win = overlay.doc.defaultView;
  if (win) {
    // A page's share button hands over a link: Share opens with it.
    answerShareButtons(win, (clip) => openPanel(overlay, { tab: 'share', target: clip }), signal);
  }
  // The keyboard shortcut: the panel opens on the clip on screen, at the tab last used.
  deps.client.onOpenRequested(() => openPanel(overlay), signal);
  render(<OverlayApp overlay={overlay} features={mounted} extras={[shop]} />, container);
  signal.addEventListener('abort', () => render(null, container), { once: true });
  return overlay;
}
