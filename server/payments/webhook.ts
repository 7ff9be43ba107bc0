import type { IncomingMessage, ServerResponse } from 'node:http';
import { eq } from 'drizzle-orm';
import Stripe from 'stripe';
import type { RouteHandler } from '../app';
import { applyCreatorAccountState } from '../creators/connect';
import type { Tx } from '../db/client';
import { brands, orders, stripeEvents } from '../db/schema';
import type { Deps } from '../deps';
import { applyAccountState } from './connect';
import { advanceOrder, lockOrder, type OrderRow, type Transition } from './orders';
import { settleTransfers } from './transfers';

/** Stripe's events are a few kB; anything far larger is not from Stripe. */
const MAX_WEBHOOK_BYTES = 1024 * 1024;

export const HANDLED_EVENTS = [
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed',
  'checkout.session.expired',
  'charge.refunded',
  'account.updated',
] as const;
type HandledType = (typeof HANDLED_EVENTS)[number];

export type WebhookOutcome =
  | { status: 'handled'; transition?: Transition; note?: string }
  | { status: 'duplicate' }
  | { status: 'ignored'; note: string };

const isHandled = (type: string): type is HandledType =>
  (HANDLED_EVENTS as readonly string[]).includes(type);

/** The order a Checkout Session belongs to, locked, or null if it is not one of ours. */
async function orderForSession(tx: Tx, session: Stripe.Checkout.Session): Promise<OrderRow | null> {
  const orderId = session.metadata?.order_id ?? session.client_reference_id;
  if (!orderId || !/^[0-9a-f-]{36}$/i.test(orderId)) return null;
  const order = await lockOrder(tx, orderId);
  // The session must be the one made for this order (not just carry its id).
  if (!order || (order.stripeSessionId && order.stripeSessionId !== session.id)) return null;
  return order;
}

const paymentIntentId = (value: string | { id: string } | null | undefined) =>
  typeof value === 'string' ? value : (value?.id ?? undefined);

/** The email and shipping address a completed session collected. */
export function collected(session: Stripe.Checkout.Session): Pick<OrderRow, 'email' | 'shipping'> {
  const details =
    session.collected_information?.shipping_details ??
    // Older API versions put it on the session itself.
    (
      session as unknown as {
        shipping_details?: Stripe.Checkout.Session.CollectedInformation.ShippingDetails | null;
      }
    ).shipping_details ??
    null;
  const address = details?.address;
  return {
    email: session.customer_details?.email ?? null,
    shipping: details
      ? {
          name: details.name ?? null,
          address: {
            line1: address?.line1 ?? null,
            line2: address?.line2 ?? null,
            city: address?.city ?? null,
            state: address?.state ?? null,
            postalCode: address?.postal_code ?? null,
            country: address?.country ?? null,
          },
        }
      : null,
  };
}

/**
 * The order a refunded charge paid for, matched on the order's own Stripe ids: its payment
 * intent, or (before the payment's own event has recorded that) the payment intent Stripe
 * reports for the order's own Checkout Session. The metadata alone proves nothing: anyone who
 * can make a charge can write an order id into it. A Connect event (`event.account`) must come
 * from the brand's own account, and a destination charge must pay the brand's account.
 */
async function orderForCharge(
  tx: Tx,
  event: Stripe.Event,
  charge: Stripe.Charge,
  sessionPaymentIntent: string | null | undefined,
): Promise<OrderRow | null> {
  const pi = paymentIntentId(charge.payment_intent);
  if (!pi) return null;
  let order: OrderRow | null = null;
  const [row] = await tx
    .select({ id: orders.id })
    .from(orders)
    .where(eq(orders.stripePaymentIntentId, pi))
    .limit(1);
  if (row) order = await lockOrder(tx, row.id);
  else {
    const orderId = charge.metadata?.order_id;
    if (!orderId || !/^[0-9a-f-]{36}$/i.test(orderId)) return null;
    const claimed = await lockOrder(tx, orderId);
    if (!claimed?.stripeSessionId || claimed.stripePaymentIntentId) return null;
    // Whether this payment intent is the order's own is Stripe's to say.
    if (sessionPaymentIntent === undefined)
      throw new NeedsSessionPaymentIntent(claimed.stripeSessionId);
    if (sessionPaymentIntent !== pi) return null;
    order = claimed;
  }
  if (!order) return null;
  const [brand] = await tx
    .select({ accountId: brands.stripeAccountId })
    .from(brands)
    .where(eq(brands.id, order.brandId));
  const account = brand?.accountId ?? null;
  if (event.account && event.account !== account) return null;
  const destination = charge.transfer_data?.destination;
  const destinationId = typeof destination === 'string' ? destination : destination?.id;
  if (destinationId && destinationId !== account) return null;
  return order;
}

/**
 * A paid session arrived for an order already `expired` (the sweeper gave it up, or events came
 * out of order): Stripe itself is asked before the order is revived. Thrown inside the
 * transaction so nothing of it is kept, and answered outside it (no lock held over the network).
 */
