import { z } from 'zod';
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

  /** One order, for its buyer or for the owner of the brand that sold it. */
  get: authedProcedure
    .input(z.object({ orderId: orderIdSchema }))
    .query(({ ctx, input }) => loadOrder(ctx.db, ctx.user.id, input.orderId)),
});
