import { hasPlayingVideo, isPlaying, mostVisible } from '../lib/most-visible';
import { cleanTitle, httpsUrl, metaForClip, nearest } from '../lib/page-meta';
import { pathSegments } from '../lib/path-segments';
import { watchPage } from '../lib/watch-page';
import type { ClipInfo, CurrentClip, SiteAdapter } from './types';

type ClipRef = Pick<ClipInfo, 'site' | 'clipId' | 'url'>;

// Same rules as the server's resolver (server/clips/resolve.ts): a link it would refuse is no clip.
const HANDLE = /^[a-z0-9_.]{1,32}$/i;
const CLIP_ID = /^[1-9]\d{0,19}$/;
const FEED_ITEM = '[data-e2e="recommend-list-item-container"]';
const PLAYER = '[id^="xgwrapper-"]';
// `xgwrapper-<n>-<clip id>`: the player wrapper is the only place a feed item names its clip.
const PLAYER_ID = /^xgwrapper-\d+-(\d+)$/;
/** Feed pages: scrolling them changes the clip but never the address. */
const FEEDS = new Set(['', 'foryou', 'following', 'friends']);

export function isTikTokHost(url: URL): boolean {
  const host = url.hostname.replace(/\.$/, '');
  return url.port === '' && (host === 'tiktok.com' || host.endsWith('.tiktok.com'));
}

/** The clip a TikTok page address names (`/@handle/video/<id>` and the handle-less shapes). */
export function tiktokClipFromUrl(url: URL): ClipRef | null {
  if (!isTikTokHost(url)) return null;
  const segments = pathSegments(url);
  const [first, second, third] = segments;
  const kind = second?.toLowerCase();
  if (first?.startsWith('@') && (kind === 'video' || kind === 'photo') && segments.length <= 3) {
    const handle = first.slice(1);
    if (!HANDLE.test(handle) || !CLIP_ID.test(third ?? '')) return null;
    return clipRef(handle, third!, kind);
  }
  const host = url.hostname.replace(/\.$/, '');
  if (host === 'm.tiktok.com' && first?.toLowerCase() === 'v' && segments.length <= 2) {
    const id = second?.replace(/\.html$/i, '') ?? '';
    return CLIP_ID.test(id) ? clipRef('_', id) : null;
  }
  if (first?.toLowerCase() === 'embed') {
    const v2 = second?.toLowerCase() === 'v2';
    const id = (v2 ? third : second) ?? '';
    if (segments.length <= (v2 ? 3 : 2) && CLIP_ID.test(id)) return clipRef('_', id);
  }
  return null;
}

/** `@_` stands for an unknown handle: TikTok serves `/@_/video/<id>` for any id. */
function clipRef(handle: string, id: string, kind = 'video'): ClipRef {
  return {
    site: 'tiktok',
    clipId: id,
    url: `https://www.tiktok.com/@${handle.toLowerCase()}/${kind}/${id}`,
  };
}

function playerClipId(player: Element): string | null {
  return PLAYER_ID.exec(player.id)?.[1] ?? null;
}

/** The author's handle of a feed item, from the avatar link (`/@handle`), else its name tag. */
export function feedItemHandle(item: Element): string | null {
  const href = item.querySelector('a[data-e2e="video-author-avatar"]')?.getAttribute('href');
  if (href) {
    try {
      const first = pathSegments(new URL(href, 'https://www.tiktok.com/'))[0];
      if (first?.startsWith('@') && HANDLE.test(first.slice(1))) return first.slice(1);
    } catch {
      // fall through to the name tag
    }
  }
  const tag = item.querySelector('[data-e2e="video-author-uniqueid"]')?.textContent?.trim();
  const handle = tag?.replace(/^@/, '');
  return handle && HANDLE.test(handle) ? handle : null;
}

