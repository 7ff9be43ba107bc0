import { mostVisible, mostVisibleVideo } from '../lib/most-visible';
import { cleanTitle, httpsUrl, metaForClip } from '../lib/page-meta';
import { pathSegments } from '../lib/path-segments';
import { watchPage } from '../lib/watch-page';
import type { ClipInfo, CurrentClip, SiteAdapter } from './types';

type ClipRef = Pick<ClipInfo, 'site' | 'clipId' | 'url'>;

// Same rules as the server's resolver (server/clips/resolve.ts).
const CODE = /^[A-Za-z0-9_-]{5,64}$/;
const USER = /^[a-z0-9_.]{1,30}$/i;

export function isInstagramHost(url: URL): boolean {
  const host = url.hostname.replace(/\.$/, '');
  return (
    url.port === '' &&
    (host === 'instagram.com' || host === 'www.instagram.com' || host === 'm.instagram.com')
  );
}

/** Route and code of an Instagram address: `/reel/<code>/`, `/reels/<code>/`, `/p/<code>/`, … */
function route(url: URL): { route: string; code: string | undefined; rest: string[] } | null {
  if (!isInstagramHost(url)) return null;
  const segments = pathSegments(url);
  // `/<user>/reel/<code>/` and `/<user>/p/<code>/` name the same media as the short forms.
  const [first, second] = segments;
  const withUser =
    segments.length >= 2 && USER.test(first!) && ['reel', 'p'].includes(second!.toLowerCase());
  const [name, code, ...rest] = withUser ? segments.slice(1) : segments;
  return name === undefined ? null : { route: name.toLowerCase(), code, rest };
}

/** The reel or post an Instagram address names. */
export function instagramClipFromUrl(url: URL): ClipRef | null {
  const parts = route(url);
  if (!parts || !['reel', 'reels', 'p'].includes(parts.route)) return null;
  const embed = parts.rest.map((part) => part.toLowerCase()).join('/');
  if (embed !== '' && embed !== 'embed' && embed !== 'embed/captioned') return null;
  if (!parts.code || !CODE.test(parts.code)) return null;
  const shape = parts.route === 'p' ? 'p' : 'reel';
  return {
    site: 'instagram',
    clipId: parts.code,
    url: `https://www.instagram.com/${shape}/${parts.code}/`,
  };
}

/** The `/reels/` feed before Instagram has put the first reel's code in the address. */
function isReelsFeed(url: URL): boolean {
  const parts = route(url);
  return parts?.route === 'reels' && parts.code === undefined;
}

/** Paths of Instagram's own pages, which look like a profile's `/<user>/`. */
const NOT_PROFILES = new Set(['reels', 'reel', 'explore', 'direct', 'accounts', 'stories', 'p']);

/**
 * The author of the reel around `video`: the nearest link to a profile (`/<user>/`). Reels carry
 * no labelled author element, so this is only for the diagnostics the popup shows.
 */
export function reelAuthor(video: Element): string | null {
  let el: Element | null = video.parentElement;
  for (let depth = 0; el && depth < 6; depth++, el = el.parentElement) {
    for (const link of el.querySelectorAll('a[href]')) {
      const match = /^\/([^/?#]+)\/?$/.exec(link.getAttribute('href') ?? '');
      const user = match?.[1];
      if (user && USER.test(user) && !NOT_PROFILES.has(user.toLowerCase())) return user;
    }
  }
  return null;
}

/**
 * The reel on screen. Its code comes from the address, which Instagram replaces about 100 ms after
 * the next reel scrolls in (there is no per-reel link to read); the video is the visible playing
 * one. A post opened over a page shows in a dialog, which then holds the video.
 */
export function reelClip(doc: Document, ref: ClipRef): CurrentClip | null {
  const dialogs = [...doc.querySelectorAll('[role="dialog"]')].filter((d) =>
    d.querySelector('video'),
  );
  const root = mostVisible(dialogs) ?? doc.querySelector('main[role="main"]') ?? doc;
  const video = mostVisibleVideo(root);
  if (!video) return null;
  const meta = metaForClip(doc, (url) => instagramClipFromUrl(url)?.clipId === ref.clipId);
  return {
    clip: {
      ...ref,
      title: cleanTitle(meta.title),
      thumbnailUrl: meta.image ?? httpsUrl(video.getAttribute('poster'), doc.baseURI),
    },
    video,
    // On pages whose wrappers lose their size this may be empty; the dock then finds a box of
    // the video's size (extension/ui/dock-target.ts).
    anchor: video.parentElement ?? video,
    author: reelAuthor(video),
  };
}

export const instagramReels: SiteAdapter = {
  name: 'instagram-reels',
  matches(url) {
    return instagramClipFromUrl(url) !== null || isReelsFeed(url);
  },
  current(doc, url) {
    const ref = instagramClipFromUrl(url);
    return ref ? reelClip(doc, ref) : null;
  },
  watch(doc, onChange, signal) {
    watchPage(doc, onChange, signal, { items: 'main[role="main"], [role="dialog"]' });
  },
};

/*
Test URLs

https://www.instagram.com/reels/
https://www.instagram.com/reels/C1a2B3c4D5e/
https://www.instagram.com/reel/C1a2B3c4D5e/
https://www.instagram.com/reel/C1a2B3c4D5e/?igsh=MXR2bWx4c2VqZ2Fhbw==
https://www.instagram.com/p/C1a2B3c4D5e/
https://www.instagram.com/scout2015/reel/C1a2B3c4D5e/
https://www.instagram.com/reel/C1a2B3c4D5e/embed/captioned/
*/
