import type { IncomingMessage, ServerResponse } from 'node:http';
import { and, eq, isNull, lt, or } from 'drizzle-orm';
import type { ComponentChildren } from 'preact';
import type { RouteHandler } from '../app';
import { canTakePayouts, syncCreatorAccount } from '../creators/connect';
import { brands, creatorAccounts, orders } from '../db/schema';
import type { Deps } from '../deps';
import { sendPage } from '../pages/render';
import { syncAccount } from './connect';
import { tokenMatches } from './holds';
import { formatMoney } from './money';
import { advanceOrder, lockOrder, type OrderRow, type OrderView, orderViews } from './orders';
import { collected } from './webhook';

/**
 * The server's own pages around Stripe: where Checkout sends the buyer back (success, cancel)
 * and where Connect onboarding sends the brand owner back (return, refresh). Plain HTML rendered
 * from Preact components (every value escaped by construction), no scripts.
 *
 * An order page needs the order's secret (`token`, only in the return links Stripe sends the
 * buyer's browser to); without it the order does not exist. Cancelling is a POST carrying the
 * secret in its body from a page of this origin, so another site cannot cancel for the buyer.
 * Pages ask Stripe about an order or an account at most once a minute (STRIPE_CHECK_MS), and
 * otherwise rely on the webhook.
 */

/** How often a return page may ask Stripe about one order or one brand's account. */
export const STRIPE_CHECK_MS = 60 * 1000;

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
  shipped: 'Shipped',
  expired: 'Expired',
  failed: 'Payment failed',
  refunded: 'Refunded',
};

function OrderSummary({ order, cancelling }: { order: OrderView; cancelling?: boolean }) {
  // Back from a cancelled checkout, a pending order is not "waiting": nothing is on its way.
  const text =
    cancelling && order.status === 'pending'
      ? 'Not paid'
      : cancelling && order.status === 'expired'
        ? 'Cancelled'
        : (STATUS_TEXT[order.status] ?? order.status);
  return (
    <>
      <p>
        <span class={`status ${order.status}`} id="order-status" data-status={order.status}>
          {text}
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

/** The order, if `token` is its secret; null for anything else (no such order, no secret). */
async function loadOrder(deps: Pick<Deps, 'db'>, orderId: string | null, token: string | null) {
  if (!orderId || !UUID.test(orderId)) return null;
  const [row] = await deps.db.select().from(orders).where(eq(orders.id, orderId));
  if (!row || !tokenMatches(row.accessTokenHash, token)) return null;
  return row;
}

/** Claims the order's one Stripe look-up of this minute; false if another load had it. */
async function claimStripeCheck(deps: Pick<Deps, 'db'>, orderId: string): Promise<boolean> {
  const now = new Date();
  const rows = await deps.db
    .update(orders)
    .set({ stripeCheckedAt: now })
    .where(
      and(
        eq(orders.id, orderId),
        eq(orders.status, 'pending'),
        or(
          isNull(orders.stripeCheckedAt),
          lt(orders.stripeCheckedAt, new Date(now.getTime() - STRIPE_CHECK_MS)),
        ),
      ),
    )
    .returning({ id: orders.id });
  return rows.length > 0;
}

/**
 * Back from Checkout, the webhook may not have arrived yet: ask Stripe about the order's own
 * session (at most once a minute per order) and record the payment now. The state machine
 * makes this and the webhook agree.
 */
async function settleFromStripe(deps: Pick<Deps, 'db' | 'log' | 'payments'>, order: OrderRow) {
  const orderId = order.id;
  if (order.status !== 'pending' || !order.stripeSessionId || !deps.payments) return;
  if (!(await claimStripeCheck(deps, orderId))) return;
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
      // A paid session also brings what the brand ships with (the webhook may never come).
      await advanceOrder(
        tx,
        locked,
        paid ? 'paid' : 'expired',
        paid ? { stripePaymentIntentId: pi, ...collected(session) } : { stripePaymentIntentId: pi },
      );
    });
  } catch (error) {
    deps.log.warn({ err: error, orderId }, 'could not ask Stripe about a checkout session');
  }
}

