import { createShadowRootUi } from 'wxt/utils/content-script-ui/shadow-root';
import { defineContentScript } from 'wxt/utils/define-content-script';
import { SUPPORTED_SITES } from '../../lib/hosts';
import { videoOrDomReady } from '../../lib/video-or-dom-ready';
import { adapterFor } from '../../sites';
import { extensionClient } from '../../ui/client';
import { followFullscreen, overlayParent } from '../../ui/follow-fullscreen';
import { ISOLATED_EVENTS } from '../../ui/keyboard';
import { mountOverlay } from '../../ui/mount-overlay';
import css from './style.css?inline';

// Thin on purpose: picks the site adapter and mounts the shared overlay UI in a shadow root.
export default defineContentScript({
  matches: SUPPORTED_SITES,
  // Not 'ui': that mode fetches content-scripts/overlay.css at mount, and a content script may
  // only fetch files that web_accessible_resources opens to the page's origin — fixed at build
  // time to these matches. On a site the user turns Kith on for later (registered by the
  // background) the fetch fails and the overlay would render unstyled. The stylesheet is
  // bundled instead and handed to createShadowRootUi, which also saves a request per page.
  cssInjectionMode: 'manual',
  // Starts with the document and mounts the moment a <video> is parsed (or at DOMContentLoaded
  // on a page without one), not when the page goes idle: document_idle waits for the video's
  // own loading and put the dock 100–200 ms behind the video (npm run bench -- overlay).
  runAt: 'document_start',
  async main(ctx) {
    const control = new AbortController();
    ctx.onInvalidated(() => control.abort());
    await videoOrDomReady(document, control.signal);
    if (control.signal.aborted) return;
    const ui = await createShadowRootUi(ctx, {
      name: 'kith-overlay',
      css,
      // The host is positioned by style.css (fixed, zero-size): it never takes part in the
      // page's layout, wherever it is appended.
      position: 'inline',
      anchor: () => overlayParent(document),
      append: 'last',
      // Keys typed in the overlay must not reach the site's shortcuts, nor clicks its players.
      isolateEvents: ISOLATED_EVENTS,
      onMount(container, _shadow, host) {
        const mounted = new AbortController();
        control.signal.addEventListener('abort', () => mounted.abort(), { once: true });
        mountOverlay(container, { client: extensionClient(), adapterFor }, mounted.signal);
        followFullscreen(host, document, mounted.signal);
        return mounted;
      },
      onRemove(mounted) {
        mounted?.abort();
      },
    });
    ui.mount();
  },
});
