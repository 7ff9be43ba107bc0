import { randomUUID } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { requireMember } from '../access';
import { clipUrlSchema } from '../clips/store';
import { isUniqueViolation } from '../db/client';
import { orderItems, orders } from '../db/schema';
import { clientIdSchema } from '../messages/schemas';
import { type BrandRow, productIdSchema, productsWithBrands } from '../payments/catalog';
import { type CheckoutLine, createCheckoutSession, orderIdFor } from '../payments/checkout';
import { MAX_AMOUNT, platformFee } from '../payments/money';
import { requirePayments } from '../payments/stripe';
import { isolate } from '../text';
import { type Context, publicProcedure, router } from '../trpc';

export const MAX_QUANTITY = 10;
export const MAX_LINES = 20;

const quantitySchema = z
  .number({ message: `quantity must be a whole number from 1 to ${MAX_QUANTITY}` })
  .int(`quantity must be a whole number from 1 to ${MAX_QUANTITY}`)
  .min(1, `quantity must be a whole number from 1 to ${MAX_QUANTITY}`)
  .max(MAX_QUANTITY, `quantity must be a whole number from 1 to ${MAX_QUANTITY}`);

/** The site a widget runs on, kept as its origin only (scheme, host, port). */
const widgetOriginSchema = z
  .url({ protocol: /^https?$/, message: 'source.widget must be the http(s) address of the site' })
  .max(2048)
  .transform((value) => new URL(value).origin);

/**
 * Prices and currencies are not part of the input: whatever a client adds is dropped by the
 * schema, and every amount comes from the database.
 */
const checkoutInput = z.object({
  items: z
    .array(z.object({ productId: productIdSchema, quantity: quantitySchema }))
    .min(1, 'A checkout needs at least one item')
    .max(MAX_LINES, `A checkout can hold at most ${MAX_LINES} different products`),
  source: z
    .object({
      /** The clip the buyer was watching (canonicalized). */
      url: clipUrlSchema.optional(),
      /** The group the product was shared in; kept only when the buyer is a member. */
      groupId: z.uuid('source.groupId must be a group id').optional(),
      /** The brand site that hosts the widget. */
      widget: widgetOriginSchema.optional(),
    })
    .default({}),
  /** Names this checkout attempt: retrying with the same clientId returns the same order. */
  clientId: clientIdSchema.optional(),
});

type CheckoutInput = z.infer<typeof checkoutInput>;

const refuse = (code: 'BAD_REQUEST' | 'PRECONDITION_FAILED' | 'NOT_FOUND', message: string) =>
  new TRPCError({ code, message });

/** One line per product: the same product listed twice is one line with both quantities. */
function mergeItems(items: CheckoutInput['items']) {
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
async function priceFromDatabase(ctx: Context, wanted: Map<string, number>) {
  const rows = await productsWithBrands(ctx.db, [...wanted.keys()]);
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
async function replay(ctx: Context, orderId: string, wanted: Map<string, number>) {
  const [order] = await ctx.db.select().from(orders).where(eq(orders.id, orderId));
  if (!order) return null;
  const items = await ctx.db
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

export const checkoutRouter = router({
  /**
   * Public (a signed-in buyer is optional), limited per client address and per buyer. Prices come from the database; the order is
   * written only once Stripe has made the Checkout Session, so a Stripe error or timeout leaves
   * no order behind and the client may simply try again.
   */
  create: publicProcedure.input(checkoutInput).mutation(async ({ ctx, input }) => {
    const payments = requirePayments(ctx.payments);
    const wanted = mergeItems(input.items);
    const buyerId = ctx.user?.id ?? null;
    const orderId = input.clientId ? orderIdFor(buyerId, input.clientId) : randomUUID();
    if (input.clientId) {
      const again = await replay(ctx, orderId, wanted);
      if (again) return again;
    }
    // Counted only for a checkout not made yet: a retry answered above is free, and a refusal
    // here happens before any order row or Stripe call.
    await ctx.limits.consumeCheckout(ctx.ip, buyerId);
    const { brand, currency, lines, total } = await priceFromDatabase(ctx, wanted);
    const feeCents = platformFee(total, payments.feeBps);

    // Attribution. A group counts only when the buyer is in it; otherwise it is dropped without
    // saying why, so nobody learns about groups they are not in.
    let groupId: string | null = null;
    if (input.source.groupId && buyerId) {
      groupId = await requireMember(ctx.db, input.source.groupId, buyerId).then(
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
      await ctx.db.transaction(async (tx) => {
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
        const again = await replay(ctx, orderId, wanted);
        if (again) return again;
      }
      throw error;
    }
    ctx.log.info({ orderId, brandId: brand.id, total, currency }, 'checkout started');
    return answer(orderId, session.url, total, currency);
  }),
});
