import { randomInt } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { and, desc, eq, ne, sql } from 'drizzle-orm';
import { upsertClip } from '../clips/store';
import { type Db, type DbOrTx, isUniqueViolation } from '../db/client';
import { brands, channelClaims } from '../db/schema';
import { requireBrandOwner } from '../payments/catalog';
import { type Channel, parseChannelLink, profilePath } from './channel-url';
import {
  type ChannelFetchDeps,
  ClipChannelUnknown,
  clipChannel,
  fetchOptions,
} from './clip-channel';
import { fetchSitePage, PageFetchError } from './fetch-page';
import { bioHasCode } from './profile-bio';

/** A person has at most this many claims waiting to be verified. */
export const MAX_PENDING_CLAIMS = 20;

type Deps = { db: Db } & Omit<ChannelFetchDeps, 'db'>;
type ClaimRow = typeof channelClaims.$inferSelect;

// No 0/o, 1/l/i: the code is typed into a bio by hand.
const CODE_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/** A code to put in a bio: `kith-` and 10 letters and digits (about 49 bits). */
export function newClaimCode(): string {
  let code = 'kith-';
  for (let i = 0; i < 10; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}

const claimNotFound = () => new TRPCError({ code: 'NOT_FOUND', message: 'No such claim.' });

function claimView(row: ClaimRow, brandName: string | null = null) {
  return {
    claimId: row.id,
    site: row.site,
    handle: row.handle,
    code: row.code,
    state: row.state,
    brandId: row.brandId,
    brandName,
    createdAt: row.createdAt.toISOString(),
    verifiedAt: row.verifiedAt?.toISOString() ?? null,
  };
}

/**
 * `channels.claim`: starts a claim to the channel a profile or clip link names, for the caller
 * or for a brand they own, and answers the code to put in the channel's bio. Claiming the same
 * channel again (for the same brand, or none) answers the same claim.
 */
export async function claimChannel(
  deps: Deps,
  userId: string,
  input: { url: string; brandId?: string | undefined },
) {
  const brand = input.brandId ? await requireBrandOwner(deps.db, input.brandId, userId) : null;
  const parsed = parseChannelLink(input.url);
  let channel: Channel;
  if ('channel' in parsed) channel = parsed.channel;
  else {
    const clipRef = await upsertClip(deps.db, parsed.clip);
    try {
      const found = await clipChannel(deps, parsed.clip, clipRef, userId);
      if (!found) throw new ClipChannelUnknown('That clip is on no channel.');
      channel = found;
    } catch (error) {
      if (error instanceof ClipChannelUnknown) {
        throw new TRPCError({
          code: 'BAD_REQUEST',
          message: `${error.message} Paste a link to the profile instead.`,
        });
      }
      throw error;
    }
  }
  const mine = and(
    eq(channelClaims.site, channel.site),
    eq(channelClaims.handle, channel.handle),
    eq(channelClaims.userId, userId),
    brand ? eq(channelClaims.brandId, brand.id) : sql`${channelClaims.brandId} is null`,
  );
  const [existing] = await deps.db.select().from(channelClaims).where(mine).limit(1);
  if (existing) return claimView(existing, brand?.name ?? null);
  const pending = await deps.db.$count(
    channelClaims,
    and(eq(channelClaims.userId, userId), eq(channelClaims.state, 'pending')),
  );
  if (pending >= MAX_PENDING_CLAIMS) {
    throw new TRPCError({
      code: 'BAD_REQUEST',
      message: `You have ${MAX_PENDING_CLAIMS} claims waiting to be verified; verify some first.`,
    });
  }
  try {
    const [row] = await deps.db
      .insert(channelClaims)
      .values({
        userId,
        brandId: brand?.id ?? null,
        site: channel.site,
        handle: channel.handle,
        code: newClaimCode(),
      })
      .returning();
    return claimView(row!, brand?.name ?? null);
  } catch (error) {
    // The same claim made at the same moment by another request: answer that one.
    if (!isUniqueViolation(error)) throw error;
    const [row] = await deps.db.select().from(channelClaims).where(mine).limit(1);
    if (!row) throw error;
    return claimView(row, brand?.name ?? null);
  }
}

/**
 * `channels.verify`: reads the channel's public profile and, if the claim's code is in it,
 * makes the claim the channel's verified owner. Someone else's verified claim is replaced only
 * once their code is no longer in the profile; the caller's own other claim is simply replaced.
 */
export async function verifyClaim(deps: Deps, userId: string, claimId: string) {
  const [claim] = await deps.db
    .select()
    .from(channelClaims)
    .where(and(eq(channelClaims.id, claimId), eq(channelClaims.userId, userId)))
    .limit(1);
  if (!claim) throw claimNotFound();
  const brandName = claim.brandId ? await brandNameOf(deps.db, claim.brandId) : null;
  if (claim.state === 'verified') return claimView(claim, brandName);

  let page: string;
  await deps.limits.consumePageFetch(userId);
  try {
    page = await fetchSitePage(claim.site, profilePath(claim), fetchOptions(deps.env));
  } catch (error) {
    if (!(error instanceof PageFetchError)) throw error;
    throw new TRPCError({
      code: 'PRECONDITION_FAILED',
      message: `Could not read the profile of @${claim.handle}: ${error.message} Try again in a moment.`,
    });
  }
  // Only the bio counts: the rest of the page (comments, other accounts) anyone can write.
  if (!bioHasCode(claim, page, claim.code)) {
    throw new TRPCError({
      code: 'PRECONDITION_FAILED',
      message: `The code ${claim.code} is not in the bio of @${claim.handle} yet. Add it, save, and verify again.`,
    });
  }
  try {
    const row = await deps.db.transaction(async (tx) => {
      // One verification per channel at a time.
      await tx.execute(
        sql`select pg_advisory_xact_lock(hashtext(${`channel:${claim.site}:${claim.handle}`}))`,
      );
      const [current] = await tx
        .select()
        .from(channelClaims)
        .where(
          and(
            eq(channelClaims.site, claim.site),
            eq(channelClaims.handle, claim.handle),
            eq(channelClaims.state, 'verified'),
            ne(channelClaims.id, claim.id),
          ),
        );
      if (current) {
        if (current.userId !== userId && bioHasCode(claim, page, current.code)) {
          throw new TRPCError({
            code: 'CONFLICT',
            message: `@${claim.handle} is verified to someone else, and their code is still in the bio. Once it is removed, verify again.`,
          });
        }
        await tx
          .update(channelClaims)
          .set({ state: 'pending', verifiedAt: null })
          .where(eq(channelClaims.id, current.id));
      }
      const [updated] = await tx
        .update(channelClaims)
        .set({ state: 'verified', verifiedAt: new Date() })
        .where(eq(channelClaims.id, claim.id))
        .returning();
      return updated!;
    });
    return claimView(row, brandName);
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new TRPCError({
        code: 'CONFLICT',
        message: `@${claim.handle} was verified to someone else at the same moment; try again.`,
      });
    }
    throw error;
  }
}

