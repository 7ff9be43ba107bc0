import { and, eq, isNull, sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import type { Tx } from '../db/client';
import { brands, orders } from '../db/schema';
import type { Deps } from '../deps';
import { transferGroupOf } from './checkout';
import { orderSplit } from './money';
import { lockOrder, type OrderRow } from './orders';

/**
 * Money for an order attributed to a creator. Such an order is a separate charge on the
 * platform (checkout.ts); once it is paid the platform moves the shares itself:
 *   to the brand   total − platform fee − commission
 *   to the creator the commission
 * each a transfer in the order's transfer group, funded by the order's charge
 * (`source_transaction`), with an idempotency key derived from the order and the share. After
 * a refund each transfer is reversed in proportion to what went back (a full refund reverses
 * them whole), with keys derived from the order, the share and the amount reversed in total.
 * So running `settleTransfers` again, after a retried or duplicated webhook or a crash half
 * way, moves no money twice: Stripe answers a repeated key with the first answer.
 */

type SettleDeps = Pick<Deps, 'db' | 'log'> & Partial<Pick<Deps, 'payments'>>;

const SHARES = ['brand', 'creator'] as const;
type Share = (typeof SHARES)[number];

export const transferIdempotencyKey = (orderId: string, share: Share) =>
  `kith-order-${orderId}-transfer-${share}`;
export const reversalIdempotencyKey = (orderId: string, share: Share, reversedCents: number) =>
  `kith-order-${orderId}-reversal-${share}-${reversedCents}`;

/** How much of a transfer of `amount` goes back after `refunded` of `total` was refunded. */
export function reversalTarget(amount: number, refunded: number, total: number): number {
  if (refunded >= total) return amount;
  return Math.floor((amount * refunded) / total);
}

const PAID: OrderRow['status'][] = ['paid', 'shipped', 'refunded'];

/** Whether an order's transfers or reversals may still be owed. */
export function needsSettling(order: OrderRow): boolean {
  if (!order.creatorAccountId || order.creatorCents <= 0) return false;
  if (!PAID.includes(order.status) || !order.stripePaymentIntentId) return false;
  return true;
}

const idOf = (value: string | { id: string } | null | undefined) =>
  typeof value === 'string' ? value : (value?.id ?? null);

/**
 * Brings Stripe in line with an attributed order: its two transfers once it is paid, and their
 * reversals after refunds. Outside any transaction (it waits on Stripe); a Stripe failure
 * throws, and the caller (the webhook, answering 500, so Stripe delivers again) retries.
 */
export async function settleTransfers(deps: SettleDeps, orderId: string): Promise<void> {
  const [unlocked] = await deps.db.select().from(orders).where(eq(orders.id, orderId));
  if (!unlocked || !needsSettling(unlocked)) return;
  // One settling of an order at a time (two deliveries of refund events, two instances): each
  // reads what Stripe has reversed already only after the one before it has finished, so two
  // refunds settled together never reverse the same share twice. The order's row stays locked
  // while Stripe answers; its webhook events wait for that, not longer.
  await deps.db.transaction(async (tx) => {
    const order = await lockOrder(tx, orderId);
    if (!order || !needsSettling(order)) return;
    await settleLocked({ ...deps, db: tx }, order);
  });
}

async function settleLocked(
  deps: Omit<SettleDeps, 'db'> & { db: Tx },
  order: OrderRow,
): Promise<void> {
  const orderId = order.id;
  if (!deps.payments) {
    deps.log.error(
      { orderId },
      'an attributed order is paid but its transfers cannot be made without STRIPE_SECRET_KEY',
    );
    return;
  }
  const stripe = deps.payments.stripe;
  const [brand] = await deps.db
    .select({ accountId: brands.stripeAccountId })
    .from(brands)
    .where(eq(brands.id, order.brandId));
  const split = orderSplit(order);
  const destinations: Record<Share, { accountId: string | null; cents: number }> = {
    brand: { accountId: brand?.accountId ?? null, cents: split.brandCents },
    creator: { accountId: order.creatorAccountId, cents: split.creatorCents },
  };
  const column = {
    brand: { transfer: 'brandTransferId', reversed: 'brandReversedCents' },
    creator: { transfer: 'creatorTransferId', reversed: 'creatorReversedCents' },
  } as const;

  // Refunded in full before anything moved: there is nothing to pay out.
  const nothingMoved = !order.brandTransferId && !order.creatorTransferId;
  if (nothingMoved && order.refundedCents >= order.totalCents) return;

  let chargeId = order.stripeChargeId;
  if (!chargeId) {
    const intent = await stripe.paymentIntents.retrieve(order.stripePaymentIntentId!);
    chargeId = idOf(intent.latest_charge);
    if (!chargeId) {
      deps.log.warn({ orderId }, 'the payment has no charge yet; transfers wait');
      return;
    }
    await deps.db.update(orders).set({ stripeChargeId: chargeId }).where(eq(orders.id, orderId));
  }

  for (const share of SHARES) {
    const { accountId, cents } = destinations[share];
    const col = column[share];
    let transferId = order[col.transfer];
    if (!transferId && cents > 0) {
      if (!accountId) throw new Error(`order ${orderId} has no ${share} account to transfer to`);
      const transfer: Stripe.Transfer = await stripe.transfers.create(
        {
          amount: cents,
          currency: order.currency.toLowerCase(),
          destination: accountId,
          transfer_group: transferGroupOf(orderId),
          source_transaction: chargeId,
          metadata: { order_id: orderId, share },
        },
        { idempotencyKey: transferIdempotencyKey(orderId, share) },
      );
      transferId = transfer.id;
      await deps.db
        .update(orders)
        .set({ [col.transfer]: transferId })
        .where(and(eq(orders.id, orderId), isNull(orders[col.transfer])));
      deps.log.info({ orderId, share, transferId, cents }, 'transfer made');
    }
    if (!transferId || order.refundedCents <= 0) continue;
    const target = reversalTarget(cents, order.refundedCents, order.totalCents);
    if (target <= order[col.reversed]) continue;
    // What Stripe has reversed already (a reversal whose record was lost is not made again).
    const current = await stripe.transfers.retrieve(transferId);
    const delta = target - current.amount_reversed;
    if (delta > 0) {
      await stripe.transfers.createReversal(
        transferId,
        { amount: delta, metadata: { order_id: orderId, share } },
        { idempotencyKey: reversalIdempotencyKey(orderId, share, target) },
      );
      deps.log.info({ orderId, share, transferId, cents: delta }, 'transfer reversed');
    }
    await deps.db
      .update(orders)
      .set({ [col.reversed]: sql`greatest(${orders[col.reversed]}, ${target})` })
      .where(eq(orders.id, orderId));
  }
}
