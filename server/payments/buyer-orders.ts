import { TRPCError } from '@trpc/server';
import { and, desc, eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { brands, orders } from '../db/schema';
import { olderThan, orderViews } from './orders';

const orderNotFound = () =>
  new TRPCError({ code: 'NOT_FOUND', message: 'No such order, or it is not yours to see.' });

/** `orders.list`: the buyer's own orders, newest first, `limit` after the order `before`. */
export async function listMyOrders(
  db: Db,
  buyerId: string,
  page: { limit: number; before?: string | undefined },
) {
  const rows = await db
    .select()
    .from(orders)
    .where(and(eq(orders.buyerId, buyerId), await olderThan(db, page.before)))
    .orderBy(desc(orders.createdAt), desc(orders.id))
    .limit(page.limit + 1);
  const shown = rows.slice(0, page.limit);
  return { orders: await orderViews(db, shown, 'buyer'), hasMore: rows.length > page.limit };
}

/** `orders.get`: one order, for its buyer or for the owner of the brand that sold it. */
export async function loadOrder(db: Db, userId: string, orderId: string) {
  const [row] = await db
    .select({ order: orders, ownerId: brands.ownerId })
    .from(orders)
    .innerJoin(brands, eq(brands.id, orders.brandId))
    .where(eq(orders.id, orderId));
  if (!row) throw orderNotFound();
  const as = row.order.buyerId === userId ? 'buyer' : row.ownerId === userId ? 'brand' : null;
  if (!as) throw orderNotFound();
  const [view] = await orderViews(db, [row.order], as);
  return view!;
}
