import { TRPCError } from '@trpc/server';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { DbOrTx } from '../db/client';
import { clips } from '../db/schema';
import { ClipUrlError, MAX_CLIP_URL_LENGTH, type ResolvedClip, resolveClipUrl } from './resolve';

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
export const thumbnailSchema = z
  .url({ protocol: /^https$/, message: 'Thumbnails must be https links' })
  .max(MAX_CLIP_URL_LENGTH);

export const clipInputSchema = z.object({
  url: clipUrlSchema,
  title: clipTitleSchema.optional(),
  thumbnailUrl: thumbnailSchema.optional(),
});

/** The clip's row id, creating it on first sight and filling in a title or thumbnail it lacked. */
export async function upsertClip(
  db: DbOrTx,
  clip: ResolvedClip,
  meta: { title?: string | undefined; thumbnailUrl?: string | undefined } = {},
): Promise<string> {
  const [row] = await db
    .insert(clips)
    .values({
      site: clip.site,
      clipId: clip.clipId,
      url: clip.url,
      title: meta.title || null,
      thumbnailUrl: meta.thumbnailUrl ?? null,
    })
    .onConflictDoUpdate({
      target: [clips.site, clips.clipId],
      set: {
        title: sql`coalesce(${clips.title}, excluded.title)`,
        thumbnailUrl: sql`coalesce(${clips.thumbnailUrl}, excluded.thumbnail_url)`,
      },
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