async function view(deps: Pick<Deps, 'db'>, orderId: string) {
  const [order] = await deps.db.select().from(orders).where(eq(orders.id, orderId));
  if (!order) return null;
  const [v] = await orderViews(deps.db, [order], 'buyer');
  return v ? { ...v, returnUrl: order.returnUrl, guest: order.buyerId === null } : null;
}

/** The way back to where the buyer was: the brand's page, or (from Kith) a word about Kith. */
function WayBack({
  order,
}: {
  order: { returnUrl: string | null; guest: boolean; brand: { name: string } };
}) {
  if (!order.returnUrl && order.guest) return null;
  if (!order.returnUrl)
    return <p class="muted">You can close this tab: your order is in Kith, under Orders.</p>;
  return (
    <p>
      <a class="button" id="return-link" href={order.returnUrl}>
        {`Back to ${order.brand.name}`}
      </a>
    </p>
  );
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

async function successPage(
  deps: PagesDeps,
  res: ServerResponse,
  orderId: string | null,
  token: string | null,
) {
  const row = await loadOrder(deps, orderId, token);
  if (!row) return notFound(res);
  await settleFromStripe(deps, row);
  const order = (await view(deps, row.id))!;
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
    ) : order.status === 'paid' || order.status === 'shipped' ? (
      <p class="muted" id="receipt-note">
        {order.guest
          ? `${order.brand.name} has your order and will send an email receipt${order.email ? ` to ${order.email}` : ''}.`
          : `${order.brand.name} has your order. You can find it under Orders in Kith.`}
      </p>
    ) : null;
  page(
    res,
    200,
    'Order',
    <>
      <h1>{headline}</h1>
      <OrderSummary order={order} />
      {more}
      {order.brand.supportEmail ? (
        <p class="muted">{`Questions about this order: ${order.brand.supportEmail}`}</p>
      ) : null}
      <WayBack order={order} />
    </>,
  );
}

/** The fields of a small urlencoded form body (the cancel form), or null if it is not one. */
function readForm(req: IncomingMessage, limit = 4096): Promise<URLSearchParams | null> {
  return new Promise((resolve) => {
    const type = String(req.headers['content-type'] ?? '');
    if (!type.startsWith('application/x-www-form-urlencoded')) {
      req.resume();
      return resolve(null);
    }
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () =>
      resolve(size > limit ? null : new URLSearchParams(Buffer.concat(chunks).toString('utf8'))),
    );
    req.on('error', () => resolve(null));
  });
}

/** A POST from another site (by Origin or Sec-Fetch-Site) is refused before anything else. */
function crossSite(req: IncomingMessage, ownOrigin: string | null): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return true;
  const origin = req.headers.origin;
  if (origin && origin !== 'null' && ownOrigin && origin !== ownOrigin) return true;
  return origin === 'null';
}

async function cancelPage(deps: PagesDeps, req: IncomingMessage, res: ServerResponse, url: URL) {
  const orderId = url.searchParams.get('order');
  let token = url.searchParams.get('token');
  if (req.method === 'POST') {
    const ownOrigin = deps.payments ? new URL(deps.payments.publicUrl).origin : null;
    const form = await readForm(req);
    if (crossSite(req, ownOrigin) || !form)
      return page(
        res,
        403,
        'Not allowed',
        <>
          <h1>Not allowed</h1>
          <p>An order can only be cancelled from its own page.</p>
        </>,
      );
    // The secret comes in the form's body, never from the address alone.
    token = form.get('token');
  }
  const row = await loadOrder(deps, orderId, token);
  if (!row || !orderId || !token) return notFound(res);
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
      await settleFromStripe(deps, row);
    }
  }
  const order = (await view(deps, orderId))!;
  const paid = order.status === 'paid' || order.status === 'shipped';
  const actions =
    order.status === 'pending' && order.checkoutUrl ? (
      <>
        <p>Nothing was charged. You can go back to checkout, or cancel the order for good.</p>
        <p>
          <a class="button" href={order.checkoutUrl}>
            Back to checkout
          </a>
        </p>
        <form method="post" action={`/checkout/cancel?order=${order.id}`}>
          <input type="hidden" name="token" value={token} />
          <button class="secondary" type="submit">
            Cancel the order
          </button>
        </form>
      </>
    ) : order.status === 'expired' || order.status === 'failed' ? (
      <p id="cancelled-note">This order is cancelled. Nothing was charged.</p>
    ) : paid ? (
      <p>This order was paid after all; it is on its way from {order.brand.name}.</p>
    ) : null;
  page(
    res,
    200,
    paid ? 'Order' : 'Checkout cancelled',
    <>
      <h1>{paid ? 'This order is paid' : 'Checkout cancelled'}</h1>
      <OrderSummary order={order} cancelling={!paid} />
      {actions}
      <WayBack order={order} />
    </>,
  );
}

