import { and, asc, eq, inArray, isNotNull, lt, or, sql } from 'drizzle-orm';
import type { DbOrTx, Tx } from '../db/client';
import { brands, type OrderStatus, orderItems, orders, products, users } from '../db/schema';
import { endHold } from './holds';
import { orderSplit } from './money';

export type OrderRow = typeof orders.$inferSelect;

/**
 * The order state machine. It only moves forward:
 *   pending → paid | expired | failed,   paid → shipped | refunded,   shipped → refunded
 * and a refund seen while still pending means the payment happened too (pending → refunded,
 * with the payment's effects). expired → paid exists because money moved wins: an order given
 * up by the sweeper whose session Stripe confirms paid (the webhook checks with Stripe first). So any order and any repetition of the same Stripe events end in
 * the same state, and the payment's effects (paid time, stock) happen exactly once. The stock
 * was held when the checkout started (holds.ts): paying uses the hold up, closing unpaid gives
 * it back.
 */
const NEXT: Record<OrderStatus, OrderStatus[]> = {
  pending: ['paid', 'expired', 'failed', 'refunded'],
  paid: ['shipped', 'refunded'],
  shipped: ['refunded'],
  refunded: [],
  expired: ['paid'],
  failed: [],
};

export function canMove(from: OrderStatus, to: OrderStatus): boolean {
  return NEXT[from].includes(to);
}

export interface Transition {
  orderId: string;
  from: OrderStatus;
  to: OrderStatus;
  changed: boolean;
}

/** The order row, locked until the transaction ends, or null. */
export async function lockOrder(tx: Tx, orderId: string): Promise<OrderRow | null> {
  const [row] = await tx.select().from(orders).where(eq(orders.id, orderId)).for('update');
  return row ?? null;
}

/**
 * Moves a locked order to `to` if the state machine allows it. Entering paid (or refunded
 * straight from pending) takes the stock, once.
 */
export async function advanceOrder(
  tx: Tx,
  order: OrderRow,
  to: OrderStatus,
  fields: Partial<
    Pick<
      OrderRow,
      | 'stripePaymentIntentId'
      | 'refundedCents'
      | 'email'
      | 'shipping'
      | 'carrier'
      | 'trackingNumber'
      | 'trackingUrl'
      | 'shippedAt'
    >
  > = {},
): Promise<Transition> {
  const now = new Date();
  const extra = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  if (!canMove(order.status, to)) {
    if (Object.keys(extra).length > 0)
      await tx
        .update(orders)
        .set({ ...extra, updatedAt: now })
        .where(eq(orders.id, order.id));
    return { orderId: order.id, from: order.status, to: order.status, changed: false };
  }
  const paying =
    (order.status === 'pending' || order.status === 'expired') &&
    (to === 'paid' || to === 'refunded');
  if (paying) {
    // The units were held at checkout; an order whose hold already ended (expired, then paid
    // after all) takes them now.
    const hold = await endHold(tx, order.id, true);
    if (!hold) await takeStock(tx, order.id);
  } else if (order.status === 'pending' && (to === 'expired' || to === 'failed')) {
    await endHold(tx, order.id, false);
  }
  await tx
    .update(orders)
    .set({
      ...extra,
      status: to,
      updatedAt: now,
      ...(paying ? { paidAt: now } : {}),
      // A paid or shipped order is open (an expired order revived by its payment opens again).
      closedAt: to !== 'paid' && to !== 'shipped' ? now : null,
    })
    .where(eq(orders.id, order.id));
  return { orderId: order.id, from: order.status, to, changed: true };
}

/**
 * Takes the paid quantities off tracked stock. Payment is final, so stock never goes below
 * zero here even if two buyers paid for the last unit at once (the brand sees both orders).
 */
async function takeStock(tx: Tx, orderId: string) {
  const items = await tx
    .select({ productId: orderItems.productId, quantity: orderItems.quantity })
    .from(orderItems)
    .where(eq(orderItems.orderId, orderId))
    .orderBy(asc(orderItems.productId));
  for (const item of items) {
    await tx
      .update(products)
      .set({ stock: sql`greatest(${products.stock} - ${item.quantity}, 0)` })
      .where(and(eq(products.id, item.productId), isNotNull(products.stock)));
  }
}

