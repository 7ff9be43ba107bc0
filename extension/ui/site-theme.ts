import { signal as createSignal, effect, type ReadonlySignal } from '@preact/signals';
import type { CurrentClip } from '../sites/types';

export type Theme = 'light' | 'dark';

/** Relative luminance (0 black … 1 white) of a CSS color, or null when it is see-through. */
export function luminance(color: string): number | null {
  const m = /rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)(?:[\s,/]+([\d.]+%?))?\s*\)/.exec(color);
  if (!m) return null;
  const alpha =
    m[4] === undefined ? 1 : m[4].endsWith('%') ? Number.parseFloat(m[4]) / 100 : Number(m[4]);
  if (alpha < 0.5) return null;
  const [r, g, b] = [m[1], m[2], m[3]].map((v) => {
    const c = Number(v) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/**
 * The look of the page around the video: the background of the page itself (body, then html),
 * not of the player, which is black on every site. Null when the page paints none, so the
 * overlay follows `prefers-color-scheme`.
 */
export function siteTheme(doc: Document): Theme | null {
  const win = doc.defaultView;
  if (!win) return null;
  for (const el of [doc.body, doc.documentElement]) {
    if (!el) continue;
    const l = luminance(win.getComputedStyle(el).backgroundColor);
    if (l !== null) return l < 0.2 ? 'dark' : 'light';
  }
  const scheme = win.getComputedStyle(doc.documentElement).colorScheme;
  if (scheme === 'dark') return 'dark';
  return null;
}

/** A `<link>` or `<style>` element: its `load` can change the page's look. */
export function isStylesheet(target: EventTarget | null): boolean {
  const name = (target as Element | null)?.localName;
  return name === 'link' || name === 'style';
}

/**
 * Follows the page's look: sites switch themes by toggling attributes on html/body (YouTube's
 * `dark`, TikTok's `data-theme`), so those and clip changes trigger a new look. Stops with
 * `signal`.
 */
export function watchSiteTheme(
  doc: Document,
  clip: ReadonlySignal<CurrentClip | null>,
  signal: AbortSignal,
): ReadonlySignal<Theme | null> {
  const theme = createSignal<Theme | null>(siteTheme(doc));
  const update = () => {
    theme.value = siteTheme(doc);
  };
  const observer = new MutationObserver(update);
  observer.observe(doc.documentElement, {
    attributes: true,
    attributeFilter: ['class', 'style', 'dark', 'data-theme'],
  });
  if (doc.body)
    observer.observe(doc.body, {
      attributes: true,
      attributeFilter: ['class', 'style', 'data-theme'],
    });
  const media = doc.defaultView?.matchMedia?.('(prefers-color-scheme: dark)');
  media?.addEventListener('change', update, { signal });
  // The overlay can start while the page is still loading (it mounts as soon as the video is
  // parsed): look again when a stylesheet arrives and when the page has loaded.
  doc.addEventListener('load', (event) => isStylesheet(event.target) && update(), {
    capture: true,
    signal,
  });
  doc.defaultView?.addEventListener('load', update, { once: true, signal });
  const stop = effect(() => {
    clip.value;
    update();
  });
  signal.addEventListener('abort', () => {
    observer.disconnect();
    stop();
  });
  return theme;
}
