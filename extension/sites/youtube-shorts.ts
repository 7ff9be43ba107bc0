import { isPlaying, mostVisible, mostVisibleVideo } from '../lib/most-visible';
import { cleanTitle, metaForClip } from '../lib/page-meta';
import { pathSegments } from '../lib/path-segments';
import { watchPage } from '../lib/watch-page';
import type { ClipInfo, CurrentClip, SiteAdapter } from './types';

type ClipRef = Pick<ClipInfo, 'site' | 'clipId' | 'url'>;

// Same rules as the server's resolver (server/clips/resolve.ts).
const VIDEO_ID = /^[A-Za-z0-9_-]{11}$/;
const RENDERER = 'ytd-reel-video-renderer';
const TITLE = 'h2.ytShortsVideoTitleViewModelShortsVideoTitle, yt-shorts-video-title-view-model';
const CHANNEL = '.ytReelChannelBarViewModelChannelName a';

export function isYouTubeHost(url: URL): boolean {
  const host = url.hostname.replace(/\.$/, '');
  return (
    url.port === '' &&
    (host === 'youtube.com' ||
      host.endsWith('.youtube.com') ||
      host === 'youtube-nocookie.com' ||
      host === 'www.youtube-nocookie.com' ||
      host === 'youtu.be' ||
      host === 'www.youtu.be')
  );
}

/** The video a YouTube address names: `/shorts/<id>`, and also `/watch?v=`, `/embed/`, youtu.be. */
export function youtubeClipFromUrl(url: URL): ClipRef | null {
  if (!isYouTubeHost(url)) return null;
  const host = url.hostname.replace(/\.$/, '');
  const segments = pathSegments(url);
  const [first, second] = segments;
  const route = first?.toLowerCase();
  if (host === 'youtu.be' || host === 'www.youtu.be') {
    return segments.length === 1 ? clipRef(first) : null;
  }
  if (host.includes('youtube-nocookie')) {
    return route === 'embed' && segments.length <= 2 ? clipRef(second) : null;
  }
  if (route === 'shorts' && segments.length === 2) return clipRef(second);
  if (route === 'watch' && segments.length === 1) return clipRef(url.searchParams.get('v'));
  // A playlist embed's 11-letter name would pass for a video id.
  if (route === 'embed' && segments.length <= 2 && second !== 'videoseries') return clipRef(second);
  return null;
}

function clipRef(id: string | null | undefined): ClipRef | null {
  if (!id || !VIDEO_ID.test(id)) return null;
  return { site: 'youtube', clipId: id, url: `https://www.youtube.com/shorts/${id}` };
}

/**
 * The renderer of the short on screen: older builds keep one per item and mark the current one
 * `is-active`; newer ones render a single renderer inside `#reel-overlay-container`.
 */
export function activeRenderer(doc: Document): HTMLElement | null {
  return (
    mostVisible(doc.querySelectorAll<HTMLElement>(`${RENDERER}[is-active]`)) ??
    doc.querySelector<HTMLElement>(`#reel-overlay-container ${RENDERER}`)
  );
}

/**
 * The short on screen. The id comes from the address: YouTube pushes `/shorts/<id>` on every
 * swipe while `<link rel=canonical>`, `og:url` and `ytInitialPlayerResponse` stay on the first.
 */
export function shortsClip(doc: Document, ref: ClipRef): CurrentClip | null {
  const renderer = activeRenderer(doc);
  // One shared player moves from short to short.
  const video =
    doc.querySelector<HTMLVideoElement>('#shorts-player video.html5-main-video') ??
    renderer?.querySelector('video') ??
    mostVisible([...doc.querySelectorAll('video')].filter(isPlaying)) ??
    mostVisibleVideo(renderer ?? doc);
  if (!video) return null;
  const anchor =
    video.closest<HTMLElement>('#shorts-player, .html5-video-player') ??
    renderer?.querySelector<HTMLElement>('#player-container') ??
    video.parentElement ??
    video;
  // Inactive renderers hold their own titles: look only in the active one.
  const scopes = [renderer, doc.querySelector('#reel-overlay-container')];
  const heading = scopes.map((scope) => scope?.querySelector(TITLE)).find(Boolean);
  const channel = scopes.map((scope) => scope?.querySelector(CHANNEL)).find(Boolean);
  const meta = metaForClip(doc, (url) => youtubeClipFromUrl(url)?.clipId === ref.clipId);
  return {
    clip: {
      ...ref,
      title: cleanTitle(heading?.textContent) ?? meta.title,
      // Every video has this one, and it follows the id rather than a stale og:image.
      thumbnailUrl: `https://i.ytimg.com/vi/${ref.clipId}/hqdefault.jpg`,
    },
    video,
    anchor,
    author: cleanTitle(channel?.textContent),
  };
}

function shortsRef(url: URL): ClipRef | null {
  return pathSegments(url)[0]?.toLowerCase() === 'shorts' ? youtubeClipFromUrl(url) : null;
}

export const youtubeShorts: SiteAdapter = {
  name: 'youtube-shorts',
  matches(url) {
    return isYouTubeHost(url) && pathSegments(url)[0]?.toLowerCase() === 'shorts';
  },
  current(doc, url) {
    const ref = shortsRef(url);
    return ref ? shortsClip(doc, ref) : null;
  },
  watch(doc, onChange, signal) {
    watchPage(doc, onChange, signal, {
      items: `${RENDERER}, #shorts-player`,
      attributes: ['is-active'],
      events: ['yt-navigate-finish'],
    });
  },
};

/*
Test URLs

https://www.youtube.com/shorts/dQw4w9WgXcQ
https://www.youtube.com/shorts/dQw4w9WgXcQ?feature=share
https://m.youtube.com/shorts/dQw4w9WgXcQ
https://youtube.com/shorts/aqz-KE-bpKQ?si=Ab12Cd34Ef56Gh78
https://www.youtube.com/shorts/
*/
