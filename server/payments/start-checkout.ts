import { randomUUID } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { eq } from 'drizzle-orm';
import { requireMember } from '../access';
import type { ResolvedClip } from '../clips/resolve';
import { attributeToCreator } from '../creators/attribution';
import { isUniqueViolation } from '../db/client';
import { orderItems, orders } from '../db/schema';
import type { Deps } from '../deps';
import { isolate } from '../text';
import { type BrandRow, productsWithBrands } from './catalog';
import { type CheckoutLine, createCheckoutSession, orderIdFor } from './checkout';
import { endHold, findHold, forgetToken, placeHold, tokenHash } from './holds';
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
  /** A page of the brand's site to send the buyer back to; must be on its allowedOrigins. */
  returnUrl?: string | undefined;
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
  /** The products whose stock is counted (and so held): the others sell without a hold. */
  const tracked = new Set<string>();
  // In the order the buyer listed them, whatever order the rows come back in.
  const order = [...wanted.keys()];
  rows.sort((a, b) => order.indexOf(a.product.id) - order.indexOf(b.product.id));
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
    if (product.stock !== null) tracked.add(product.id);
    lines.push({
      productId: product.id,
      title: product.title,
      description: product.description,
      imageUrl: product.imageUrl,
      unitPriceCents: product.priceCents,
      quantity,
      requiresShipping: product.requiresShipping,
    });
  }
  const brand = rows[0]!.brand;
  if (!brand.stripeAccountId || !brand.chargesEnabled)
    throw refuse(
      'PRECONDITION_FAILED',
      `${isolate(brand.name)} cannot take payments yet: its Stripe account is not fully set up.`,
    );
  if (lines.some((l) => l.requiresShipping) && brand.shippingCountries.length === 0)
    throw refuse(
      'PRECONDITION_FAILED',
      `${isolate(brand.name)} has not said where it ships yet, so it cannot sell this.`,
    );
  const total = lines.reduce((sum, l) => sum + l.unitPriceCents * l.quantity, 0);
  if (total > MAX_AMOUNT)
    throw refuse('BAD_REQUEST', 'This order is too large for one payment; split it up.');
  return {
    brand: brand as BrandRow & { stripeAccountId: string },
    currency: rows[0]!.product.currency,
    lines,
    tracked,
    total,
  };
}

/**
 * Whether a hold placed by an earlier try of this clientId holds exactly what this try sells:
 * the same quantity of every tracked product and nothing else. A retry that asks for other
 * products or quantities must not sell on a hold that does not cover them.
 */
function holdCovers(
  held: { productId: string; quantity: number }[],
  wanted: Map<string, number>,
  tracked: Set<string>,
) {
  const heldIds = new Set(held.map((l) => l.productId));
  return (
    held.every((l) => wanted.get(l.productId) === l.quantity) &&
    [...tracked].every((id) => heldIds.has(id))
  );
}

const differentCheckout = () =>
  new TRPCError({
    code: 'CONFLICT',
    message: 'This clientId was already used for a different checkout. Use a new clientId.',
  });

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
  if (!sameItems(wanted, items)) throw differentCheckout();
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

/** The return page the buyer asked for, if it is on one of the brand's allowed origins. */
function allowedReturnUrl(brand: BrandRow, returnUrl: string | undefined): string | null {
  if (!returnUrl) return null;
  const url = new URL(returnUrl);
  // A user name or password (`https://other.example@shop.example/`) keeps the brand's origin
  // but makes the link read as another site's: refused like any address off the brand's sites.
  if (url.username || url.password || !brand.allowedOrigins.includes(url.origin))
    throw refuse(
      'BAD_REQUEST',
      `returnUrl must be a page on one of ${isolate(brand.name)}'s sites (its allowed origins).`,
    );
  return url.href;
}

/**
 * `checkout.create`: prices `input` from the database, holds the stock (or refuses: sold out)
 * and opens a Stripe Checkout Session for it that expires when the hold does; the order is
 * written only once Stripe has made the session, so a Stripe error or timeout leaves no order
 * behind (a clientId's hold waits for its retry, which reuses it; the sweeper gives back a hold
 * never used). A retry with the same `clientId` answers the same order. Counted against the
 * checkout limits of `ip` and of the buyer (`buyerId`, null when signed out).
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
  const { brand, currency, lines, tracked, total } = await priceFromDatabase(deps, wanted);
  const returnUrl = allowedReturnUrl(brand, input.returnUrl);
  const feeCents = platformFee(total, payments.feeBps);
  // A purchase from a creator's own clip, of a product they tagged there, earns them a
  // commission (decided from the database; the client only names the clip).
  const creator = await attributeToCreator(
    deps.db,
    input.source.url,
    lines,
    total,
    feeCents,
    buyerId,
  );

  // Attribution. A group counts only when the buyer is in it; otherwise it is dropped without
  // saying why, so nobody learns about groups they are not in.
  let groupId: string | null = null;
  if (input.source.groupId && buyerId) {
    groupId = await requireMember(deps.db, input.source.groupId, buyerId).then(
      () => input.source.groupId ?? null,
      () => null,
    );
  }

  // A retry of a clientId whose first try never stored its order reuses that try's hold (and
  // so its secret and expiry: the same Stripe request again).
  let hold = input.clientId ? await findHold(deps.db, orderId) : null;
  if (!hold?.token) {
    hold = await placeHold(deps.db, orderId, lines).catch(async (error: unknown) => {
      // A concurrent retry of the same clientId placed it first.
      if (!input.clientId || !isUniqueViolation(error)) throw error;
      return findHold(deps.db, orderId);
    });
  }
  // A hold an earlier (or concurrent) try placed sells only what it holds.
  if (hold?.token && !holdCovers(hold.lines, wanted, tracked)) throw differentCheckout();
  if (!hold?.token) {
    const again = await replay(deps, orderId, wanted);
    if (again) return again;
    throw new TRPCError({ code: 'CONFLICT', message: 'This checkout is starting; try again.' });
  }
  const token = hold.token;

  let session: Awaited<ReturnType<typeof createCheckoutSession>>;
  try {
    session = await createCheckoutSession(payments, {
      orderId,
      token,
      brand,
      currency,
      lines,
      feeCents,
      expiresAt: hold.expiresAt,
      creatorId: creator?.creatorId ?? null,
    });
  } catch (error) {
    // Without a clientId nobody can retry this checkout: its units go back at once.
    if (!input.clientId) await deps.db.transaction((tx) => endHold(tx, orderId, false));
    throw error;
  }

  try {
    await deps.db.transaction(async (tx) => {
      await forgetToken(tx, orderId);
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
        accessTokenHash: tokenHash(token),
        expiresAt: hold.expiresAt,
        returnUrl,
        sourceUrl: input.source.url?.url ?? null,
        sourceGroupId: groupId,
        sourceWidget: input.source.widget ?? null,
        creatorId: creator?.creatorId ?? null,
        creatorCents: creator?.creatorCents ?? 0,
        creatorAccountId: creator?.accountId ?? null,
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
  deps.log.info(
    { orderId, brandId: brand.id, total, currency, creatorId: creator?.creatorId },
    'checkout started',
  );
  return answer(orderId, session.url, total, currency);
}
