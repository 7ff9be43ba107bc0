import { cleanWebUrl } from '../../shared/clean-web-url';
import { mostVisibleVideo } from '../lib/most-visible';
import { cleanTitle, pageMeta } from '../lib/page-meta';
import { watchPage } from '../lib/watch-page';
import { instagramClipFromUrl, isInstagramHost } from './instagram-reels';
import { isTikTokHost, tiktokClipFromUrl } from './tiktok';
import type { ClipInfo, SiteAdapter } from './types';
import { isYouTubeHost, youtubeClipFromUrl } from './youtube-shorts';

type ClipRef = Pick<ClipInfo, 'site' | 'clipId' | 'url'>;

const MAX_URL = 2048;
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** Whether the server accepts this host name (a single-label name means a different machine to every friend). */
function isValidHost(hostname: string): boolean {
  if (hostname.startsWith('[') || IPV4.test(hostname)) return true;
  const name = hostname.replace(/\.$/, '');
  const labels = name.split('.');
  if (name.length > 253 || labels.length < 2 || /^\d+$/.test(labels[labels.length - 1]!)) {
    return false;
  }
  return labels.every((label) => DNS_LABEL.test(label));
}

/** Any web page as the server names it: without fragment and tracking parameters. */
export function webClipFromUrl(url: URL): ClipRef | null {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (url.username !== '' || url.password !== '' || !isValidHost(url.hostname)) return null;
  // Cleaned as the server cleans it: the rules live in one module both import.
  const canonical = cleanWebUrl(url);
  if (canonical.length > MAX_URL) return null;
  return { site: 'web', clipId: canonical, url: canonical };
}

function isKnownSite(url: URL): boolean {
  return isTikTokHost(url) || isYouTubeHost(url) || isInstagramHost(url);
}

function knownClipFromUrl(url: URL): ClipRef | null {
  return tiktokClipFromUrl(url) ?? youtubeClipFromUrl(url) ?? instagramClipFromUrl(url);
}

/** The clip any address names, as the server would resolve it; null when it would refuse it. */
export function clipFromUrl(url: URL): ClipRef | null {
  return isKnownSite(url) ? knownClipFromUrl(url) : webClipFromUrl(url);
}

/**
 * Which clip a page shows. Where the address itself names a TikTok, YouTube or Instagram clip,
 * it wins: those apps leave `<link rel=canonical>` on the first page after navigating. Elsewhere
 * the page's own canonical address, then `og:url`, then the address.
 */
export function pageClip(doc: Document, url: URL): ClipRef | null {
  if (isKnownSite(url)) return knownClipFromUrl(url);
  const meta = pageMeta(doc);
  for (const href of [meta.canonical, meta.ogUrl]) {
    const ref = href ? clipFromUrl(new URL(href)) : null;
    if (ref) return ref;
  }
  return webClipFromUrl(url);
}

export const generic: SiteAdapter = {
  name: 'generic',
  matches(url) {
    // A TikTok, YouTube or Instagram page that names no clip (a home page, a profile) has
    // nothing to talk about, whatever video previews play on it.
    return isKnownSite(url) ? knownClipFromUrl(url) !== null : webClipFromUrl(url) !== null;
  },
  current(doc, url) {
    const video = mostVisibleVideo(doc);
    const ref = video && pageClip(doc, url);
    if (!video || !ref) return null;
    const meta = pageMeta(doc);
    return {
      clip: {
        ...ref,
        title: meta.title ?? cleanTitle(doc.title),
        thumbnailUrl: meta.image,
      },
      video,
      anchor: video,
      author: cleanTitle(
        doc.querySelector('meta[name="author" i][content]')?.getAttribute('content')?.slice(0, 200),
      ),
    };
  },
  watch(doc, onChange, signal) {
    watchPage(doc, onChange, signal);
  },
};

/*
Test URLs

https://vimeo.com/76979871
https://www.dailymotion.com/video/x8abc12
https://www.bbc.co.uk/news/videos/c4gd0v5q1ndo
https://www.youtube.com/watch?v=dQw4w9WgXcQ
https://www.example.com/clips/sunset-timelapse?utm_source=newsletter
*/