async function connectReturnPage(deps: PagesDeps, res: ServerResponse, brandId: string | null) {
  if (!brandId || !UUID.test(brandId))
    return page(res, 404, 'Brand not found', <h1>Brand not found</h1>);
  const [brand] = await deps.db.select().from(brands).where(eq(brands.id, brandId));
  if (!brand) return page(res, 404, 'Brand not found', <h1>Brand not found</h1>);
  let chargesEnabled = brand.chargesEnabled;
  // Anyone can load this page: Stripe is asked at most once a minute per brand, else the
  // state the webhook recorded is shown.
  const now = new Date();
  const claimed =
    brand.stripeAccountId && deps.payments && !brand.chargesEnabled
      ? await deps.db
          .update(brands)
          .set({ stripeCheckedAt: now })
          .where(
            and(
              eq(brands.id, brand.id),
              or(
                isNull(brands.stripeCheckedAt),
                lt(brands.stripeCheckedAt, new Date(now.getTime() - STRIPE_CHECK_MS)),
              ),
            ),
          )
          .returning({ id: brands.id })
      : [];
  if (brand.stripeAccountId && deps.payments && claimed.length > 0) {
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

/**
 * Where Stripe sends a creator back from onboarding (`creators.connect`): like the brand's page,
 * it asks Stripe about the account at most once a minute and otherwise shows what the webhook
 * recorded. It names no one: only whether that account can take payouts.
 */
async function creatorReturnPage(deps: PagesDeps, res: ServerResponse, userId: string | null) {
  const notFound = () => page(res, 404, 'Account not found', <h1>Account not found</h1>);
  if (!userId || !UUID.test(userId)) return notFound();
  const [account] = await deps.db
    .select()
    .from(creatorAccounts)
    .where(eq(creatorAccounts.userId, userId));
  if (!account) return notFound();
  let ready = account.payoutsEnabled;
  const now = new Date();
  const claimed =
    deps.payments && !ready
      ? await deps.db
          .update(creatorAccounts)
          .set({ stripeCheckedAt: now })
          .where(
            and(
              eq(creatorAccounts.userId, userId),
              or(
                isNull(creatorAccounts.stripeCheckedAt),
                lt(creatorAccounts.stripeCheckedAt, new Date(now.getTime() - STRIPE_CHECK_MS)),
              ),
            ),
          )
          .returning({ id: creatorAccounts.userId })
      : [];
  if (deps.payments && claimed.length > 0) {
    try {
      ready = canTakePayouts(
        await syncCreatorAccount(deps, deps.payments, account.stripeAccountId),
      );
    } catch (error) {
      deps.log.warn({ err: error, userId }, 'could not refresh a creator account');
    }
  }
  page(
    res,
    200,
    'Stripe onboarding',
    ready ? (
      <>
        <h1>You can earn commissions</h1>
        <p>
          Stripe is set up. Sales that start from your own clips, of products you tagged there, now
          pay you the brand's commission. Your earnings are on the Account tab of the Kith popup.
        </p>
      </>
    ) : (
      <>
        <h1>Almost there</h1>
        <p>
          Stripe still needs some details, or is checking them. Open the Kith popup's Account tab
          and press Set up payouts again to continue.
        </p>
      </>
    ),
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
        Connect again for a new one (creators: Set up payouts on the Kith popup's Account tab).
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
        await successPage(deps, res, url.searchParams.get('order'), url.searchParams.get('token'));
        return true;
      case '/checkout/cancel':
        if (!get && req.method !== 'POST') return false;
        await cancelPage(deps, req, res, url);
        return true;
      case '/connect/return':
        if (!get) return false;
        if (url.searchParams.has('creator'))
          await creatorReturnPage(deps, res, url.searchParams.get('creator'));
        else await connectReturnPage(deps, res, url.searchParams.get('brand'));
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
