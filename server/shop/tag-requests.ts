import { TRPCError } from '@trpc/server';
import { and, desc, eq, sql } from 'drizzle-orm';
import { isBlockedEitherWay } from '../access';
import { verifiedOwner } from '../channels/claims';
import { type ChannelFetchDeps, ClipChannelUnknown, clipChannel } from '../channels/clip-channel';
import type { ResolvedClip } from '../clips/resolve';
import { upsertClip } from '../clips/store';
import type { Db } from '../db/client';
import {
  brands,
  channelClaims,
  clipChannels,
  clipProducts,
  clips,
  products,
  tagRequests,
} from '../db/schema';
import { productView, requireBrandOwner } from '../payments/catalog';
import { storeTag, tagShown } from './clip-tags';

type Deps = { db: Db } & Omit<ChannelFetchDeps, 'db'>;

/** A brand has at most this many requests waiting for answers. */
export const MAX_PENDING_TAG_REQUESTS = 200;

const requestNotFound = () => new TRPCError({ code: 'NOT_FOUND', message: 'No such tag request.' });

/**
 * `shop.requestTag`: a brand's owner asks the verified owner of a clip's channel to show one
 * of the brand's products in the clip (from `atSeconds` on). Asking again answers the same
 * request; one the owner declined cannot be asked again. A channel that is the brand's own
 * needs no asking: the tag is made at once (`state: 'accepted'`).
 */
export async function requestTag(
  deps: Deps,
  userId: string,
  input: { clipUrl: ResolvedClip; productId: string; atSeconds?: number | undefined },
) {
  const [row] = await deps.db
    .select({ product: products, brand: brands })
    .from(products)
    .innerJoin(brands, eq(brands.id, products.brandId))
    .where(eq(products.id, input.productId))
    .limit(1);
  if (!row) throw new TRPCError({ code: 'NOT_FOUND', message: 'No such product.' });
  const brand = await requireBrandOwner(deps.db, row.brand.id, userId);
  const clipRef = await upsertClip(deps.db, input.clipUrl);
  let owner: Awaited<ReturnType<typeof verifiedOwner>> = null;
  try {
    const channel = await clipChannel(deps, input.clipUrl, clipRef, userId);
    owner = channel ? await verifiedOwner(deps.db, channel) : null;
  } catch (error) {
    if (!(error instanceof ClipChannelUnknown)) throw error;
    throw new TRPCError({ code: 'PRECONDITION_FAILED', message: error.message });
  }
  if (!owner) {
    throw new TRPCError({
      code: 'PRECONDITION_FAILED',
      message: 'Nobody has verified this clip’s channel on Kith yet, so there is nobody to ask.',
    });
  }
  if (owner.userId !== userId && (await isBlockedEitherWay(deps.db, owner.userId, userId))) {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'You cannot ask this channel’s owner.' });
  }
  const atSeconds = input.atSeconds ?? null;
  const ownChannel = owner.userId === userId || owner.brandId === brand.id;
  return deps.db.transaction(async (tx) => {
    const [existing] = await tx
      .select()
      .from(tagRequests)
      .where(and(eq(tagRequests.clipRef, clipRef), eq(tagRequests.productId, row.product.id)))
      .for('update');
    if (existing?.state === 'declined' && !ownChannel) {
      throw new TRPCError({
        code: 'CONFLICT',
        message: 'The channel’s owner declined this product in this clip.',
      });
    }
    if (existing && !ownChannel) return requestView(existing, input.clipUrl);
    if (!ownChannel) {
      const pending = await tx.$count(
        tagRequests,
        and(
          eq(tagRequests.state, 'pending'),
          sql`${tagRequests.productId} in (select id from ${products} where ${products.brandId} = ${brand.id})`,
        ),
      );
      if (pending >= MAX_PENDING_TAG_REQUESTS) {
        throw new TRPCError({
          code: 'TOO_MANY_REQUESTS',
          message: `Your brand has ${MAX_PENDING_TAG_REQUESTS} requests waiting for answers.`,
        });
      }
    }
    const state = ownChannel ? ('accepted' as const) : ('pending' as const);
    const [saved] = await tx
      .insert(tagRequests)
      .values({
        clipRef,
        productId: row.product.id,
        requestedBy: userId,
        atSeconds,
        state,
        respondedAt: ownChannel ? new Date() : null,
      })
      .onConflictDoUpdate({
        target: [tagRequests.clipRef, tagRequests.productId],
        set: { state, atSeconds, respondedAt: ownChannel ? new Date() : null },
      })
      .returning();
    if (ownChannel) {
      await storeTag(tx, {
        clipRef,
        productId: row.product.id,
        createdBy: userId,
        consentBy: owner.userId,
        fromSeconds: atSeconds,
        toSeconds: null,
      });
    }
    return requestView(saved!, input.clipUrl);
  });
}

