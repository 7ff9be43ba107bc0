import { z } from 'zod';
import { askBrand } from '../brands/ask-brand';
import { listBrandThreads } from '../brands/list-brand-threads';
import {
  brandOrders,
  connectBrand,
  createBrand,
  myBrands,
  updateBrand,
} from '../brands/manage-brand';
import {
  brandNameSchema,
  brandSettingsSchema,
  questionSchema,
  slugSchema,
} from '../brands/schemas';
import { ORDER_STATUSES } from '../db/schema';
import { clientIdSchema } from '../messages/schemas';
import { brandIdSchema, productIdSchema } from '../payments/catalog';
import { authedProcedure, router } from '../trpc';

export const brandsRouter = router({
  /** A new brand owned by the caller. */
  create: authedProcedure
    .input(z.object({ name: brandNameSchema, slug: slugSchema }))
    .mutation(({ ctx, input }) => createBrand(ctx.db, ctx.user.id, input)),

  /**
   * The owner sets where the brand ships (Checkout asks for an address only there), the sites
   * checkouts may return to, and the support email buyers see. Fields left out stay as they are.
   */
  update: authedProcedure
    .input(z.object({ brandId: brandIdSchema, ...brandSettingsSchema }))
    .mutation(({ ctx, input }) => updateBrand(ctx.db, ctx.user.id, input)),

  /** The brands the caller owns, with the state of their Stripe accounts. */
  mine: authedProcedure.query(({ ctx }) => myBrands(ctx.db, ctx.user.id)),

  /**
   * Starts (or resumes) Stripe onboarding: creates the brand's Express account once and returns
   * a fresh Account Link to send the owner to.
   */
  connect: authedProcedure
    .input(z.object({ brandId: brandIdSchema }))
    .mutation(({ ctx, input }) => connectBrand(ctx, ctx.user.id, input.brandId)),

  /** The brand's sales, newest first, with what brought each one (clip, group share, widget). */
  orders: authedProcedure
    .input(
      z.object({
        brandId: brandIdSchema,
        status: z.enum(ORDER_STATUSES).optional(),
        limit: z.number().int().min(1).max(100).default(50),
        before: z.uuid('before must be an order id').optional(),
      }),
    )
    .query(({ ctx, input }) => brandOrders(ctx.db, ctx.user.id, input)),

  /**
   * Ask the brand: opens the caller's brand thread (one per brand and customer, with the brand's
   * owner) and, given a body or a product, posts it there. Idempotent on `clientId`.
   */
  ask: authedProcedure
    .input(
      z.object({
        brandId: brandIdSchema,
        body: questionSchema.optional(),
        /** A product of this brand the question is about. */
        productId: productIdSchema.optional(),
        clientId: clientIdSchema.optional(),
      }),
    )
    .mutation(({ ctx, input }) => askBrand(ctx, input)),

  /** The brand's customer threads, for its owner: who asked, the last message, what is unread. */
  threads: authedProcedure
    .input(z.object({ brandId: brandIdSchema }))
    .query(({ ctx, input }) => listBrandThreads(ctx.db, ctx.user.id, input.brandId)),
});
