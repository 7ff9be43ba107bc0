import { TRPCError } from '@trpc/server';
import { and, desc, eq } from 'drizzle-orm';
import type { Channel } from '../channels/channel-url';
import { verifiedOwner } from '../channels/claims';
import { type ChannelFetchDeps, ClipChannelUnknown, clipChannel } from '../channels/clip-channel';
import type { ResolvedClip } from '../clips/resolve';
import { findClip, upsertClip } from '../clips/store';
import type { Db, DbOrTx } from '../db/client';
import { brands, clipProducts, clips, products } from '../db/schema';
import { productView, requireActiveProduct, requireBrandOwner } from '../payments/catalog';
import { tagConsented } from './consent';

/** A clip shows at most this many products. */
export const MAX_TAGS_PER_CLIP = 50;

type Deps = { db: Db } & Omit<ChannelFetchDeps, 'db'>;

export interface TagInput {
  brandId?: string | undefined;
  url: ResolvedClip;
  productId: string;
}

/** The product, if it belongs to the brand; a product of another brand is not found here. */
async function brandProduct(db: DbOrTx, brandId: string, productId: string) {
  const [row] = await db
    .select()
    .from(products)
    .where(and(eq(products.id, productId), eq(products.brandId, brandId)))
    .limit(1);
  if (!row) throw new TRPCError({ code: 'NOT_FOUND', message: 'This brand has no such product.' });
  return row;
}

/** The clip's channel, or null when it cannot be told (a web page, an unreadable clip page). */
export async function channelIfKnown(
  deps: ChannelFetchDeps,
  clip: ResolvedClip,
  clipRef: string,
  askedBy: string,
): Promise<Channel | null> {
  try {
    return await clipChannel(deps, clip, clipRef, askedBy);
  } catch (error) {
    if (error instanceof ClipChannelUnknown) return null;
    throw error;
  }
}

const notChannelOwner = () =>
  new TRPCError({
    code: 'FORBIDDEN',
    message: 'Only the verified owner of the clip’s channel can tag or untag products on it.',
  });

/** The clip's channel, if the caller is its verified owner; FORBIDDEN otherwise. */
async function requireChannelOwner(
  deps: Deps,
  clip: ResolvedClip,
  clipRef: string,
  userId: string,
) {
  let channel: Channel | null;
  try {
    channel = await clipChannel(deps, clip, clipRef, userId);
  } catch (error) {
    if (!(error instanceof ClipChannelUnknown)) throw error;
    throw new TRPCError({ code: 'PRECONDITION_FAILED', message: error.message });
  }
  const owner = channel ? await verifiedOwner(deps.db, channel) : null;
  if (!channel || owner?.userId !== userId) throw notChannelOwner();
  return channel;
}

/** Whether the tag of `productId` on the clip shows to viewers now. */
export async function tagShown(db: DbOrTx, clipRef: string, productId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: clipProducts.productId })
    .from(clipProducts)
    .innerJoin(products, eq(products.id, clipProducts.productId))
    .innerJoin(brands, eq(brands.id, products.brandId))
    .where(
      and(eq(clipProducts.clipRef, clipRef), eq(clipProducts.productId, productId), tagConsented()),
    )
    .limit(1);
  return Boolean(row);
}

/**
 * Stores a tag (tagging again moves the range), at most MAX_TAGS_PER_CLIP per clip. `consentBy`
 * is set when the channel's owner makes or accepts it, and kept when the brand moves it.
 */
export async function storeTag(
  tx: DbOrTx,
  values: {
    clipRef: string;
    productId: string;
    createdBy: string | null;
    consentBy?: string | undefined;
    fromSeconds: number | null;
    toSeconds: number | null;
  },
) {
  const existing = await tx.$count(clipProducts, eq(clipProducts.clipRef, values.clipRef));
  if (existing >= MAX_TAGS_PER_CLIP) {
    const [already] = await tx
      .select({ id: clipProducts.productId })
      .from(clipProducts)
      .where(
        and(eq(clipProducts.clipRef, values.clipRef), eq(clipProducts.productId, values.productId)),
      );
    if (!already)
      throw new TRPCError({
        code: 'BAD_REQUEST',
        message: `A clip can show at most ${MAX_TAGS_PER_CLIP} products.`,
      });
  }
  const range = { fromSeconds: values.fromSeconds, toSeconds: values.toSeconds };
  await tx
    .insert(clipProducts)
    .values({ ...values, consentBy: values.consentBy ?? null })
    .onConflictDoUpdate({
      target: [clipProducts.clipRef, clipProducts.productId],
      set: values.consentBy ? { ...range, consentBy: values.consentBy } : range,
    });
}

