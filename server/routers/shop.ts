import { TRPCError } from '@trpc/server';
import { and, asc, desc, eq, gt, like } from 'drizzle-orm';
import { z } from 'zod';
import { clipUrlSchema, findClip, upsertClip } from '../clips/store';
import { brands, clipProducts, clips, products } from '../db/schema';
import {
  brandIdSchema,
  productIdSchema,
  productView,
  requireBrandOwner,
} from '../payments/catalog';
import { authedProcedure, publicProcedure, router } from '../trpc';
import { atSecondsSchema } from './messages';

/** A clip shows at most this many products. */
export const MAX_TAGS_PER_CLIP = 50;

/** `shop.forClipPrefix` answers with at most this many tagged products. */
export const MAX_PREFIX_PRODUCTS = 200;

/** A prefix of a clip's key hash (hex SHA-256 of `site:clipId`): 4 to 64 hex digits. */
const clipHashPrefixSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(
    /^[0-9a-f]{4,64}$/,
    'prefix must be 4 to 64 hex digits of the SHA-256 of "site:clipId" (4 are enough)',
  );

/** A page cursor for `shop.forClipPrefix`: the last full key hash of the previous page. */
const clipHashAfterSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(
    /^[0-9a-f]{64}$/,
    'after must be a full key hash (64 hex digits) from the previous page, the last one it listed',
  );

const tagInput = z.object({
  brandId: brandIdSchema,
  url: clipUrlSchema,
  productId: productIdSchema,
});

/** The product, if it belongs to the brand; a product of another brand is not found here. */
async function brandProduct(
  db: Parameters<typeof requireBrandOwner>[0],
  brandId: string,
  productId: string,
) {
  const [row] = await db
    .select()
    .from(products)
    .where(and(eq(products.id, productId), eq(products.brandId, brandId)))
    .limit(1);
  if (!row) throw new TRPCError({ code: 'NOT_FOUND', message: 'This brand has no such product.' });
  return row;
}

export const shopRouter = router({
  /** Shows one of the brand's products in a clip, for the whole clip or between two moments. */
  tag: authedProcedure
    .input(
      tagInput
        .extend({
          fromSeconds: atSecondsSchema.optional(),
          toSeconds: atSecondsSchema.optional(),
        })
        .refine(
          (v) =>
            v.fromSeconds === undefined || v.toSeconds === undefined || v.fromSeconds < v.toSeconds,
          { message: 'fromSeconds must be before toSeconds', path: ['toSeconds'] },
        ),
    )
    .mutation(async ({ ctx, input }) => {
      const brand = await requireBrandOwner(ctx.db, input.brandId, ctx.user.id);
      const product = await brandProduct(ctx.db, brand.id, input.productId);
      return ctx.db.transaction(async (tx) => {
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
          .values({ clipRef, productId: product.id, createdBy: ctx.user.id, ...range })
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
    }),

  untag: authedProcedure.input(tagInput).mutation(async ({ ctx, input }) => {
    const brand = await requireBrandOwner(ctx.db, input.brandId, ctx.user.id);
    const product = await brandProduct(ctx.db, brand.id, input.productId);
    const clipRef = await findClip(ctx.db, input.url);
    if (!clipRef) return { removed: false };
    const removed = await ctx.db
      .delete(clipProducts)
      .where(and(eq(clipProducts.clipRef, clipRef), eq(clipProducts.productId, product.id)))
      .returning({ id: clipProducts.productId });
    return { removed: removed.length > 0 };
  }),

  /** The brand's tags, for its console. */
  tags: authedProcedure
    .input(z.object({ brandId: brandIdSchema }))
    .query(async ({ ctx, input }) => {
      const brand = await requireBrandOwner(ctx.db, input.brandId, ctx.user.id);
      const rows = await ctx.db
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
    }),

  /**
   * Public: the products on sale in every tagged clip whose key hash (hex SHA-256 of
   * `site:clipId`) starts with `prefix`, each with its clip's full hash and the part of the clip
   * it shows in. A viewer sends a 4-digit prefix of the clip on screen and keeps the exact
   * match, so the server never learns which clip is being watched. At most
   * MAX_PREFIX_PRODUCTS products, in hash order; `truncated` says more matched: ask for the
   * next page with `after`, a full key hash, to get only clips whose hash sorts after it.
   */
  forClipPrefix: publicProcedure
    .input(z.object({ prefix: clipHashPrefixSchema, after: clipHashAfterSchema.optional() }))
    .query(async ({ ctx, input }) => {
      await ctx.limits.consumeLookup(ctx.ip);
      const rows = await ctx.db
        .select({ tag: clipProducts, product: products, brand: brands, clipHash: clips.keyHash })
        .from(clipProducts)
        .innerJoin(clips, eq(clips.id, clipProducts.clipRef))
        .innerJoin(products, eq(products.id, clipProducts.productId))
        .innerJoin(brands, eq(brands.id, products.brandId))
        .where(
          and(
            like(clips.keyHash, `${input.prefix}%`),
            input.after ? gt(clips.keyHash, input.after) : undefined,
            eq(products.active, true),
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
        prefix: input.prefix,
        truncated,
        products: rows.slice(0, MAX_PREFIX_PRODUCTS).map(({ tag, product, brand, clipHash }) => ({
          ...productView(product, brand),
          clipHash,
          fromSeconds: tag.fromSeconds,
          toSeconds: tag.toSeconds,
        })),
      };
    }),

  /** Public: the products on sale in a clip, each with the part of the clip it shows in. */
  forClip: publicProcedure.input(z.object({ url: clipUrlSchema })).query(async ({ ctx, input }) => {
    const clipRef = await findClip(ctx.db, input.url);
    if (!clipRef) return { clip: input.url, products: [] };
    const rows = await ctx.db
      .select({ tag: clipProducts, product: products, brand: brands })
      .from(clipProducts)
      .innerJoin(products, eq(products.id, clipProducts.productId))
      .innerJoin(brands, eq(brands.id, products.brandId))
      .where(and(eq(clipProducts.clipRef, clipRef), eq(products.active, true)))
      .orderBy(asc(clipProducts.fromSeconds), asc(clipProducts.createdAt))
      .limit(MAX_TAGS_PER_CLIP);
    return {
      clip: input.url,
      products: rows.map(({ tag, product, brand }) => ({
        ...productView(product, brand),
        /** Show between these moments of the clip; null means from the start / to the end. */
        fromSeconds: tag.fromSeconds,
        toSeconds: tag.toSeconds,
      })),
    };
  }),
});
