export interface WatchPageOptions {
  /** Selector of elements whose arrival may change the current clip (feed items, players). */
  items?: string;
  /** Attributes whose change on any element may change it (YouTube moves `is-active`). */
  attributes?: string[];
  /** Site events on the document that announce a navigation (YouTube's `yt-navigate-finish`). */
  events?: string[];
  /** How often to compare the address when the Navigation API is missing. */
  pollMs?: number;
}

type NavigationWindow = Window & { navigation?: EventTarget };

/**
 * Calls `onChange` whenever the clip on screen may have changed: the address changed without a
 * reload, the page scrolled (in any scroller), a video started playing, fullscreen was entered or
 * left, or a feed item or video appeared. Everything stops when `signal` aborts. Callers are
 * expected to look again on each call, so a few spurious calls are harmless.
 */
export function watchPage(
  doc: Document,
  onChange: () => void,
  signal: AbortSignal,
  options: WatchPageOptions = {},
): void {
  const view = doc.defaultView as NavigationWindow | null;
  if (!view || signal.aborted) return;
  const changed = () => {
    if (!signal.aborted) onChange();
  };

  // Scrolling and DOM churn come in bursts: one look per frame is plenty.
  let frame = 0;
  const soon = () => {
    if (frame === 0 && !signal.aborted) {
      frame = view.requestAnimationFrame(() => {
        frame = 0;
        changed();
      });
    }
  };
  signal.addEventListener('abort', () => view.cancelAnimationFrame(frame), { once: true });

  // Address changes. `currententrychange` fires after pushState/replaceState/traversal has
  // committed the new URL; `navigate` fires before it, when `location` still shows the old one.
  const navigation = view.navigation;
  if (navigation) {
    navigation.addEventListener('currententrychange', changed, { signal });
  } else {
    let href = doc.location.href;
    const timer = view.setInterval(() => {
      if (doc.location.href === href) return;
      href = doc.location.href;
      changed();
    }, options.pollMs ?? 500);
    signal.addEventListener('abort', () => view.clearInterval(timer), { once: true });
  }
  view.addEventListener('popstate', changed, { signal });
  for (const type of options.events ?? []) {
    doc.addEventListener(type, changed, { capture: true, signal });
  }

  // `scroll` and media events do not bubble: capturing on the document sees every scroller
  // and every video.
  doc.addEventListener('scroll', soon, { capture: true, passive: true, signal });
  for (const type of ['play', 'playing']) {
    doc.addEventListener(type, changed, { capture: true, signal });
  }
  doc.addEventListener('fullscreenchange', changed, { signal });

  const items = options.items ? `${options.items}, video` : 'video';
  const observer = new MutationObserver((records) => {
    for (const record of records) {
      if (record.type === 'attributes' || [...record.addedNodes].some((n) => holds(n, items))) {
        soon();
        return;
      }
    }
  });
  observer.observe(doc.documentElement, {
    childList: true,
    subtree: true,
    ...(options.attributes?.length
      ? { attributes: true, attributeFilter: options.attributes }
      : {}),
  });
  signal.addEventListener('abort', () => observer.disconnect(), { once: true });
}

function holds(node: Node, selector: string): boolean {
  if (node.nodeType !== 1) return false;
  const el = node as Element;
  return el.matches(selector) || el.querySelector(selector) !== null;
}
