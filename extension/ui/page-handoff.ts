import { clipFromUrl } from '../sites/generic';
import type { ClipInfo } from '../sites/types';

const MAX_URL = 2048;
const MAX_TITLE = 300;

/**
 * Answers `<kith-share-button>` elements on the page (widgets/README.md, "Share hand-off"): it
 * says the extension is here, and hands a clicked button's link to `onShare` as a clip. Only
 * messages this very window posts to its own origin count; a page can post a share by itself,
 * so this only ever opens Kith's own share sheet, where the user picks the groups.
 */
export function answerShareButtons(
  win: Window,
  onShare: (clip: ClipInfo) => void,
  signal: AbortSignal,
): void {
  const origin = win.location.origin;
  if (!origin || origin === 'null') return;
  const announce = () => win.postMessage({ kith: { type: 'extension', v: 1 } }, origin);
  win.addEventListener(
    'message',
    (event: MessageEvent) => {
      if (event.source !== win || event.origin !== origin) return;
      const message = (event.data as { kith?: unknown } | null)?.kith as
        | { type?: unknown; v?: unknown; url?: unknown; title?: unknown }
        | undefined;
      if (!message || typeof message !== 'object') return;
      if (message.type === 'hello') announce();
      else if (message.type === 'share' && message.v === 1) {
        const clip = linkClip(message.url, message.title, win.location.href);
        if (clip) onShare(clip);
      }
    },
    { signal },
  );
  // A share button that loaded before this script said hello to no one: tell it now.
  announce();
}

/** The clip a shared link names (a video on a supported site, or any web page), or null. */
export function linkClip(url: unknown, title: unknown, base: string): ClipInfo | null {
  if (typeof url !== 'string' || url.length === 0 || url.length > MAX_URL) return null;
  let parsed: URL;
  try {
    parsed = new URL(url, base);
  } catch {
    return null;
  }
  const ref = clipFromUrl(parsed);
  if (!ref) return null;
  const name = typeof title === 'string' ? title.trim().slice(0, MAX_TITLE) : '';
  return { ...ref, title: name || null, thumbnailUrl: null };
}