function requestView(
  row: typeof tagRequests.$inferSelect,
  clip: { site: string; clipId: string; url: string },
) {
  return {
    requestId: row.id,
    clip: { site: clip.site, clipId: clip.clipId, url: clip.url },
    productId: row.productId,
    atSeconds: row.atSeconds,
    state: row.state,
    createdAt: row.createdAt.toISOString(),
    respondedAt: row.respondedAt?.toISOString() ?? null,
  };
}

/** Requests on clips of channels `userId` owns now (verified). */
const ownedByMe = (userId: string) => sql`exists (
  select 1 from ${clipChannels}
  join ${channelClaims}
    on ${channelClaims.site} = ${clipChannels.site}
   and ${channelClaims.handle} = ${clipChannels.handle}
   and ${channelClaims.state} = 'verified'
  where ${clipChannels.clipRef} = ${tagRequests.clipRef} and ${channelClaims.userId} = ${userId}
)`;

/**
 * `shop.tagRequests`: `incoming`, brands' requests on clips of the caller's verified channels;
 * `outgoing`, the requests of the caller's brands. Newest first.
 */
export async function listTagRequests(db: Db, userId: string) {
  const select = () =>
    db
      .select({
        request: tagRequests,
        clip: { site: clips.site, clipId: clips.clipId, url: clips.url },
        product: products,
        brand: brands,
      })
      .from(tagRequests)
      .innerJoin(clips, eq(clips.id, tagRequests.clipRef))
      .innerJoin(products, eq(products.id, tagRequests.productId))
      .innerJoin(brands, eq(brands.id, products.brandId));
  const view = (rows: Awaited<ReturnType<ReturnType<typeof select>['execute']>>) =>
    rows.map(({ request, clip, product, brand }) => ({
      ...requestView(request, clip),
      product: productView(product, brand),
    }));
  const incoming = await select()
    .where(ownedByMe(userId))
    .orderBy(desc(tagRequests.createdAt))
    .limit(500);
  const outgoing = await select()
    .where(eq(brands.ownerId, userId))
    .orderBy(desc(tagRequests.createdAt))
    .limit(500);
  return { incoming: view(incoming), outgoing: view(outgoing) };
}

/**
 * `shop.respondTag`: the clip channel's verified owner accepts (the tag is made, with their
 * consent, from the asked moment on) or declines a brand's request. Answering again changes
 * the answer: declining an accepted request takes the owner's consent back.
 */
export async function respondTag(
  db: Db,
  userId: string,
  input: { requestId: string; accept: boolean },
) {
  return db.transaction(async (tx) => {
    const [found] = await tx
      .select({
        request: tagRequests,
        clip: { site: clips.site, clipId: clips.clipId, url: clips.url },
      })
      .from(tagRequests)
      .innerJoin(clips, eq(clips.id, tagRequests.clipRef))
      .where(and(eq(tagRequests.id, input.requestId), ownedByMe(userId)))
      .for('update', { of: tagRequests });
    if (!found) throw requestNotFound();
    const { request } = found;
    const state = input.accept ? ('accepted' as const) : ('declined' as const);
    if (input.accept) {
      await storeTag(tx, {
        clipRef: request.clipRef,
        productId: request.productId,
        createdBy: request.requestedBy,
        consentBy: userId,
        fromSeconds: request.atSeconds,
        toSeconds: null,
      });
    } else {
      await tx
        .update(clipProducts)
        .set({ consentBy: null })
        .where(
          and(
            eq(clipProducts.clipRef, request.clipRef),
            eq(clipProducts.productId, request.productId),
            eq(clipProducts.consentBy, userId),
          ),
        );
    }
    const [saved] = await tx
      .update(tagRequests)
      .set({ state, respondedAt: new Date() })
      .where(eq(tagRequests.id, request.id))
      .returning();
    return {
      ...requestView(saved!, found.clip),
      shown: await tagShown(tx, request.clipRef, request.productId),
    };
  });
}
