import type { IncomingMessage, ServerResponse } from 'node:http';
import { eq } from 'drizzle-orm';
import type { ComponentChildren } from 'preact';
import type { RouteHandler } from '../app';
import { brands, orders } from '../db/schema';
import type { Deps } from '../deps';
import { sendPage } from '../pages/render';
import { syncAccount } from './connect';
import { formatMoney } from './money';
import { advanceOrder, lockOrder, type OrderView, orderViews } from './orders';

/**
 * The server's own pages around Stripe: where Checkout sends the buyer back (success, cancel)
 * and where Connect onboarding sends the brand owner back (return, refresh). Plain HTML rendered
 * from Preact components (every value escaped by construction), no scripts.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const STYLE = `
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f6f5f2; color: #1d1d1f; }
  main { max-width: 32rem; margin: 3rem auto; padding: 2rem; background: #fff; border-radius: 16px; box-shadow: 0 2px 12px #0001; }
  h1 { font-size: 1.4rem; margin: 0 0 .5rem; }
  .status { display: inline-block; padding: .1rem .6rem; border-radius: 99px; background: #eee; font-weight: 600; }
  .status.paid { background: #d9f5e1; color: #0b6b2c; } .status.refunded { background: #e4e9ff; color: #2a3d9c; }
  .status.expired, .status.failed { background: #fde2e1; color: #9c1c16; }
  table { width: 100%; border-collapse: collapse; margin: 1rem 0; } td { padding: .35rem 0; border-bottom: 1px solid #eee; }
  td.n { text-align: right; white-space: nowrap; } tfoot td { font-weight: 700; border: 0; }
  a.button, button { display: inline-block; padding: .55rem 1rem; border-radius: 10px; border: 0; background: #1d1d1f; color: #fff; text-decoration: none; font: inherit; cursor: pointer; }
  button.secondary { background: #eee; color: #1d1d1f; } .muted { color: #6e6e73; font-size: .9rem; }
`;

const HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src https:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

function Page({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · Kith`}</title>
        {/* A constant of this file, no value in it: safe as it is. */}
        <style dangerouslySetInnerHTML={{ __html: STYLE }} />
      </head>
      <body>
        <main>{children}</main>
      </body>
    </html>
  );
}

function page(res: ServerResponse, status: number, title: string, body: ComponentChildren) {
  sendPage(res, status, HEADERS, <Page title={title}>{body}</Page>);
}

const STATUS_TEXT: Record<string, string> = {
  pending: 'Waiting for payment',
  paid: 'Paid',
  expired: 'Expired',
  failed: 'Payment failed',
  refunded: 'Refunded',
};

