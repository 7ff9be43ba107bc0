import { and, desc, eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../db/client';
import { brands, creatorAccounts, orders } from '../db/schema';

/** At most this many attributed orders in `creators.earnings`. */
export const EARNINGS_PAGE = 50;

/**
 * `creators.earnings`: the caller's Connect state and the paid orders attributed to them,
 * newest first, each with the commission and how much of it went back after refunds. Only
 * what the creator is owed shows: the brand, amounts and status, never the buyer.
 */
export async function creatorEarnings(db: DbOrTx, userId: string) {
  const [account] = await db
    .select()
    .from(creatorAccounts)
    .where(eq(creatorAccounts.userId, userId));
  const rows = await db
    .select({
      id: orders.id,
      status: orders.status,
      currency: orders.currency,
      totalCents: orders.totalCents,
      creatorCents: orders.creatorCents,
      reversedCents: orders.creatorReversedCents,
      transferred: orders.creatorTransferId,
      paidAt: orders.paidAt,
      brandName: brands.name,
    })
    .from(orders)
    .innerJoin(brands, eq(brands.id, orders.brandId))
    .where(
      and(eq(orders.creatorId, userId), inArray(orders.status, ['paid', 'shipped', 'refunded'])),
    )
    .orderBy(desc(orders.paidAt), desc(orders.id))
    .limit(EARNINGS_PAGE);
  return {
    account: account
      ? { connected: true, payoutsEnabled: account.payoutsEnabled }
      : { connected: false, payoutsEnabled: false },
    orders: rows.map((r) => ({
      orderId: r.id,
      brand: r.brandName,
      status: r.status,
      currency: r.currency,
      totalCents: r.totalCents,
      commissionCents: r.creatorCents,
      reversedCents: r.reversedCents,
      /** Whether the commission has been transferred to the creator's Stripe account. */
      transferred: r.transferred !== null,
      paidAt: r.paidAt?.toISOString() ?? null,
    })),
  };
}
