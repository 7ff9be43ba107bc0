import { createHash } from 'node:crypto';
import type Stripe from 'stripe';
import type { BrandRow } from './catalog';
import { type Payments, stripeFailure } from './stripe';

export interface CheckoutLine {
  productId: string;
  title: string;
  description: string | null;
  imageUrl: string | null;
  unitPriceCents: number;
  quantity: number;
  requiresShipping: boolean;
}

/**
 * The order id for a checkout the client names with `clientId`: the same buyer retrying the
 * same checkout gets the same order (and so the same Stripe idempotency key and session).
 */
export function orderIdFor(buyer: string | null, clientId: string): string {
  const hex = createHash('sha256')
    .update(`kith-checkout\0${buyer ?? 'guest'}\0${clientId}`)
    .digest('hex');
  // An RFC 9562 version 8 (custom) UUID built from the hash.
  const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export const checkoutIdempotencyKey = (orderId: string) => `kith-order-${orderId}-checkout`;

/** The return pages, with the order's secret: only the buyer's browser is sent there. */
export function checkoutUrls(payments: Payments, orderId: string, token: string) {
  const query = `order=${orderId}&token=${encodeURIComponent(token)}`;
  return {
    success_url: `${payments.publicUrl}/checkout/success?${query}`,
    cancel_url: `${payments.publicUrl}/checkout/cancel?${query}`,
  };
}

/** The Stripe transfer group of an order's separate charge and its transfers. */
export const transferGroupOf = (orderId: string) => `order:${orderId}`;

/**
 * A Checkout Session for the order: line items priced from the database, and the order id in
 * the metadata. Without a creator it is a destination charge to the brand's connected account
 * with the platform fee; with one (`creatorId`) it is a separate charge on the platform in the
 * order's transfer group, and the webhook transfers the brand's and the creator's shares.
 * It asks for the buyer's email always and for a shipping address (in the brand's countries)
 * when something in it ships, and stops taking payment when the stock hold ends.
 */
export async function createCheckoutSession(
  payments: Payments,
  input: {
    orderId: string;
    token: string;
    brand: BrandRow & { stripeAccountId: string };
    currency: string;
    lines: CheckoutLine[];
    feeCents: number;
    expiresAt: Date;
    /** The creator the sale is attributed to: a separate charge instead of a destination one. */
    creatorId?: string | null;
  },
): Promise<Stripe.Checkout.Session & { url: string }> {
  const { orderId, brand } = input;
  const currency = input.currency.toLowerCase();
  const params: Stripe.Checkout.SessionCreateParams = {
    mode: 'payment',
    client_reference_id: orderId,
    line_items: input.lines.map((line) => ({
      quantity: line.quantity,
      price_data: {
        currency,
        unit_amount: line.unitPriceCents,
        product_data: {
          name: line.title,
          ...(line.description ? { description: line.description.slice(0, 500) } : {}),
          ...(line.imageUrl ? { images: [line.imageUrl] } : {}),
          metadata: { product_id: line.productId },
        },
      },
    })),
    payment_intent_data: input.creatorId
      ? {
          transfer_group: transferGroupOf(orderId),
          metadata: { order_id: orderId, brand_id: brand.id, creator_id: input.creatorId },
        }
      : {
          application_fee_amount: input.feeCents,
          transfer_data: { destination: brand.stripeAccountId },
          metadata: { order_id: orderId, brand_id: brand.id },
        },
    metadata: { order_id: orderId, brand_id: brand.id },
    expires_at: Math.floor(input.expiresAt.getTime() / 1000),
    ...(input.lines.some((l) => l.requiresShipping)
      ? {
          shipping_address_collection: {
            allowed_countries:
              brand.shippingCountries as Stripe.Checkout.SessionCreateParams.ShippingAddressCollection.AllowedCountry[],
          },
        }
      : {}),
    ...checkoutUrls(payments, orderId, input.token),
  };
  let session: Stripe.Checkout.Session;
  try {
    session = await payments.stripe.checkout.sessions.create(params, {
      idempotencyKey: checkoutIdempotencyKey(orderId),
    });
  } catch (error) {
    throw stripeFailure(error, 'checkout');
  }
  if (!session.url) throw stripeFailure(new Error('session without url'), 'checkout');
  return session as Stripe.Checkout.Session & { url: string };
}
