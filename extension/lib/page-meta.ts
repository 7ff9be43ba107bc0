/** What the server keeps of a title (`clipTitleSchema`): longer ones are cut here, not refused. */
export const MAX_TITLE = 300;
const MAX_URL = 2048;

/** What a page's head says about itself. Single-page apps leave these on the first page shown. */
export interface PageMeta {
  /** `<link rel="canonical">`, absolute. */
  canonical: string | null;
  /** `og:url`, absolute. */
  ogUrl: string | null;
  /** `og:title`, cleaned. */
  title: string | null;
  /** `og:image` (or its `secure_url`) when it is an https link. */
  image: string | null;
}

export function pageMeta(doc: Document): PageMeta {
  const canonical = doc.querySelector<HTMLLinkElement>('link[rel~="canonical" i][href]');
  return {
    canonical: absoluteUrl(canonical?.getAttribute('href'), doc.baseURI),
    ogUrl: absoluteUrl(metaContent(doc, 'og:url'), doc.baseURI),
    title: cleanTitle(metaContent(doc, 'og:title')),
    image:
      httpsUrl(metaContent(doc, 'og:image:secure_url'), doc.baseURI) ??
      httpsUrl(metaContent(doc, 'og:image'), doc.baseURI),
  };
}

/**
 * The og title and image, only when the page's own canonical address (or `og:url`) names the
 * clip on screen: after a single-page navigation they still describe the first clip.
 */
export function metaForClip(
  doc: Document,
  isThisClip: (url: URL) => boolean,
): { title: string | null; image: string | null } {
  const meta = pageMeta(doc);
  const fresh = [meta.canonical, meta.ogUrl].some((href) => href && isThisClip(new URL(href)));
  return fresh ? { title: meta.title, image: meta.image } : { title: null, image: null };
}

function metaContent(doc: Document, key: string): string | null {
  const el = doc.querySelector(`meta[property="${key}"][content], meta[name="${key}"][content]`);
  return el?.getAttribute('content') ?? null;
}

/** Text as a one-line title the server accepts, or null when there is none. */
export function cleanTitle(text: string | null | undefined): string | null {
  const line = (text ?? '').replace(/\s+/g, ' ').trim();
  if (line === '') return null;
  if (line.length <= MAX_TITLE) return line;
  let cut = line.slice(0, MAX_TITLE - 1).trimEnd();
  // Never end on half of a surrogate pair (an emoji cut in two).
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** An absolute http(s) address, or null. */
export function absoluteUrl(value: string | null | undefined, base: string): string | null {
  if (!value) return null;
  try {
    const url = new URL(value.trim(), base);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

/** An absolute https address the server accepts as a thumbnail, or null. */
export function httpsUrl(value: string | null | undefined, base: string): string | null {
  const href = absoluteUrl(value, base);
  return href?.startsWith('https:') && href.length <= MAX_URL ? href : null;
}

/**
 * The first match of `selector` near `from`: inside its closest ancestor that holds one. Captions
 * and titles sit beside the player, never inside it.
 */
export function nearest(from: Element, selector: string): Element | null {
  for (let el: Element | null = from; el; el = el.parentElement) {
    const found = el.querySelector(selector);
    if (found) return found;
  }
  return null;
}