class NeedsStripeConfirmation extends Error {
  constructor(readonly sessionId: string) {
    super('the session must be confirmed with Stripe');
  }
}

/** A refund names a payment intent no order has yet: Stripe is asked whose session it paid. */
class NeedsSessionPaymentIntent extends Error {
  constructor(readonly sessionId: string) {
    super('the session payment intent must be read from Stripe');
  }
}

/** The payment intent of one of our sessions, per Stripe (null when it has none, or no key). */
async function sessionPaymentIntentAtStripe(
  deps: Pick<Deps, 'log'> & Partial<Pick<Deps, 'payments'>>,
  sessionId: string,
): Promise<string | null> {
  if (!deps.payments) return null;
  const session = await deps.payments.stripe.checkout.sessions.retrieve(sessionId);
  return paymentIntentId(session.payment_intent) ?? null;
}

/** Whether Stripe reports the session completed and paid. A Stripe failure throws (→ 500, retried). */
async function sessionPaidAtStripe(
  deps: Pick<Deps, 'log'> & Partial<Pick<Deps, 'payments'>>,
  sessionId: string,
): Promise<boolean> {
  if (!deps.payments) {
    deps.log.error(
      { session: sessionId },
      'a paid session for an expired order cannot be checked without STRIPE_SECRET_KEY; check it in the Stripe dashboard',
    );
    return false;
  }
  const session = await deps.payments.stripe.checkout.sessions.retrieve(sessionId);
  return (
    session.status === 'complete' &&
    (session.payment_status === 'paid' || session.payment_status === 'no_payment_required')
  );
}

async function applyEvent(
  tx: Tx,
  deps: Pick<Deps, 'log'>,
  event: Stripe.Event,
  confirmedPaid?: boolean,
  sessionPaymentIntent?: string | null,
): Promise<WebhookOutcome> {
  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded': {
      const session = event.data.object;
      const order = await orderForSession(tx, session);
      if (!order) return { status: 'handled', note: 'not a Kith order' };
      const pi = paymentIntentId(session.payment_intent);
      // `completed` with payment_status 'unpaid' is a delayed method (bank debit): the order
      // waits for async_payment_succeeded or _failed.
      const paid =
        session.payment_status === 'paid' || session.payment_status === 'no_payment_required';
      if (!paid) {
        const transition = await advanceOrder(tx, order, order.status, {
          stripePaymentIntentId: pi,
          ...collected(session),
        });
        return { status: 'handled', transition, note: 'awaiting asynchronous payment' };
      }
      // Money moved, so paid wins over expired: but only when Stripe confirms the session was
      // paid, since a session Stripe itself expired can never be paid.
      if (order.status === 'expired') {
        if (confirmedPaid === undefined) throw new NeedsStripeConfirmation(session.id);
        if (!confirmedPaid)
          return { status: 'handled', note: 'order expired and Stripe does not report it paid' };
        deps.log.warn({ orderId: order.id, session: session.id }, 'payment for an expired order');
      }
      if (
        session.amount_total !== null &&
        (session.amount_total !== order.totalCents ||
          session.currency?.toUpperCase() !== order.currency)
      ) {
        deps.log.error(
          { orderId: order.id, session: session.id, amount: session.amount_total },
          'paid amount differs from the order total',
        );
      }
      return {
        status: 'handled',
        transition: await advanceOrder(tx, order, 'paid', {
          stripePaymentIntentId: pi,
          ...collected(session),
        }),
      };
    }
    case 'checkout.session.async_payment_failed':
    case 'checkout.session.expired': {
      const session = event.data.object;
      const order = await orderForSession(tx, session);
      if (!order) return { status: 'handled', note: 'not a Kith order' };
      const to = event.type === 'checkout.session.expired' ? 'expired' : 'failed';
      return { status: 'handled', transition: await advanceOrder(tx, order, to) };
    }
    case 'charge.refunded': {
      const charge = event.data.object;
      const order = await orderForCharge(tx, event, charge, sessionPaymentIntent);
      if (!order) return { status: 'handled', note: 'not a Kith order' };
      const refundedCents = Math.max(order.refundedCents, charge.amount_refunded ?? 0);
      // A partial refund keeps the order paid and records how much went back.
      const to = charge.refunded ? 'refunded' : order.status;
      return {
        status: 'handled',
        transition: await advanceOrder(tx, order, to, {
          refundedCents,
          stripePaymentIntentId: paymentIntentId(charge.payment_intent),
        }),
      };
    }
    case 'account.updated': {
      const changed = await applyAccountState(tx, event.data.object, event.created);
      if (changed) return { status: 'handled', note: 'brand updated' };
      const creator = await applyCreatorAccountState(tx, event.data.object, event.created);
      return { status: 'handled', note: creator ? 'creator updated' : 'no newer account state' };
    }
    default:
      return { status: 'ignored', note: `unhandled event type ${event.type}` };
  }
}

/**
 * Applies one verified Stripe event. The event id is stored in the same transaction as its
 * effect, so a redelivery (sequential or concurrent) is recognized and changes nothing.
 */
