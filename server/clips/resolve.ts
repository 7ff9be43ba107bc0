import { cleanWebUrl } from '../../shared/clean-web-url';

export type ClipSite = 'tiktok' | 'youtube' | 'instagram' | 'web';

export interface ResolvedClip {
  site: ClipSite;
  /** Stable per site: `(site, clipId)` names one clip whichever link shape was pasted. */
  clipId: string;
  /** Canonical link to the clip. */
  url: string;
}

export class ClipUrlError extends Error {
  override readonly name = 'ClipUrlError';
}

export const MAX_CLIP_URL_LENGTH = 2048;

const ACCEPTED =
  'Paste a full http(s) link to a TikTok video, a YouTube Short, an Instagram reel or post, or any web page.';

function fail(problem: string): never {
  throw new ClipUrlError(`${problem} ${ACCEPTED}`);
}

/** Shows a fragment of user input in an error without flooding the message. */
function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

// Controls, invisible formatting (bidi overrides, zero-width joiners, soft hyphens), every kind of
// space and lone surrogates. The URL parser silently drops tabs and newlines and IDNA silently drops
// some of these from host names, so a link containing them is never what it looks like.
const HIDDEN_CHAR = /[\p{Cc}\p{Cf}\p{Z}\p{Cs}]/u;

const LABEL = '[\\p{L}\\p{N}](?:[\\p{L}\\p{N}-]*[\\p{L}\\p{N}])?';
// `www.tiktok.com/@a/video/1`, `youtu.be/x`, `example.com:8080/…`: a dotted host name, then a path.
const SCHEMELESS_HOST = new RegExp(`^(?:${LABEL}\\.)+(${LABEL})\\.?(?::\\d{1,5})?(?:[/?#]|$)`, 'u');
const IPV4_PREFIX = /^\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?(?:[/?#]|$)/;
const SCHEME = /^([a-z][a-z0-9+.-]*):/i;
const HTTP_PREFIX = /^https?:\/\//i;

const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/**
 * Resolves a pasted or detected link to the clip it shows: TikTok, YouTube and Instagram links of
 * every common shape collapse to one `(site, clipId)`; any other http(s) page becomes a `web` clip
 * named by its cleaned-up URL. Pure: no network, so short links that need a redirect to expand
 * (vm.tiktok.com) keep their short code as the id.
 */
export function resolveClipUrl(input: string): ResolvedClip {
  const url = parseHttpUrl(input);
  const host = url.hostname.replace(/\.$/, '');
  // A non-default port is not the real site, whatever the host name says.
  const onSiteHost = url.port === '';
  const segments = url.pathname.split('/').filter(Boolean).map(decodeSegment);

  const clip =
    (onSiteHost && isTikTokHost(host) && resolveTikTok(host, segments)) ||
    (onSiteHost && isYouTubeHost(host) && resolveYouTube(host, segments, url.searchParams)) ||
    (onSiteHost && isInstagramHost(host) && resolveInstagram(segments)) ||
    undefined;
  if (clip) return clip;

  // Any other page: its address cleaned as the extension cleans it (one shared module).
  const canonical = cleanWebUrl(url);
  if (canonical.length > MAX_CLIP_URL_LENGTH) {
    fail(`This link is longer than ${MAX_CLIP_URL_LENGTH} characters once encoded.`);
  }
  return { site: 'web', clipId: canonical, url: canonical };
}

function parseHttpUrl(input: string): URL {
  if (typeof input !== 'string') fail('The link must be text.');
  const text = input.trim();
  if (text === '') fail('The link is empty.');
  if (text.length > MAX_CLIP_URL_LENGTH) {
    fail(`This link is ${text.length} characters long; the limit is ${MAX_CLIP_URL_LENGTH}.`);
  }
  const hidden = HIDDEN_CHAR.exec(text);
  if (hidden) {
    const code = hidden[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    fail(
      `This link contains a space or an invisible character (U+${code} at position ${hidden.index + 1}); ` +
        'paste the link on its own.',
    );
  }
  if (text.startsWith('//'))
    fail('This link has no scheme: it must start with https:// or http://.');

  let candidate = text;
  // The top-level label must hold a letter, or `3.14` would pass for an address.
  const topLabel = SCHEMELESS_HOST.exec(text)?.[1];
  if ((topLabel !== undefined && /\p{L}/u.test(topLabel)) || IPV4_PREFIX.test(text)) {
    candidate = `https://${text}`;
  } else {
    const scheme = SCHEME.exec(text)?.[1]?.toLowerCase();
    if (scheme === undefined) fail(`${quote(text)} is not a link.`);
    if (scheme !== 'http' && scheme !== 'https') {
      fail(`Links starting with "${scheme.slice(0, 20)}:" are not accepted.`);
    }
    // The URL parser repairs `https:/host` and `https:///host`; a link that needs repair is not
    // one a user meant, so ask for the real thing.
    if (!HTTP_PREFIX.test(text)) fail(`${quote(text)} is missing the "//" after "${scheme}:".`);
  }

  const afterScheme = candidate.slice(candidate.indexOf('//') + 2);
  const authorityEnd = afterScheme.search(/[/?#\\]/);
  const authority = authorityEnd === -1 ? afterScheme : afterScheme.slice(0, authorityEnd);
  if (authority === '') fail('This link has no host name.');
  // `https://www.tiktok.com@evil.com` and `https://evil.com\@tiktok.com` disguise their real host.
  if (authority.includes('@')) fail('Links with a user name or password in them are not accepted.');
  if (afterScheme[authorityEnd] === '\\') fail('This link has a backslash after its host name.');

  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    fail(`${quote(text)} is not a valid link.`);
  }
  if (url.username !== '' || url.password !== '') {
    fail('Links with a user name or password in them are not accepted.');
  }
  if (!isValidHost(url.hostname)) fail(`${quote(url.hostname)} is not a valid host name.`);
  // The URL parser reads `1.2.3`, `0x7f.1`, `010.0.0.1` and `2130706433` as IPv4 addresses; only
  // the plain dotted form is one a person would recognise.
  const typedHost = authority.replace(/:\d*$/, '').replace(/\.$/, '');
  if (IPV4.test(url.hostname) && typedHost !== url.hostname.replace(/\.$/, '')) {
    fail(`${quote(typedHost)} is not a valid host name or IP address.`);
  }
  return url;
}

function isValidHost(hostname: string): boolean {
  if (hostname.startsWith('[')) return true; // IPv6 literal, already validated by the URL parser
  if (IPV4.test(hostname)) return true; // normalized by the URL parser, octets are in range
  const name = hostname.replace(/\.$/, '');
  if (name.length > 253) return false;
  const labels = name.split('.');
  // A single-label name (`localhost`, `intranet`) means a different machine to every friend.
  if (labels.length < 2) return false;
  if (/^\d+$/.test(labels[labels.length - 1]!)) return false;
  return labels.every((label) => DNS_LABEL.test(label));
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

// --- TikTok -------------------------------------------------------------------------------------

const TIKTOK_HANDLE = /^[a-z0-9_.]{1,32}$/i;
const TIKTOK_ID = /^[1-9]\d{0,19}$/;
const TIKTOK_SHORT_CODE = /^[A-Za-z0-9_-]{3,32}$/;

function isTikTokHost(host: string): boolean {
  return host === 'tiktok.com' || host.endsWith('.tiktok.com');
}

function resolveTikTok(host: string, segments: string[]): ResolvedClip | undefined {
  const [first, second, third] = segments;
  const kind = second?.toLowerCase();

  if (first?.startsWith('@') && (kind === 'video' || kind === 'photo') && segments.length <= 3) {
    const handle = first.slice(1);
    if (!TIKTOK_HANDLE.test(handle)) fail(`${quote(first)} is not a valid TikTok handle.`);
    const id = tiktokId(third);
    return {
      site: 'tiktok',
      clipId: id,
      url: `https://www.tiktok.com/@${handle.toLowerCase()}/${kind}/${id}`,
    };
  }

  // Handle-less shapes: the id alone names the clip, and TikTok serves `/@_/video/<id>` for any
  // id (the convention yt-dlp and others use).
  if (host === 'm.tiktok.com' && first?.toLowerCase() === 'v' && segments.length <= 2) {
    return tiktokById(tiktokId(second?.replace(/\.html$/i, '')));
  }
  if (first?.toLowerCase() === 'embed') {
    const id = second?.toLowerCase() === 'v2' ? third : second;
    if (segments.length <= (second?.toLowerCase() === 'v2' ? 3 : 2))
      return tiktokById(tiktokId(id));
  }

  const isShortHost = host === 'vm.tiktok.com' || host === 'vt.tiktok.com';
  const shortCode = isShortHost ? first : first?.toLowerCase() === 't' ? second : undefined;
  const shortSegments = isShortHost ? 1 : 2;
  if (shortCode !== undefined && segments.length === shortSegments) {
    if (!TIKTOK_SHORT_CODE.test(shortCode)) {
      fail(`${quote(shortCode)} is not a valid TikTok short-link code.`);
    }
    return {
      site: 'tiktok',
      clipId: `short:${shortCode}`,
      url: `https://vm.tiktok.com/${shortCode}/`,
    };
  }
  if (!isShortHost && first?.toLowerCase() === 't' && segments.length === 1) {
    fail('This TikTok short link is missing its code.');
  }
  return undefined;
}

function tiktokId(candidate: string | undefined): string {
  if (candidate === undefined || candidate === '')
    fail('This TikTok link is missing the video id.');
  if (!TIKTOK_ID.test(candidate)) {
    fail(`${quote(candidate)} is not a TikTok video id: TikTok ids are numbers.`);
  }
  return candidate;
}

function tiktokById(id: string): ResolvedClip {
  return { site: 'tiktok', clipId: id, url: `https://www.tiktok.com/@_/video/${id}` };
}

// --- YouTube ------------------------------------------------------------------------------------

const YOUTUBE_ID = /^[A-Za-z0-9_-]{11}$/;

function isYouTubeHost(host: string): boolean {
  return (
    host === 'youtube.com' ||
    host.endsWith('.youtube.com') ||
    host === 'youtube-nocookie.com' ||
    host === 'www.youtube-nocookie.com' ||
    host === 'youtu.be' ||
    host === 'www.youtu.be'
  );
}

function resolveYouTube(
  host: string,
  segments: string[],
  query: URLSearchParams,
): ResolvedClip | undefined {
  const [first, second] = segments;
  const route = first?.toLowerCase();

  if (host === 'youtu.be' || host === 'www.youtu.be') {
    return segments.length === 1 ? youtubeClip(first) : undefined;
  }
  if (host.includes('youtube-nocookie')) {
    return route === 'embed' && segments.length <= 2 ? youtubeClip(second) : undefined;
  }
  // `/shorts` alone is the Shorts feed, a page rather than a clip.
  if (route === 'shorts' && segments.length === 2) return youtubeClip(second);
  if (route === 'watch' && segments.length === 1) return youtubeClip(query.get('v') ?? undefined);
  if (route === 'embed' && segments.length <= 2) {
    // A playlist embed: its 11-letter name would pass for a video id.
    if (second === 'videoseries') return undefined;
    return youtubeClip(second);
  }
  return undefined;
}

function youtubeClip(id: string | undefined): ResolvedClip {
  if (id === undefined || id === '') fail('This YouTube link is missing the video id.');
  if (!YOUTUBE_ID.test(id)) {
    fail(`${quote(id)} is not a YouTube video id: ids are 11 letters, digits, "-" or "_".`);
  }
  return { site: 'youtube', clipId: id, url: `https://www.youtube.com/shorts/${id}` };
}

// --- Instagram ----------------------------------------------------------------------------------

const INSTAGRAM_CODE = /^[A-Za-z0-9_-]{5,64}$/;
const INSTAGRAM_USER = /^[a-z0-9_.]{1,30}$/i;

function isInstagramHost(host: string): boolean {
  return host === 'instagram.com' || host === 'www.instagram.com' || host === 'm.instagram.com';
}

function resolveInstagram(segments: string[]): ResolvedClip | undefined {
  // `/<user>/reel/<code>/` and `/<user>/p/<code>/` name the same media as the short forms.
  const [first, second] = segments;
  const withUser =
    segments.length >= 2 &&
    INSTAGRAM_USER.test(first!) &&
    ['reel', 'p'].includes(second!.toLowerCase());
  const [route, code, ...rest] = (withUser ? segments.slice(1) : segments).map((s, i) =>
    i === 0 ? s.toLowerCase() : s,
  );
  const embed = rest.map((part) => part.toLowerCase()).join('/');
  if (embed !== '' && embed !== 'embed' && embed !== 'embed/captioned') return undefined;
  // `/reels/` alone is the Reels feed, a page rather than a clip.
  if (route === 'reels' && code === undefined) return undefined;
  if (route !== 'reel' && route !== 'reels' && route !== 'p') return undefined;
  if (code === undefined) fail('This Instagram link is missing the reel or post code.');
  if (!INSTAGRAM_CODE.test(code))
    fail(`${quote(code)} is not a valid Instagram reel or post code.`);
  const shape = route === 'p' ? 'p' : 'reel';
  return { site: 'instagram', clipId: code, url: `https://www.instagram.com/${shape}/${code}/` };
}