function OrderSummary({ order }: { order: OrderView }) {
  return (
    <>
      <p>
        <span class={`status ${order.status}`} id="order-status" data-status={order.status}>
          {STATUS_TEXT[order.status] ?? order.status}
        </span>
      </p>
      <p class="muted">{`Order ${order.id} from ${order.brand.name}`}</p>
      <table>
        <tbody>
          {order.items.map((i, n) => (
            <tr key={n}>
              <td>{`${i.title} × ${i.quantity}`}</td>
              <td class="n">{formatMoney(i.subtotalCents, order.currency)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <td>Total</td>
            <td class="n">{formatMoney(order.totalCents, order.currency)}</td>
          </tr>
        </tfoot>
      </table>
    </>
  );
}

async function loadOrder(deps: Pick<Deps, 'db'>, orderId: string | null) {
  if (!orderId || !UUID.test(orderId)) return null;
  const [row] = await deps.db.select().from(orders).where(eq(orders.id, orderId));
  return row ?? null;
}

/**
 * Back from Checkout, the webhook may not have arrived yet: ask Stripe about the order's own
 * session and record the payment now. The state machine makes this and the webhook agree.
 */
async function settleFromStripe(deps: Pick<Deps, 'db' | 'log' | 'payments'>, orderId: string) {
  const order = await loadOrder(deps, orderId);
  if (order?.status !== 'pending' || !order.stripeSessionId || !deps.payments) return;
  try {
    const session = await deps.payments.stripe.checkout.sessions.retrieve(order.stripeSessionId);
    const paid =
      session.status === 'complete' &&
      (session.payment_status === 'paid' || session.payment_status === 'no_payment_required');
    if (!paid && session.status !== 'expired') return;
    await deps.db.transaction(async (tx) => {
      const locked = await lockOrder(tx, orderId);
      if (!locked) return;
      const pi = typeof session.payment_intent === 'string' ? session.payment_intent : undefined;
      await advanceOrder(tx, locked, paid ? 'paid' : 'expired', { stripePaymentIntentId: pi });
    });
  } catch (error) {
    deps.log.warn({ err: error, orderId }, 'could not ask Stripe about a checkout session');
  }
}

async function view(deps: Pick<Deps, 'db'>, orderId: string) {
  const order = await loadOrder(deps, orderId);
  if (!order) return null;
  const [v] = await orderViews(deps.db, [order], 'buyer');
  return v ?? null;
}

function notFound(res: ServerResponse) {
  page(
    res,
    404,
    'Order not found',
    <>
      <h1>Order not found</h1>
      <p>
        This link does not point to an order. Check the address, or look in your orders in Kith.
      </p>
    </>,
  );
}

async function successPage(deps: PagesDeps, res: ServerResponse, orderId: string | null) {
  if (!orderId || !(await loadOrder(deps, orderId))) return notFound(res);
  await settleFromStripe(deps, orderId);
  const order = (await view(deps, orderId))!;
  const headline =
    order.status === 'paid'
      ? 'Thank you! Your payment went through.'
      : order.status === 'pending'
        ? 'Thanks! We are confirming your payment.'
        : order.status === 'refunded'
          ? 'This order was refunded.'
          : 'This order was not paid.';
  const more =
    order.status === 'pending' ? (
      <p class="muted">
        This usually takes a few seconds. Reload this page to see the latest state.
      </p>
    ) : order.status === 'paid' ? (
      <p class="muted">{`${order.brand.name} has your order. You can find it under Orders in Kith.`}</p>
    ) : null;
  page(
    res,
    200,
    'Order',
    <>
      <h1>{headline}</h1>
      <OrderSummary order={order} />
      {more}
    </>,
  );
}

async function cancelPage(
  deps: PagesDeps,
  req: IncomingMessage,
  res: ServerResponse,
  orderId: string | null,
) {
  const row = await loadOrder(deps, orderId);
  if (!row || !orderId) return notFound(res);
  if (req.method === 'POST' && row.status === 'pending' && row.stripeSessionId && deps.payments) {
    // The buyer gives up: close the session at Stripe so it cannot be paid any more.
    try {
      const session = await deps.payments.stripe.checkout.sessions.expire(row.stripeSessionId);
      if (session.status === 'expired') {
        await deps.db.transaction(async (tx) => {
          const locked = await lockOrder(tx, orderId);
          if (locked) await advanceOrder(tx, locked, 'expired');
        });
      }
    } catch (error) {
      deps.log.warn({ err: error, orderId }, 'could not expire a checkout session');
      await settleFromStripe(deps, orderId);
    }
  }
  const order = (await view(deps, orderId))!;
  const actions =
    order.status === 'pending' && order.checkoutUrl ? (
      <>
        <p>Nothing was charged. You can go back to checkout or cancel the order.</p>
        <p>
          <a class="button" href={order.checkoutUrl}>
            Back to checkout
          </a>
        </p>
        <form method="post" action={`/checkout/cancel?order=${order.id}`}>
          <button class="secondary" type="submit">
            Cancel the order
          </button>
        </form>
      </>
    ) : order.status === 'expired' ? (
      <p>This order is cancelled. Nothing was charged.</p>
    ) : null;
  page(
    res,
    200,
    'Checkout cancelled',
    <>
      <h1>Checkout cancelled</h1>
      <OrderSummary order={order} />
      {actions}
    </>,
  );
}

async function connectReturnPage(deps: PagesDeps, res: ServerResponse, brandId: string | null) {
  if (!brandId || !UUID.test(brandId))
    return page(res, 404, 'Brand not found', <h1>Brand not found</h1>);
  const [brand] = await deps.db.select().from(brands).where(eq(brands.id, brandId));
  if (!brand) return page(res, 404, 'Brand not found', <h1>Brand not found</h1>);
  let chargesEnabled = brand.chargesEnabled;
  if (brand.stripeAccountId && deps.payments) {
    try {
      chargesEnabled = Boolean(
        (await syncAccount(deps, deps.payments, brand.stripeAccountId)).charges_enabled,
      );
    } catch (error) {
      deps.log.warn({ err: error, brandId }, 'could not refresh a connected account');
    }
  }
  const text = chargesEnabled ? (
    <>
      <h1>{`${brand.name} can take payments`}</h1>
      <p>Stripe is set up. Buyers can now check out your products.</p>
    </>
  ) : (
    <>
      <h1>Almost there</h1>
      <p>
        {`Stripe still needs some details for ${brand.name}, or is checking them. Open the brand console and press Connect again to continue.`}
      </p>
    </>
  );
  page(
    res,
    200,
    'Stripe onboarding',
    <>
      {text}
      <p>
        <a class="button" href="/console">
          Open the brand console
        </a>
      </p>
    </>,
  );
}

function connectRefreshPage(res: ServerResponse) {
  page(
    res,
    200,
    'Link expired',
    <>
      <h1>This onboarding link has expired</h1>
      <p>
        Links to Stripe onboarding work once and for a few minutes. Open the brand console and press
        Connect again for a new one.
      </p>
      <p>
        <a class="button" href="/console">
          Open the brand console
        </a>
      </p>
    </>,
  );
}

type PagesDeps = Pick<Deps, 'db' | 'log' | 'payments'>;

export function paymentPagesRoute(deps: PagesDeps): RouteHandler {
  return async (req, res, url) => {
    const get = req.method === 'GET' || req.method === 'HEAD';
    switch (url.pathname) {
      case '/checkout/success':
        if (!get) return false;
        await successPage(deps, res, url.searchParams.get('order'));
        return true;
      case '/checkout/cancel':
        if (!get && req.method !== 'POST') return false;
        await cancelPage(deps, req, res, url.searchParams.get('order'));
        return true;
      case '/connect/return':
        if (!get) return false;
        await connectReturnPage(deps, res, url.searchParams.get('brand'));
        return true;
      case '/connect/refresh':
        if (!get) return false;
        connectRefreshPage(res);
        return true;
      default:
        return false;
    }
  };
}
