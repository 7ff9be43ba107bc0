import { TRPCError } from '@trpc/server';
import { and, desc, eq } from 'drizzle-orm';
import type { ResolvedClip } from '../clips/resolve';
import { findClip, upsertClip } from '../clips/store';
import type { Db, DbOrTx } from '../db/client';
import { clipProducts, clips, products } from '../db/schema';
import { productView, requireBrandOwner } from '../payments/catalog';

/** A clip shows at most this many products. */
export const MAX_TAGS_PER_CLIP = 50;

export interface TagInput {
  brandId: string;
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

/**
 * `shop.tag`: the brand's owner shows one of its products in a clip, for the whole clip or
 * between two moments (tagging again moves the range). At most MAX_TAGS_PER_CLIP per clip.
 */
export async function tagClip(
  db: Db,
  userId: string,
  input: TagInput & { fromSeconds?: number | undefined; toSeconds?: number | undefined },
) {
  const brand = await requireBrandOwner(db, input.brandId, userId);
  const product = await brandProduct(db, brand.id, input.productId);
  return db.transaction(async (tx) => {
    const clipRef = await upsertClip(tx, input.url);
    const existing = await tx.$count(clipProducts, eq(clipProducts.clipRef, clipRef));
    if (existing >= MAX_TAGS_PER_CLIP) {
      const [already] = await tx
        .select({ id: clipProducts.productId })
        .from(clipProducts)
        .where(and(eq(clipProducts.clipRef, clipRef), eq(clipProducts.productId, product.id)));
      if (!already)
        throw new TRPCError({
          code: 'BAD_REQUEST',
          message: `A clip can show at most ${MAX_TAGS_PER_CLIP} products.`,
        });
    }
    const range = {
      fromSeconds: input.fromSeconds ?? null,
      toSeconds: input.toSeconds ?? null,
    };
    await tx
      .insert(clipProducts)
      .values({ clipRef, productId: product.id, createdBy: userId, ...range })
      .onConflictDoUpdate({
        target: [clipProducts.clipRef, clipProducts.productId],
        set: range,
      });
    return {
      clip: input.url,
      productId: product.id,
      brandId: brand.id,
      ...range,
    };
  });
}

/** `shop.untag`: the product no longer shows in the clip; `removed` says whether it did. */
export async function untagClip(db: Db, userId: string, input: TagInput) {
  const brand = await requireBrandOwner(db, input.brandId, userId);
  const product = await brandProduct(db, brand.id, input.productId);
  const clipRef = await findClip(db, input.url);
  if (!clipRef) return { removed: false };
  const removed = await db
    .delete(clipProducts)
    .where(and(eq(clipProducts.clipRef, clipRef), eq(clipProducts.productId, product.id)))
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
    })
    .from(clipProducts)
    .innerJoin(products, eq(products.id, clipProducts.productId))
    .innerJoin(clips, eq(clips.id, clipProducts.clipRef))
    .where(eq(products.brandId, brand.id))
    .orderBy(desc(clipProducts.createdAt))
    .limit(1000);
  return rows.map(({ tag, clip, product }) => ({
    // No title of its own yet (a brand names its clips nowhere): the console shows the link.
    clip: { site: clip.site, clipId: clip.clipId, url: clip.url, title: null as string | null },
    product: productView(product, brand),
    fromSeconds: tag.fromSeconds,
    toSeconds: tag.toSeconds,
    createdAt: tag.createdAt.toISOString(),
  }));
}