/** Orders as their buyer or their brand sees them: items, totals, attribution. */
export async function orderViews(db: DbOrTx, rows: OrderRow[], as: 'buyer' | 'brand') {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const items = await db
    .select()
    .from(orderItems)
    .where(inArray(orderItems.orderId, ids))
    .orderBy(asc(orderItems.title));
  const brandRows = await db
    .select({
      id: brands.id,
      name: brands.name,
      slug: brands.slug,
      supportEmail: brands.supportEmail,
    })
    .from(brands)
    .where(
      inArray(
        brands.id,
        rows.map((r) => r.brandId),
      ),
    );
  const brandById = new Map(brandRows.map((b) => [b.id, b]));
  const creatorIds = [...new Set(rows.flatMap((r) => (r.creatorId ? [r.creatorId] : [])))];
  const creatorRows = creatorIds.length
    ? await db
        .select({ id: users.id, handle: users.handle })
        .from(users)
        .where(inArray(users.id, creatorIds))
    : [];
  const creatorById = new Map(creatorRows.map((c) => [c.id, c]));
  return rows.map((order) => {
    const lines = items
      .filter((i) => i.orderId === order.id)
      .map((i) => ({
        productId: i.productId,
        title: i.title,
        unitPriceCents: i.unitPriceCents,
        quantity: i.quantity,
        subtotalCents: i.unitPriceCents * i.quantity,
      }));
    return {
      id: order.id,
      status: order.status,
      brand: brandById.get(order.brandId) ?? {
        id: order.brandId,
        name: '',
        slug: '',
        supportEmail: null,
      },
      currency: order.currency,
      items: lines,
      itemCount: lines.reduce((n, l) => n + l.quantity, 0),
      totalCents: order.totalCents,
      refundedCents: order.refundedCents,
      /** From Checkout: only the buyer and the brand ever see these. */
      email: order.email,
      shipping: order.shipping,
      tracking: order.shippedAt
        ? {
            carrier: order.carrier ?? '',
            number: order.trackingNumber ?? '',
            url: order.trackingUrl,
          }
        : null,
      shippedAt: order.shippedAt?.toISOString() ?? null,
      /** The creator the sale is attributed to (their commission is in `split`), or null. */
      creator: order.creatorId ? (creatorById.get(order.creatorId) ?? null) : null,
      /** How the total divides between the platform, the creator and the brand. */
      split: orderSplit(order),
      ...(as === 'brand'
        ? {
            platformFeeCents: order.feeCents,
            netCents: order.totalCents - order.feeCents - order.creatorCents,
            buyer: order.buyerId ? 'member' : 'guest',
          }
        : {}),
      /** Where the sale came from: the clip, the group it was shared in, the widget's site. */
      source: {
        url: order.sourceUrl,
        groupId: order.sourceGroupId,
        widget: order.sourceWidget,
      },
      /** Where to pay, while the order waits for payment. */
      checkoutUrl: order.status === 'pending' ? order.checkoutUrl : null,
      createdAt: order.createdAt.toISOString(),
      paidAt: order.paidAt?.toISOString() ?? null,
      closedAt: order.closedAt?.toISOString() ?? null,
    };
  });
}

export type OrderView = Awaited<ReturnType<typeof orderViews>>[number];

/** Keyset paging over (created_at, id), newest first: the orders after `before`. */
export async function olderThan(db: DbOrTx, before?: string) {
  if (!before) return undefined;
  const [row] = await db
    .select({ createdAt: orders.createdAt, id: orders.id })
    .from(orders)
    .where(eq(orders.id, before));
  if (!row) return undefined;
  return or(
    lt(orders.createdAt, row.createdAt),
    and(eq(orders.createdAt, row.createdAt), lt(orders.id, row.id)),
  );
}