async function brandNameOf(db: DbOrTx, brandId: string): Promise<string | null> {
  const [row] = await db.select({ name: brands.name }).from(brands).where(eq(brands.id, brandId));
  return row?.name ?? null;
}

/** `channels.mine`: the caller's claims (their own and their brands'), newest first. */
export async function myClaims(db: Db, userId: string) {
  const rows = await db
    .select({ claim: channelClaims, brandName: brands.name })
    .from(channelClaims)
    .leftJoin(brands, eq(brands.id, channelClaims.brandId))
    .where(eq(channelClaims.userId, userId))
    .orderBy(desc(channelClaims.createdAt), desc(channelClaims.id))
    .limit(200);
  return rows.map(({ claim, brandName }) => claimView(claim, brandName));
}

/** The channel's verified owner: the user (and brand, if claimed for one), or null. */
export async function verifiedOwner(
  db: DbOrTx,
  channel: Channel,
): Promise<{ userId: string; brandId: string | null } | null> {
  const [row] = await db
    .select({ userId: channelClaims.userId, brandId: channelClaims.brandId })
    .from(channelClaims)
    .where(
      and(
        eq(channelClaims.site, channel.site),
        eq(channelClaims.handle, channel.handle),
        eq(channelClaims.state, 'verified'),
      ),
    )
    .limit(1);
  return row ?? null;
}