export async function handleStripeEvent(
  deps: Pick<Deps, 'db' | 'log'> & Partial<Pick<Deps, 'payments'>>,
  event: Stripe.Event,
): Promise<WebhookOutcome> {
  if (!isHandled(event.type)) return { status: 'ignored', note: `event type ${event.type}` };
  const attempt = (confirmedPaid?: boolean, sessionPaymentIntent?: string | null) =>
    deps.db.transaction(async (tx) => {
      const first = await tx
        .insert(stripeEvents)
        .values({ id: event.id, type: event.type })
        .onConflictDoNothing()
        .returning({ id: stripeEvents.id });
      if (first.length === 0) return { status: 'duplicate' } as const;
      return applyEvent(tx, deps, event, confirmedPaid, sessionPaymentIntent);
    });
  const outcome = await attempt().catch(async (error: unknown) => {
    if (error instanceof NeedsStripeConfirmation)
      return attempt(await sessionPaidAtStripe(deps, error.sessionId));
    if (error instanceof NeedsSessionPaymentIntent)
      return attempt(undefined, await sessionPaymentIntentAtStripe(deps, error.sessionId));
    throw error;
  });
  deps.log.info({ eventId: event.id, type: event.type, ...outcome }, 'stripe event');
  // An order attributed to a creator gets its transfers (or their reversals) now, after the
  // order's state is committed. A duplicate of the event settles again: if an earlier delivery
  // failed half way, its retry finishes the job (the idempotency keys move money once).
  const orderId = await orderToSettle(deps, event);
  if (orderId) await settleTransfers(deps, orderId);
  return outcome;
}

/** The order whose transfers an event may change: one of ours, attributed to a creator. */
async function orderToSettle(deps: Pick<Deps, 'db'>, event: Stripe.Event): Promise<string | null> {
  let row: { id: string; creatorAccountId: string | null } | undefined;
  if (
    event.type === 'checkout.session.completed' ||
    event.type === 'checkout.session.async_payment_succeeded'
  ) {
    const session = event.data.object;
    [row] = await deps.db
      .select({ id: orders.id, creatorAccountId: orders.creatorAccountId })
      .from(orders)
      .where(eq(orders.stripeSessionId, session.id));
  } else if (event.type === 'charge.refunded') {
    const pi = paymentIntentId(event.data.object.payment_intent);
    if (!pi) return null;
    [row] = await deps.db
      .select({ id: orders.id, creatorAccountId: orders.creatorAccountId })
      .from(orders)
      .where(eq(orders.stripePaymentIntentId, pi))
      .limit(1);
  }
  return row?.creatorAccountId ? row.id : null;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * The verified event, or null. `secret` may list several signing secrets separated by commas:
 * a platform usually has one endpoint for its own events and one for its connected accounts'.
 */
function verify(body: Buffer, signature: string, secret: string): Stripe.Event | null {
  for (const one of secret.split(',')) {
    const trimmed = one.trim();
    if (!trimmed) continue;
    try {
      return Stripe.webhooks.constructEvent(body, signature, trimmed);
    } catch {
      // try the next secret
    }
  }
  return null;
}

function reply(res: ServerResponse, status: number, body: Record<string, unknown>) {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  });
  res.end(JSON.stringify(body));
}

/**
 * `POST /stripe/webhook`: the raw body is verified against `STRIPE_WEBHOOK_SECRET` before
 * anything is read from it. Bad or missing signature → 400, nothing changed; a failure while
 * applying → 500, nothing changed, and Stripe delivers again later.
 */
export function stripeWebhookRoute(
  deps: Pick<Deps, 'db' | 'log' | 'payments' | 'env'>,
): RouteHandler {
  return async (req, res, url) => {
    if (url.pathname !== '/stripe/webhook') return false;
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      reply(res, 405, { error: 'Use POST.' });
      return true;
    }
    const body = await readBody(req, MAX_WEBHOOK_BYTES);
    if (!body) {
      reply(res, 413, { error: 'Payload too large.' });
      return true;
    }
    const secret = deps.payments?.webhookSecret ?? deps.env.STRIPE_WEBHOOK_SECRET;
    if (!secret) {
      reply(res, 503, { error: 'Webhooks are not configured (no STRIPE_WEBHOOK_SECRET).' });
      return true;
    }
    const signature = req.headers['stripe-signature'];
    if (typeof signature !== 'string' || signature.length === 0) {
      reply(res, 400, { error: 'Missing Stripe-Signature header.' });
      return true;
    }
    const event = verify(body, signature, secret);
    if (!event) {
      reply(res, 400, { error: 'Invalid Stripe signature.' });
      return true;
    }
    try {
      const outcome = await handleStripeEvent(deps, event);
      reply(res, 200, { received: true, ...outcome });
    } catch (error) {
      deps.log.error({ err: error, eventId: event.id, type: event.type }, 'stripe event failed');
      reply(res, 500, { error: 'Could not apply the event; Stripe will retry.' });
    }
    return true;
  };
}
