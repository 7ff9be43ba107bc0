import { randomUUID } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { eq } from 'drizzle-orm';
import { requireMember } from '../access';
import type { ResolvedClip } from '../clips/resolve';
import { isUniqueViolation } from '../db/client';
import { orderItems, orders } from '../db/schema';
import type { Deps } from '../deps';
import { isolate } from '../text';
import { type BrandRow, productsWithBrands } from './catalog';
import { type CheckoutLine, createCheckoutSession, orderIdFor } from './checkout';
import { MAX_AMOUNT, platformFee } from './money';
import { requirePayments } from './stripe';

/** At most this many of one product, and this many different products, in one checkout. */
export const MAX_QUANTITY = 10;
export const MAX_LINES = 20;

export interface CheckoutItem {
  productId: string;
  quantity: number;
}

export interface StartCheckoutInput {
  items: CheckoutItem[];
  source: {
    url?: ResolvedClip | undefined;
    groupId?: string | undefined;
    widget?: string | undefined;
  };
  clientId?: string | undefined;
}

const refuse = (code: 'BAD_REQUEST' | 'PRECONDITION_FAILED' | 'NOT_FOUND', message: string) =>
  new TRPCError({ code, message });

/** One line per product: the same product listed twice is one line with both quantities. */
function mergeItems(items: CheckoutItem[]) {
  const merged = new Map<string, number>();
  for (const item of items)
    merged.set(item.productId, (merged.get(item.productId) ?? 0) + item.quantity);
  for (const quantity of merged.values()) {
    if (quantity > MAX_QUANTITY)
      throw refuse(
        'BAD_REQUEST',
        `You can buy at most ${MAX_QUANTITY} of one product in one checkout.`,
      );
  }
  return merged;
}

/** Re-reads every product and its brand, and refuses anything checkout cannot sell. */
async function priceFromDatabase(deps: Pick<Deps, 'db'>, wanted: Map<string, number>) {
  const rows = await productsWithBrands(deps.db, [...wanted.keys()]);
  if (rows.length !== wanted.size)
    throw refuse('NOT_FOUND', 'Some of these products do not exist (any more).');
  const brandIds = new Set(rows.map((r) => r.brand.id));
  if (brandIds.size > 1)
    throw refuse(
      'BAD_REQUEST',
      'One checkout can only hold products of one brand. Buy from each brand separately.',
    );
  const currencies = new Set(rows.map((r) => r.product.currency));
  if (currencies.size > 1)
    throw refuse(
      'BAD_REQUEST',
      'One checkout can only hold products priced in one currency. Buy them separately.',
    );
  const lines: CheckoutLine[] = [];
  for (const { product } of rows) {
    const quantity = wanted.get(product.id)!;
    if (!product.active)
      throw refuse('BAD_REQUEST', `“${isolate(product.title)}” is no longer for sale.`);
    if (product.stock !== null && product.stock < quantity)
      throw refuse(
        'BAD_REQUEST',
        product.stock === 0
          ? `“${isolate(product.title)}” is out of stock.`
          : `Only ${product.stock} of “${isolate(product.title)}” left; lower the quantity.`,
      );
    lines.push({
      productId: product.id,
      title: product.title,
      description: product.description,
      imageUrl: product.imageUrl,
      unitPriceCents: product.priceCents,
      quantity,
    });
  }
  const brand = rows[0]!.brand;
  if (!brand.stripeAccountId || !brand.chargesEnabled)
    throw refuse(
      'PRECONDITION_FAILED',
      `${isolate(brand.name)} cannot take payments yet: its Stripe account is not fully set up.`,
    );
  const total = lines.reduce((sum, l) => sum + l.unitPriceCents * l.quantity, 0);
  if (total > MAX_AMOUNT)
    throw refuse('BAD_REQUEST', 'This order is too large for one payment; split it up.');
  return {
    brand: brand as BrandRow & { stripeAccountId: string },
    currency: rows[0]!.product.currency,
    lines,
    total,
  };
}

