import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { and, eq, gte, inArray, isNotNull, lt, notExists, sql } from 'drizzle-orm';
import type { DbOrTx, Tx } from '../db/client';
import { checkoutHolds, orders, products } from '../db/schema';
import { isolate } from '../text';

/**
 * Stock is held from the moment a checkout starts, so two buyers of the last unit never both
 * reach Stripe: the hold takes the units off `products.stock` with one conditional UPDATE per
 * product (`stock >= quantity`), in product-id order, in one transaction. Paying uses the hold
 * up; expiry, failure or cancellation gives its units back. The Checkout Session is made to
 * expire when the hold does (`expires_at`).
 */

/** How long a checkout holds stock, and so how long its Checkout Session can be paid. */
export const HOLD_MS = 60 * 60 * 1000;

export type HoldRow = typeof checkoutHolds.$inferSelect;

export const soldOut = (title: string) =>
  new TRPCError({
    code: 'BAD_REQUEST',
    message: `“${isolate(title)}” is sold out: someone else is buying the last one.`,
  });

/** A fresh secret for an order's return links, and the hash the order row keeps. */
export function newOrderToken(): string {
  return randomBytes(24).toString('base64url');
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(`kith-order\0${token}`).digest('hex');
}

/** Whether `token` is the order's secret (constant time). */
export function tokenMatches(hash: string | null, token: string | null): boolean {
  if (!hash || !token || token.length > 200) return false;
  const a = Buffer.from(tokenHash(token), 'hex');
  const b = Buffer.from(hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function findHold(db: DbOrTx, orderId: string): Promise<HoldRow | null> {
  const [row] = await db.select().from(checkoutHolds).where(eq(checkoutHolds.orderId, orderId));
  return row ?? null;
}

/**
 * Holds `lines` (tracked-stock products only are taken) for the order, or throws "sold out"
 * and takes nothing. `titles` name the products in the refusal.
 */
export async function placeHold(
  db: DbOrTx,
  orderId: string,
  lines: { productId: string; quantity: number; title: string }[],
  now = new Date(),
): Promise<HoldRow> {
  return db.transaction(async (tx) => {
    const taken: { productId: string; quantity: number }[] = [];
    for (const line of [...lines].sort((a, b) => a.productId.localeCompare(b.productId))) {
      const [row] = await tx
        .update(products)
        .set({ stock: sql`${products.stock} - ${line.quantity}` })
        .where(
          and(
            eq(products.id, line.productId),
            isNotNull(products.stock),
            gte(products.stock, line.quantity),
          ),
        )
        .returning({ id: products.id });
      if (row) {
        taken.push({ productId: line.productId, quantity: line.quantity });
        continue;
      }
      const [untracked] = await tx
        .select({ stock: products.stock })
        .from(products)
        .where(eq(products.id, line.productId));
      if (untracked && untracked.stock === null) continue;
      throw soldOut(line.title);
    }
    const [hold] = await tx
      .insert(checkoutHolds)
      .values({
        orderId,
        lines: taken,
        token: newOrderToken(),
        expiresAt: new Date(now.getTime() + HOLD_MS),
      })
      .returning();
    return hold!;
  });
}

async function giveBack(tx: Tx, lines: { productId: string; quantity: number }[]) {
  for (const line of [...lines].sort((a, b) => a.productId.localeCompare(b.productId))) {
    await tx
      .update(products)
      .set({ stock: sql`${products.stock} + ${line.quantity}` })
      .where(and(eq(products.id, line.productId), isNotNull(products.stock)));
  }
}

/** Ends the order's hold: `keep` (paid) leaves the units taken, otherwise they go back. */
export async function endHold(tx: Tx, orderId: string, keep: boolean): Promise<HoldRow | null> {
  const [hold] = await tx
    .delete(checkoutHolds)
    .where(eq(checkoutHolds.orderId, orderId))
    .returning();
  if (!hold) return null;
  if (!keep) await giveBack(tx, hold.lines);
  return hold;
}

/** Once the order row carries the secret's hash, the hold forgets the secret itself. */
export async function forgetToken(tx: Tx, orderId: string) {
  await tx.update(checkoutHolds).set({ token: null }).where(eq(checkoutHolds.orderId, orderId));
}

/**
 * Gives back the holds past `cutoff` whose order was never stored (Stripe refused, or the
 * server stopped between the hold and the order). Holds with an order end with the order.
 */
export async function releaseOrphanHolds(db: DbOrTx, cutoff: Date): Promise<number> {
  return db.transaction(async (tx) => {
    const gone = await tx
      .delete(checkoutHolds)
      .where(
        and(
          lt(checkoutHolds.expiresAt, cutoff),
          notExists(
            tx.select({ id: orders.id }).from(orders).where(eq(orders.id, checkoutHolds.orderId)),
          ),
        ),
      )
      .returning();
    for (const hold of gone) await giveBack(tx, hold.lines);
    return gone.length;
  });
}

/** Ends the holds of orders that just closed without payment (the sweeper's expiries). */
export async function releaseHolds(tx: Tx, orderIds: string[]) {
  if (orderIds.length === 0) return;
  const gone = await tx
    .delete(checkoutHolds)
    .where(inArray(checkoutHolds.orderId, orderIds))
    .returning();
  for (const hold of gone) await giveBack(tx, hold.lines);
}