/**
 * `shop.tag`: shows a product in a clip, for the whole clip or between two moments.
 * - With `brandId`: the brand's owner tags one of its products. It shows to viewers only with
 *   the clip channel's consent (the channel is the brand's own, or its owner agreed).
 * - Without: the verified owner of the clip's channel tags any product on sale that takes
 *   affiliates (`affiliateBps` > 0), or one of their own brand's; it shows at once.
 * `shown` says whether viewers see it now.
 */
export async function tagClip(
  deps: Deps,
  userId: string,
  input: TagInput & { fromSeconds?: number | undefined; toSeconds?: number | undefined },
) {
  const range = { fromSeconds: input.fromSeconds ?? null, toSeconds: input.toSeconds ?? null };
  if (input.brandId) {
    const brand = await requireBrandOwner(deps.db, input.brandId, userId);
    const product = await brandProduct(deps.db, brand.id, input.productId);
    const clipRef = await upsertClip(deps.db, input.url);
    const channel = await channelIfKnown(deps, input.url, clipRef, userId);
    const owner = channel ? await verifiedOwner(deps.db, channel) : null;
    await deps.db.transaction((tx) =>
      storeTag(tx, {
        clipRef,
        productId: product.id,
        createdBy: userId,
        consentBy: owner?.userId === userId ? userId : undefined,
        ...range,
      }),
    );
    return {
      clip: input.url,
      productId: product.id,
      brandId: brand.id,
      ...range,
      shown: await tagShown(deps.db, clipRef, product.id),
    };
  }
  const { product, brand } = await requireActiveProduct(deps.db, input.productId);
  const clipRef = await upsertClip(deps.db, input.url);
  await requireChannelOwner(deps, input.url, clipRef, userId);
  if (brand.ownerId !== userId && product.affiliateBps <= 0) {
    throw new TRPCError({
      code: 'FORBIDDEN',
      message: 'This product takes no affiliates: ask its brand, or tag another product.',
    });
  }
  await deps.db.transaction((tx) =>
    storeTag(tx, {
      clipRef,
      productId: product.id,
      createdBy: userId,
      consentBy: userId,
      ...range,
    }),
  );
  return {
    clip: input.url,
    productId: product.id,
    brandId: brand.id,
    ...range,
    shown: await tagShown(deps.db, clipRef, product.id),
  };
}

/**
 * `shop.untag`: the product no longer shows in the clip; `removed` says whether it did. The
 * brand's owner (with `brandId`) or the clip channel's verified owner may untag.
 */
export async function untagClip(deps: Deps, userId: string, input: TagInput) {
  let productId = input.productId;
  if (input.brandId) {
    const brand = await requireBrandOwner(deps.db, input.brandId, userId);
    productId = (await brandProduct(deps.db, brand.id, input.productId)).id;
  }
  const clipRef = await findClip(deps.db, input.url);
  if (!input.brandId) {
    // Without a brand: only the clip channel's verified owner (a clip never seen has none).
    if (!clipRef) throw notChannelOwner();
    await requireChannelOwner(deps, input.url, clipRef, userId);
  }
  if (!clipRef) return { removed: false };
  const removed = await deps.db
    .delete(clipProducts)
    .where(and(eq(clipProducts.clipRef, clipRef), eq(clipProducts.productId, productId)))
    .returning({ id: clipProducts.productId });
  return { removed: removed.length > 0 };
}

/** `shop.tags`: the brand's tags, newest first, for its console (its owner only). */
export async function brandTags(db: Db, userId: string, brandId: string) {
  const brand = await requireBrandOwner(db, brandId, userId);
  const rows = await db
    .select({
      tag: clipProducts,
      // Never the shared row's title or thumbnail: whoever shared first chose those.
      clip: { site: clips.site, clipId: clips.clipId, url: clips.url },
      product: products,
      shown: tagConsented().mapWith(Boolean),
    })
    .from(clipProducts)
    .innerJoin(products, eq(products.id, clipProducts.productId))
    .innerJoin(brands, eq(brands.id, products.brandId))
    .innerJoin(clips, eq(clips.id, clipProducts.clipRef))
    .where(eq(products.brandId, brand.id))
    .orderBy(desc(clipProducts.createdAt))
    .limit(1000);
  return rows.map(({ tag, clip, product, shown }) => ({
    // No title of its own yet (a brand names its clips nowhere): the console shows the link.
    clip: { site: clip.site, clipId: clip.clipId, url: clip.url, title: null as string | null },
    product: productView(product, brand),
    fromSeconds: tag.fromSeconds,
    toSeconds: tag.toSeconds,
    /** Viewers see it: the clip's channel owner consented (or the channel is the brand's). */
    shown,
    createdAt: tag.createdAt.toISOString(),
  }));
}