function sameItems(a: Map<string, number>, b: { productId: string; quantity: number }[]) {
  return a.size === b.length && b.every((i) => a.get(i.productId) === i.quantity);
}

/** An order already made for this clientId: the same answer again, or a clear refusal. */
async function replay(deps: Pick<Deps, 'db'>, orderId: string, wanted: Map<string, number>) {
  const [order] = await deps.db.select().from(orders).where(eq(orders.id, orderId));
  if (!order) return null;
  const items = await deps.db
    .select({ productId: orderItems.productId, quantity: orderItems.quantity })
    .from(orderItems)
    .where(eq(orderItems.orderId, orderId));
  if (!sameItems(wanted, items))
    throw new TRPCError({
      code: 'CONFLICT',
      message: 'This clientId was already used for a different checkout. Use a new clientId.',
    });
  if (order.status !== 'pending' || !order.checkoutUrl)
    throw new TRPCError({
      code: 'CONFLICT',
      message: `This checkout is already ${order.status}. Start a new one with a new clientId.`,
    });
  return answer(order.id, order.checkoutUrl, order.totalCents, order.currency);
}

function answer(orderId: string, checkoutUrl: string, totalCents: number, currency: string) {
  return { orderId, checkoutUrl, status: 'pending' as const, totalCents, currency };
}

/**
 * `checkout.create`: prices `input` from the database and opens a Stripe Checkout Session for
 * it; the order is written only once Stripe has made the session, so a Stripe error or timeout
 * leaves no order behind. A retry with the same `clientId` answers the same order. Counted
 * against the checkout limits of `ip` and of the buyer (`buyerId`, null when signed out).
 */
export async function startCheckout(
  deps: Pick<Deps, 'db' | 'limits' | 'payments' | 'log'>,
  buyerId: string | null,
  ip: string,
  input: StartCheckoutInput,
) {
  const payments = requirePayments(deps.payments);
  const wanted = mergeItems(input.items);
  const orderId = input.clientId ? orderIdFor(buyerId, input.clientId) : randomUUID();
  if (input.clientId) {
    const again = await replay(deps, orderId, wanted);
    if (again) return again;
  }
  // Counted only for a checkout not made yet: a retry answered above is free, and a refusal
  // here happens before any order row or Stripe call.
  await deps.limits.consumeCheckout(ip, buyerId);
  const { brand, currency, lines, total } = await priceFromDatabase(deps, wanted);
  const feeCents = platformFee(total, payments.feeBps);

  // Attribution. A group counts only when the buyer is in it; otherwise it is dropped without
  // saying why, so nobody learns about groups they are not in.
  let groupId: string | null = null;
  if (input.source.groupId && buyerId) {
    groupId = await requireMember(deps.db, input.source.groupId, buyerId).then(
      () => input.source.groupId ?? null,
      () => null,
    );
  }

  const session = await createCheckoutSession(payments, {
    orderId,
    brand,
    currency,
    lines,
    feeCents,
  });

  try {
    await deps.db.transaction(async (tx) => {
      await tx.insert(orders).values({
        id: orderId,
        buyerId,
        brandId: brand.id,
        status: 'pending',
        currency,
        totalCents: total,
        feeCents,
        stripeSessionId: session.id,
        checkoutUrl: session.url,
        sourceUrl: input.source.url?.url ?? null,
        sourceGroupId: groupId,
        sourceWidget: input.source.widget ?? null,
      });
      await tx.insert(orderItems).values(
        lines.map((line) => ({
          orderId,
          productId: line.productId,
          title: line.title,
          unitPriceCents: line.unitPriceCents,
          quantity: line.quantity,
        })),
      );
    });
  } catch (error) {
    // A concurrent retry with the same clientId stored this order first: answer with it.
    if (input.clientId && isUniqueViolation(error)) {
      const again = await replay(deps, orderId, wanted);
      if (again) return again;
    }
    throw error;
  }
  deps.log.info({ orderId, brandId: brand.id, total, currency }, 'checkout started');
  return answer(orderId, session.url, total, currency);
}
