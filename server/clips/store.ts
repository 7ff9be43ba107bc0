import { createHash } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { DbOrTx } from '../db/client';
import { clips } from '../db/schema';
import {
  type ClipSite,
  ClipUrlError,
  MAX_CLIP_URL_LENGTH,
  type ResolvedClip,
  resolveClipUrl,
} from './resolve';

/** A clip link as clients send it; canonicalized, or BAD_REQUEST saying what is accepted. */
export const clipUrlSchema = z
  .string()
  .max(MAX_CLIP_URL_LENGTH, `Links can be at most ${MAX_CLIP_URL_LENGTH} characters`)
  .transform((value, ctx): ResolvedClip => {
    try {
      return resolveClipUrl(value);
    } catch (error) {
      if (!(error instanceof ClipUrlError)) throw error;
      ctx.addIssue({ code: 'custom', message: error.message });
      return z.NEVER;
    }
  });

export const clipTitleSchema = z.string().trim().max(300, 'Titles can be at most 300 characters');
/**
 * A thumbnail link as clients send it. Whether its host may show this clip is decided with the
 * clip in hand (`clipMeta`): one from anywhere else is dropped, not refused, so a real share
 * from a page whose image lives elsewhere still goes through, just without a picture.
 */
export const thumbnailSchema = z
  .url({ protocol: /^https$/, message: 'Thumbnails must be https links' })
  .max(MAX_CLIP_URL_LENGTH);

export const clipInputSchema = z.object({
  url: clipUrlSchema,
  title: clipTitleSchema.optional(),
  thumbnailUrl: thumbnailSchema.optional(),
});

/** Image hosts each site serves its own thumbnails from (the host or any subdomain of it). */
const SITE_IMAGE_HOSTS: Record<Exclude<ClipSite, 'web'>, string[]> = {
  tiktok: ['tiktokcdn.com', 'tiktokcdn-us.com', 'ttwstatic.com'],
  youtube: ['ytimg.com', 'ggpht.com'],
  instagram: ['cdninstagram.com', 'fbcdn.net'],
};

const under = (host: string, domain: string) => host === domain || host.endsWith(`.${domain}`);
const bare = (host: string) => host.replace(/\.$/, '').replace(/^www\./, '');

/**
 * Whether `thumbnailUrl` may stand for `clip`: served by the site's own image hosts, or for a
 * web page, by the page's own host (with or without `www.`). Never an arbitrary host, which
 * could track whoever looks at the thread.
 */
export function thumbnailAllowed(clip: ResolvedClip, thumbnailUrl: string): boolean {
  let url: URL;
  try {
    url = new URL(thumbnailUrl);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' || url.port !== '' || url.username || url.password) return false;
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  if (clip.site === 'web') return bare(host) === bare(new URL(clip.url).hostname.toLowerCase());
  return SITE_IMAGE_HOSTS[clip.site].some((domain) => under(host, domain));
}

/** What one message keeps of its clip: the sender's title, and a thumbnail only from the site. */
export function clipMeta(
  clip: ResolvedClip,
  meta: { title?: string | undefined | null; thumbnailUrl?: string | undefined | null } = {},
): { clipTitle: string | null; clipThumbnailUrl: string | null } {
  const thumb = meta.thumbnailUrl;
  return {
    clipTitle: meta.title || null,
    clipThumbnailUrl: thumb && thumbnailAllowed(clip, thumb) ? thumb : null,
  };
}

/**
 * Hex SHA-256 of `site:clipId` (UTF-8): what `shop.forClipPrefix` looks clips up by. The
 * extension computes the same from the clip on screen and sends only a short prefix of it.
 */
export function clipKeyHash(clip: { site: string; clipId: string }): string {
  return createHash('sha256').update(`${clip.site}:${clip.clipId}`, 'utf8').digest('hex');
}

/**
 * The clip's row id, creating it on first sight. The row is shared by every group that talks
 * about the clip, so it holds nothing a sharer chose: titles and thumbnails go on the messages.
 */
export async function upsertClip(db: DbOrTx, clip: ResolvedClip): Promise<string> {
  const [row] = await db
    .insert(clips)
    .values({ site: clip.site, clipId: clip.clipId, url: clip.url, keyHash: clipKeyHash(clip) })
    .onConflictDoUpdate({
      target: [clips.site, clips.clipId],
      // A no-op update, so the existing row's id comes back.
      set: { site: sql`excluded.site` },
    })
    .returning({ id: clips.id });
  if (!row)
    throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'clip upsert returned nothing' });
  return row.id;
}

/** The clip's row id if anyone has shared or discussed it, else null. */
export async function findClip(db: DbOrTx, clip: ResolvedClip): Promise<string | null> {
  const result = await db.execute<{ id: string }>(
    sql`select id from clips where site = ${clip.site} and clip_id = ${clip.clipId} limit 1`,
  );
  return result.rows[0]?.id ?? null;
}
