import { TRPCError } from '@trpc/server';
import { and, desc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { brands, orders } from '../db/schema';
import { olderThan, orderViews } from '../payments/orders';
import { authedProcedure, router } from '../trpc';

export const orderIdSchema = z.uuid('orderId must be an order id');

const orderNotFound = () =>
  new TRPCError({ code: 'NOT_FOUND', message: 'No such order, or it is not yours to see.' });

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
  list: authedProcedure.input(pageInput).query(async ({ ctx, input }) => {
    const rows = await ctx.db
      .select()
      .from(orders)
      .where(and(eq(orders.buyerId, ctx.user.id), await olderThan(ctx.db, input.before)))
      .orderBy(desc(orders.createdAt), desc(orders.id))
      .limit(input.limit + 1);
    const page = rows.slice(0, input.limit);
    return { orders: await orderViews(ctx.db, page, 'buyer'), hasMore: rows.length > input.limit };
  }),

  /** One order, for its buyer or for the owner of the brand that sold it. */
  get: authedProcedure.input(z.object({ orderId: orderIdSchema })).query(async ({ ctx, input }) => {
    const [row] = await ctx.db
      .select({ order: orders, ownerId: brands.ownerId })
      .from(orders)
      .innerJoin(brands, eq(brands.id, orders.brandId))
      .where(eq(orders.id, input.orderId));
    if (!row) throw orderNotFound();
    const as =
      row.order.buyerId === ctx.user.id ? 'buyer' : row.ownerId === ctx.user.id ? 'brand' : null;
    if (!as) throw orderNotFound();
    const [view] = await orderViews(ctx.db, [row.order], as);
    return view!;
  }),
});
