import { z } from 'zod';
import { markShipped } from '../brands/mark-shipped';
import { listMyOrders, loadOrder } from '../payments/buyer-orders';
import { authedProcedure, router } from '../trpc';

export const orderIdSchema = z.uuid('orderId must be an order id');

export const ORDER_PAGE = 50;

/** Keyset paging over (created_at, id), newest first. */
export const pageInput = z
  .object({
    limit: z.number().int().min(1).max(100).default(ORDER_PAGE),
    /** The last order id of the previous page. */
    before: orderIdSchema.optional(),
  })
  .default({ limit: ORDER_PAGE });

export const ordersRouter = router({
  /** The caller's own orders, newest first. */
  list: authedProcedure
    .input(pageInput)
    .query(({ ctx, input }) => listMyOrders(ctx.db, ctx.user.id, input)),

  /**
   * The brand's owner marks a paid order shipped; the buyer hears of it in their thread with
   * the brand, with the tracking link.
   */
  markShipped: authedProcedure
    .input(
      z.object({
        orderId: orderIdSchema,
        carrier: z
          .string()
          .trim()
          .min(1, 'carrier is the shipping company, like UPS or DHL')
          .max(40, 'carrier can be at most 40 characters'),
        trackingNumber: z
          .string()
          .trim()
          .regex(
            /^[A-Za-z0-9][A-Za-z0-9 -]{2,39}$/,
            'trackingNumber is 3–40 letters, digits, spaces or hyphens',
          ),
        /** For a carrier Kith has no tracking page for. */
        trackingUrl: z
          .url({ protocol: /^https$/, message: 'trackingUrl must be an https link' })
          .max(2048)
          .optional(),
      }),
    )
    .mutation(({ ctx, input }) => markShipped(ctx, ctx.user.id, input)),

  /** One order, for its buyer or for the owner of the brand that sold it. */
  get: authedProcedure
    .input(z.object({ orderId: orderIdSchema }))
    .query(({ ctx, input }) => loadOrder(ctx.db, ctx.user.id, input.orderId)),
});