/** The For You (or Following) item on screen: the address never says which one it is. */
export function feedClip(doc: Document): CurrentClip | null {
  const item = mostVisible(doc.querySelectorAll(FEED_ITEM));
  const player = item?.querySelector<HTMLElement>(PLAYER);
  const id = player && playerClipId(player);
  const video = player?.querySelector('video') ?? item?.querySelector('video');
  if (!item || !player || !id || !CLIP_ID.test(id) || !video) return null;
  const ref = clipRef(feedItemHandle(item) ?? '_', id);
  return {
    clip: {
      ...ref,
      title: cleanTitle(item.querySelector('[data-e2e="video-desc"]')?.textContent),
      thumbnailUrl: thumbnail(video, player),
    },
    video,
    anchor: player,
    author: feedItemHandle(item),
  };
}

/**
 * A video page, or a clip opened from the feed (a modal over it, with the clip's address
 * pushed): the address names the clip, the player whose wrapper carries its id shows it.
 */
export function videoPageClip(doc: Document, ref: ClipRef): CurrentClip | null {
  const players = [...doc.querySelectorAll<HTMLElement>(PLAYER)].filter(
    (el) => playerClipId(el) === ref.clipId,
  );
  const player = mostVisible(players, { preferred: hasPlayingVideo });
  // Without a player naming the clip, only a playing video can be trusted to be it: a photo post
  // opened over the feed leaves the paused feed videos on the page.
  const video =
    player?.querySelector('video') ??
    mostVisible([...doc.querySelectorAll('video')].filter(isPlaying));
  if (!video) return null;
  const anchor = player ?? video.closest<HTMLElement>(PLAYER) ?? video.parentElement ?? video;
  const meta = metaForClip(doc, (url) => tiktokClipFromUrl(url)?.clipId === ref.clipId);
  return {
    clip: {
      ...ref,
      title: cleanTitle(nearest(anchor, '[data-e2e="browse-video-desc"]')?.textContent),
      thumbnailUrl: thumbnail(video, anchor) ?? meta.image,
    },
    video,
    anchor,
    author:
      urlHandle(ref) ?? cleanTitle(nearest(anchor, '[data-e2e="browse-username"]')?.textContent),
  };
}

/** The handle a clip's address names, unless it is the `@_` stand-in. */
function urlHandle(ref: ClipRef): string | null {
  const handle = /\/@([^/]+)\//.exec(ref.url)?.[1];
  return handle && handle !== '_' ? handle : null;
}

/** The poster TikTok paints in the player before the video starts, when it is an https link. */
function thumbnail(video: HTMLVideoElement, player: Element): string | null {
  const base = video.ownerDocument.baseURI;
  return (
    httpsUrl(video.getAttribute('poster'), base) ??
    httpsUrl(player.querySelector('img[src]')?.getAttribute('src'), base)
  );
}

export const tiktok: SiteAdapter = {
  name: 'tiktok',
  matches(url) {
    if (!isTikTokHost(url)) return false;
    const segments = pathSegments(url);
    return (
      tiktokClipFromUrl(url) !== null ||
      (segments.length <= 1 && FEEDS.has(segments[0]?.toLowerCase() ?? ''))
    );
  },
  current(doc, url) {
    const ref = tiktokClipFromUrl(url);
    return ref ? videoPageClip(doc, ref) : feedClip(doc);
  },
  watch(doc, onChange, signal) {
    watchPage(doc, onChange, signal, { items: `${FEED_ITEM}, ${PLAYER}` });
  },
};

/*
Test URLs

https://www.tiktok.com/
https://www.tiktok.com/foryou
https://www.tiktok.com/foryou?lang=en
https://www.tiktok.com/following
https://www.tiktok.com/@scout2015/video/6718335390845095173
https://www.tiktok.com/@scout2015/video/6718335390845095173?is_from_webapp=1&sender_device=pc
https://www.tiktok.com/@food.lab_/photo/7301234567890123456
https://m.tiktok.com/@scout2015/video/6718335390845095173
https://m.tiktok.com/v/6718335390845095173.html
https://www.tiktok.com/embed/v2/6718335390845095173
*/
