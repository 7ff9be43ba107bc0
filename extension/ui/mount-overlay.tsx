import { batch, effect } from '@preact/signals';
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
 * Opens the panel on Chat in `groupId`, and once the clip's video is found seeks it to the
 * moment the share named (once).
 */
export function openOnThread(
  overlay: Overlay,
  opening: { groupId: string; atSeconds: number | null },
  signal: AbortSignal,
): void {
  batch(() => {
    overlay.chatGroupId.value = opening.groupId;
    overlay.tab.value = 'chat';
    overlay.open.value = true;
  });
  const at = opening.atSeconds;
  if (at === null) return;
  let done = false;
  const stop = effect(() => {
    const video = overlay.clip.current.value?.video;
    if (!video || done) return;
    done = true;
    const seek = () => overlay.seek(at);
    if (video.readyState >= 1) seek();
    else video.addEventListener('loadedmetadata', seek, { once: true, signal });
  });
  signal.addEventListener('abort', stop, { once: true });
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
  // A tab the popup opened from a clip card: Chat on that card's thread, at its moment.
  if (win) {
    deps.client.opening(win.location.href).then(
      (opening) => {
        if (opening && !signal.aborted) openOnThread(overlay, opening, signal);
      },
      () => undefined,
    );
  }
  render(<OverlayApp overlay={overlay} features={mounted} extras={[shop]} />, container);
  signal.addEventListener('abort', () => render(null, container), { once: true });
  return overlay;
}
