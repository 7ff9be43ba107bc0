import { and, asc, eq, gt, like } from 'drizzle-orm';
import type { ResolvedClip } from '../clips/resolve';
import { findClip } from '../clips/store';
import type { Db } from '../db/client';
import { brands, clipProducts, clips, products } from '../db/schema';
import type { Limits } from '../limits';
import { productView } from '../payments/catalog';
import { MAX_TAGS_PER_CLIP } from './clip-tags';
import { tagConsented } from './consent';

/** `shop.forClipPrefix` answers with at most this many tagged products. */
export const MAX_PREFIX_PRODUCTS = 200;

/**
 * Both lookups show only tags the clip's channel owner consented to (`tagConsented`).
 *
 * `shop.forClipPrefix`: the products on sale in every tagged clip whose key hash starts with
 * `prefix`, each with its clip's full hash, in hash order; `truncated` says more matched: the
 * next page is asked for with `after`, a full key hash, to get only clips that sort after it.
 */
export async function productsForClipPrefix(
  deps: { db: Db; limits: Pick<Limits, 'consumeLookup'> },
  ip: string,
  prefix: string,
  after?: string,
) {
  // Counted per address first: the lookup is public, and listing every bucket would list
  // every tagged clip.
  await deps.limits.consumeLookup(ip);
  const rows = await deps.db
    .select({ tag: clipProducts, product: products, brand: brands, clipHash: clips.keyHash })
    .from(clipProducts)
    .innerJoin(clips, eq(clips.id, clipProducts.clipRef))
    .innerJoin(products, eq(products.id, clipProducts.productId))
    .innerJoin(brands, eq(brands.id, products.brandId))
    .where(
      and(
        like(clips.keyHash, `${prefix}%`),
        after ? gt(clips.keyHash, after) : undefined,
        eq(products.active, true),
        tagConsented(),
      ),
    )
    .orderBy(
      asc(clips.keyHash),
      asc(clipProducts.fromSeconds),
      asc(clipProducts.createdAt),
      asc(clipProducts.productId),
    )
    .limit(MAX_PREFIX_PRODUCTS + 1);
  const truncated = rows.length > MAX_PREFIX_PRODUCTS;
  return {
    prefix,
    truncated,
    products: rows.slice(0, MAX_PREFIX_PRODUCTS).map(({ tag, product, brand, clipHash }) => ({
      ...productView(product, brand),
      clipHash,
      fromSeconds: tag.fromSeconds,
      toSeconds: tag.toSeconds,
    })),
  };
}

/**
 * `shop.forClip`: the products on sale in a clip, each with the part of the clip it shows in;
 * with `brandId`, only that brand's (a brand's own video shows no one else's tags).
 */
export async function productsForClip(db: Db, url: ResolvedClip, brandId?: string) {
  const clipRef = await findClip(db, url);
  if (!clipRef) return { clip: url, products: [] };
  const rows = await db
    .select({ tag: clipProducts, product: products, brand: brands })
    .from(clipProducts)
    .innerJoin(products, eq(products.id, clipProducts.productId))
    .innerJoin(brands, eq(brands.id, products.brandId))
    .where(
      and(
        eq(clipProducts.clipRef, clipRef),
        eq(products.active, true),
        brandId ? eq(products.brandId, brandId) : undefined,
        tagConsented(),
      ),
    )
    .orderBy(asc(clipProducts.fromSeconds), asc(clipProducts.createdAt))
    .limit(MAX_TAGS_PER_CLIP);
  return {
    clip: url,
    products: rows.map(({ tag, product, brand }) => ({
      ...productView(product, brand),
      /** Show between these moments of the clip; null means from the start / to the end. */
      fromSeconds: tag.fromSeconds,
      toSeconds: tag.toSeconds,
    })),
  };
}
