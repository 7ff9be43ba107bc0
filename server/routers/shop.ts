import { z } from 'zod';
import { clipUrlSchema } from '../clips/store';
import { atSecondsSchema } from '../messages/schemas';
import { brandIdSchema, productIdSchema } from '../payments/catalog';
import { productsForClip, productsForClipPrefix } from '../shop/clip-products';
import { brandTags, tagClip, untagClip } from '../shop/clip-tags';
import { listTagRequests, requestTag, respondTag } from '../shop/tag-requests';
import { authedProcedure, publicProcedure, router } from '../trpc';

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
  /** The brand tagging its own product; left out when a channel owner tags their own clip. */
  brandId: brandIdSchema.optional(),
  url: clipUrlSchema,
  productId: productIdSchema,
});

export const shopRouter = router({
  /**
   * Shows a product in a clip, for the whole clip or between two moments: a brand's own product
   * (with `brandId`; viewers see it once the clip's channel consents), or, by the clip channel's
   * verified owner, any product that takes affiliates.
   */
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
    .mutation(({ ctx, input }) => tagClip(ctx, ctx.user.id, input)),

  untag: authedProcedure
    .input(tagInput)
    .mutation(({ ctx, input }) => untagClip(ctx, ctx.user.id, input)),

  /** A brand's owner asks the clip channel's verified owner to show one of its products. */
  requestTag: authedProcedure
    .input(
      z.object({
        clipUrl: clipUrlSchema,
        productId: productIdSchema,
        atSeconds: atSecondsSchema.optional(),
      }),
    )
    .mutation(({ ctx, input }) => requestTag(ctx, ctx.user.id, input)),

  /** Requests on the caller's channels' clips (`incoming`) and by the caller's brands (`outgoing`). */
  tagRequests: authedProcedure.query(({ ctx }) => listTagRequests(ctx.db, ctx.user.id)),

  /** The channel's owner accepts or declines a brand's request. */
  respondTag: authedProcedure
    .input(z.object({ requestId: z.uuid('requestId must be a request id'), accept: z.boolean() }))
    .mutation(({ ctx, input }) => respondTag(ctx.db, ctx.user.id, input)),

  /** The brand's tags, for its console. */
  tags: authedProcedure
    .input(z.object({ brandId: brandIdSchema }))
    .query(({ ctx, input }) => brandTags(ctx.db, ctx.user.id, input.brandId)),

  /**
   * Public: the products on sale in every tagged clip whose key hash (hex SHA-256 of
   * `site:clipId`) starts with `prefix`, each with its clip's full hash and the part of the clip
   * it shows in. A viewer sends a 4-digit prefix of the clip on screen and keeps the exact
   * match, so the server never learns which clip is being watched. At most
   * MAX_PREFIX_PRODUCTS products, in hash order; `truncated` says more matched (ask again
   * with a longer prefix).
   */
  forClipPrefix: publicProcedure
    .input(z.object({ prefix: clipHashPrefixSchema, after: clipHashAfterSchema.optional() }))
    .query(({ ctx, input }) => productsForClipPrefix(ctx, ctx.ip, input.prefix, input.after)),

  /**
   * Public: the products on sale in a clip, each with the part of the clip it shows in; with
   * `brandId` only that brand's (what a brand's `<kith-shoppable-video>` asks for).
   */
  forClip: publicProcedure
    .input(z.object({ url: clipUrlSchema, brandId: brandIdSchema.optional() }))
    .query(({ ctx, input }) => productsForClip(ctx.db, input.url, input.brandId)),
});
