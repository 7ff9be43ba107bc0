import { TRPCError } from '@trpc/server';
import type { ResolvedClip } from '../clips/resolve';
import { resolveClipUrl } from '../clips/resolve';
import type { ChannelSite } from '../db/schema';

/** A channel on a video site: `handle` lower-case, without the `@`. */
export interface Channel {
  site: ChannelSite;
  handle: string;
}

const HANDLE: Record<ChannelSite, RegExp> = {
  tiktok: /^[a-z0-9_.]{1,32}$/i,
  youtube: /^[a-z0-9._-]{3,30}$/i,
  instagram: /^[a-z0-9._]{1,30}$/i,
};

/** Instagram paths that are pages of the site, not profiles. */
const INSTAGRAM_RESERVED = new Set([
  'p',
  'reel',
  'reels',
  'tv',
  'explore',
  'accounts',
  'stories',
  'direct',
  'about',
  'legal',
  'developer',
]);

export function validHandle(site: ChannelSite, handle: string): boolean {
  return HANDLE[site].test(handle);
}

function siteOf(host: string): ChannelSite | null {
  const h = host.toLowerCase().replace(/\.$/, '');
  const under = (d: string) => h === d || h.endsWith(`.${d}`);
  if (under('tiktok.com')) return 'tiktok';
  if (under('youtube.com')) return 'youtube';
  if (under('instagram.com')) return 'instagram';
  return null;
}

const badLink = (message: string) => new TRPCError({ code: 'BAD_REQUEST', message });
const ACCEPTED =
  'Paste a link to your profile (tiktok.com/@you, youtube.com/@you, instagram.com/you) or to one of your clips there.';

/**
 * What a pasted link says about a channel: the channel itself when the link names it (a
 * profile, or a TikTok `/@handle/video/…` clip), else the clip whose public page names it.
 */
export function parseChannelLink(
  input: string,
): { channel: Channel } | { clip: ResolvedClip & { site: ChannelSite } } {
  let url: URL;
  try {
    url = new URL(/^https?:\/\//i.test(input.trim()) ? input.trim() : `https://${input.trim()}`);
  } catch {
    throw badLink(`That is not a link. ${ACCEPTED}`);
  }
  const site = url.port === '' ? siteOf(url.hostname) : null;
  if (!site || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.username) {
    throw badLink(`Channels can be claimed on TikTok, YouTube and Instagram. ${ACCEPTED}`);
  }
  const segments = url.pathname.split('/').filter(Boolean);
  const first = segments[0] ?? '';
  const named = (handle: string) => {
    if (!validHandle(site, handle))
      throw badLink(`"${handle.slice(0, 40)}" is not a valid handle.`);
    return { channel: { site, handle: handle.toLowerCase() } };
  };
  if (site === 'tiktok' && first.startsWith('@') && first !== '@_') {
    if (segments.length === 1 || ['video', 'photo'].includes(segments[1]?.toLowerCase() ?? '')) {
      return named(first.slice(1));
    }
  }
  if (site === 'youtube' && first.startsWith('@')) return named(first.slice(1));
  if (
    site === 'instagram' &&
    segments.length === 1 &&
    !INSTAGRAM_RESERVED.has(first.toLowerCase())
  ) {
    return named(first);
  }
  let clip: ResolvedClip;
  try {
    clip = resolveClipUrl(url.toString());
  } catch {
    throw badLink(`That link is neither a profile nor a clip. ${ACCEPTED}`);
  }
  if (clip.site === 'web') throw badLink(`That link is neither a profile nor a clip. ${ACCEPTED}`);
  return { clip: clip as ResolvedClip & { site: ChannelSite } };
}

/** The channel a clip's link names, if it names one (TikTok's `/@handle/video/…`). */
export function channelFromClipUrl(clip: ResolvedClip): Channel | null {
  if (clip.site !== 'tiktok') return null;
  const match = /^https:\/\/www\.tiktok\.com\/@([^/]+)\/(?:video|photo)\//.exec(clip.url);
  const handle = match?.[1];
  if (!handle || handle === '_' || !validHandle('tiktok', handle)) return null;
  return { site: 'tiktok', handle: handle.toLowerCase() };
}

/** Where each site's clip page names its channel, most specific first. */
const PAGE_PATTERNS: Record<ChannelSite, RegExp[]> = {
  tiktok: [/"uniqueId"\s*:\s*"([a-z0-9_.]{1,32})"/i, /tiktok\.com\/@([a-z0-9_.]{1,32})\/video\//i],
  youtube: [
    /"canonicalBaseUrl"\s*:\s*"\/@([a-z0-9._-]{3,30})"/i,
    /<link itemprop="url" href="https?:\/\/www\.youtube\.com\/@([a-z0-9._-]{3,30})"/i,
  ],
  instagram: [
    /"owner"\s*:\s*\{[^{}]*?"username"\s*:\s*"([a-z0-9._]{1,30})"/i,
    /\(@([a-z0-9._]{1,30})\)/i,
  ],
};

/** The channel a clip's public page names, or null if it names none we recognise. */
export function channelFromClipPage(site: ChannelSite, html: string): Channel | null {
  if (site === 'instagram') return instagramOwner(html);
  for (const pattern of PAGE_PATTERNS[site]) {
    const handle = pattern.exec(html)?.[1];
    if (handle && validHandle(site, handle)) return { site, handle: handle.toLowerCase() };
  }
  return null;
}

/**
 * An Instagram post's data names its comments' authors as `owner`s too, so the post's owner is
 * the only `owner` named, or else the one its title names (`Name (@handle) …`); a page naming
 * several owners and no title says no channel rather than a commenter's.
 */
function instagramOwner(html: string): Channel | null {
  const [ownerPattern, titlePattern] = PAGE_PATTERNS.instagram;
  const owners = new Set<string>();
  for (const match of html.matchAll(new RegExp(ownerPattern!.source, 'gi'))) {
    const handle = match[1];
    if (handle && validHandle('instagram', handle)) owners.add(handle.toLowerCase());
  }
  const titled = titlePattern!.exec(html)?.[1]?.toLowerCase();
  const titleHandle = titled && validHandle('instagram', titled) ? titled : undefined;
  let handle: string | undefined;
  if (owners.size === 1) handle = [...owners][0];
  else if (owners.size === 0) handle = titleHandle;
  else if (titleHandle && owners.has(titleHandle)) handle = titleHandle;
  return handle ? { site: 'instagram', handle } : null;
}

/** The path of a channel's public profile page on its site. */
export function profilePath(channel: Channel): string {
  return channel.site === 'instagram' ? `/${channel.handle}/` : `/@${channel.handle}`;
}

/** The path of a clip's public page on its site (handle-less TikTok links go through `@_`). */
export function clipPagePath(clip: ResolvedClip): string | null {
  if (clip.clipId.startsWith('short:')) return null;
  const url = new URL(clip.url);
  return `${url.pathname}${url.search}`;
}
