import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

/**
 * A loopback stand-in for the parts of the Stripe API Kith uses, driven by the real `stripe`
 * SDK through `STRIPE_API_BASE`:
 *   POST /v1/checkout/sessions, GET /v1/checkout/sessions/:id,
 *   POST /v1/checkout/sessions/:id/expire, POST /v1/accounts, GET /v1/accounts/:id,
 *   POST /v1/account_links, GET /v1/payment_intents/:id, POST /v1/transfers,
 *   GET /v1/transfers/:id, POST /v1/transfers/:id/reversals.
 * It checks what the SDK sends (secret key, Idempotency-Key on every create, form-encoded
 * parameters, a destination charge with an application fee, or a separate charge with a
 * `transfer_group` whose transfers name their `source_transaction` and never move more than the
 * charge), replays the stored answer for a
 * repeated idempotency key, and answers with objects shaped like Stripe's.
 *
 * Tests drive the rest of a payment's life with `pay`, `asyncResult`, `expire`, `refund` and
 * `completeOnboarding`: each returns the webhook events Stripe would send, signed with
 * `stripe.webhooks.generateTestHeaderString` on delivery, and delivers them to `webhookUrl`
 * when one is set (or hand them to `deliver` to duplicate or reorder them).
 * Browsers can "pay" too: a session's `url` is a small hosted page with a Pay button.
 */

export interface FakeStripeOptions {
  secretKey?: string;
  webhookSecret?: string;
  /** Where events go by default (`http://127.0.0.1:port/stripe/webhook`). */
  webhookUrl?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  idempotencyKey: string | null;
  stripeVersion: string | null;
  params: Record<string, unknown>;
  status: number;
  replayed: boolean;
}

export type FakeEvent = {
  id: string;
  object: 'event';
  type: string;
  created: number;
  api_version: string;
  livemode: false;
  pending_webhooks: number;
  account?: string;
  request: { id: string | null; idempotency_key: string | null };
  data: { object: Record<string, unknown> };
};

export interface Delivery {
  event: FakeEvent;
  status: number;
  body: string;
}

type Json = Record<string, unknown>;

interface SessionRecord {
  session: Json;
  lineItems: Json[];
  paymentIntentData: Json;
  chargeId: string | null;
}

class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

const now = () => Math.floor(Date.now() / 1000);
const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;
const clone = <T>(value: T): T => structuredClone(value);

/** `a[b][0][c]=1` form fields (as the SDK encodes them, `qs` style) into nested objects. */
export function parseForm(body: string): Json {
  const root: Json = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const path = key.replace(/\]/g, '').split('[');
    let node: Json = root;
    for (const [i, part] of path.entries()) {
      if (i === path.length - 1) node[part] = value;
      else {
        node[part] ??= {};
        node = node[part] as Json;
      }
    }
  }
  const arrays = (value: unknown): unknown => {
    if (!value || typeof value !== 'object') return value;
    const entries = Object.entries(value as Json).map(([k, v]) => [k, arrays(v)] as const);
    if (entries.length > 0 && entries.every(([k]) => /^\d+$/.test(k)))
      return entries.sort((a, b) => Number(a[0]) - Number(b[0])).map(([, v]) => v);
    return Object.fromEntries(entries);
  };
  return arrays(root) as Json;
}

function int(value: unknown, param: string, min = 0): number {
  if (typeof value !== 'string' || !/^-?\d+$/.test(value) || Number(value) < min)
    throw new StripeApiError(
      400,
      'invalid_request_error',
      `Invalid integer: ${String(value)}`,
      param,
    );
  return Number(value);
}

function required(value: unknown, param: string): string {
  if (typeof value !== 'string' || value === '')
    throw new StripeApiError(
      400,
      'invalid_request_error',
      `Missing required param: ${param}.`,
      param,
    );
  return value;
}

function escapeHtml(value: unknown) {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export class FakeStripe {
  readonly secretKey: string;
  readonly webhookSecret: string;
  webhookUrl: string | null;
  url = '';
  readonly accounts = new Map<string, Json>();
  readonly sessions = new Map<string, SessionRecord>();
  readonly charges = new Map<string, Json>();
  readonly paymentIntents = new Map<string, Json>();
  readonly transfers = new Map<string, Json>();
  readonly requests: RecordedRequest[] = [];
  readonly events: FakeEvent[] = [];
  readonly deliveries: Delivery[] = [];
  /** Answer every API call with a 500, as in an outage (nothing is stored). */
  down = false;
  /** Hold every API answer this long (the work is done at once, as when a reply is lost). */
  delayMs = 0;
  private readonly idempotent = new Map<
    string,
    { fingerprint: string; status: number; body: Json }
  >();
  private server: Server | null = null;

  constructor(options: FakeStripeOptions = {}) {
    this.secretKey = options.secretKey ?? `sk_test_fake_${randomBytes(8).toString('hex')}`;
    this.webhookSecret = options.webhookSecret ?? `whsec_fake_${randomBytes(16).toString('hex')}`;
    this.webhookUrl = options.webhookUrl ?? null;
  }

  /** Environment for a server that should talk to this fake. */
  env(): Record<string, string> {
    return {
      STRIPE_SECRET_KEY: this.secretKey,
      STRIPE_WEBHOOK_SECRET: this.webhookSecret,
      STRIPE_API_BASE: this.url,
    };
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.route(req, res).catch((error) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(error));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  /** API requests to one endpoint, e.g. `calls('POST', '/v1/checkout/sessions')`. */
  calls(method: string, path: string | RegExp) {
    return this.requests.filter(
      (r) =>
        r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)),
    );
  }

  /** The one session made for an order (by its metadata), if any. */
  sessionForOrder(orderId: string): Json | null {
    for (const record of this.sessions.values())
      if ((record.session.metadata as Json)?.order_id === orderId) return record.session;
    return null;
  }

  sessionsForOrder(orderId: string): Json[] {
    return [...this.sessions.values()]
      .filter((r) => (r.session.metadata as Json)?.order_id === orderId)
      .map((r) => r.session);
  }

  // ---- the API --------------------------------------------------------------------------

  private async route(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', this.url);
    const raw = await new Promise<string>((resolve, reject) => {
      let data = '';
      req.setEncoding('utf8');
      req.on('data', (c) => {
        data += c;
      });
      req.on('end', () => resolve(data));
      req.on('error', reject);
    });
    if (!url.pathname.startsWith('/v1/')) return this.hosted(req, res, url);

    const method = req.method ?? 'GET';
    const key = (req.headers['idempotency-key'] as string | undefined) ?? null;
    const params = method === 'GET' ? Object.fromEntries(url.searchParams) : parseForm(raw);
    const record: RecordedRequest = {
      method,
      path: url.pathname,
      idempotencyKey: key,
      stripeVersion: (req.headers['stripe-version'] as string | undefined) ?? null,
      params,
      status: 0,
      replayed: false,
    };
    this.requests.push(record);

    let status = 200;
    let body: Json;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'request-id': id('req'),
    };
    try {
      if (this.down)
        throw new StripeApiError(500, 'api_error', 'The fake Stripe is down (test outage).');
      if (req.headers.authorization !== `Bearer ${this.secretKey}`)
        throw new StripeApiError(
          401,
          'invalid_request_error',
          'Invalid API Key provided: the fake expects its own secret key.',
        );
      if (req.headers['content-type'] && method === 'POST')
        if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded'))
          throw new StripeApiError(400, 'invalid_request_error', 'Bodies must be form-encoded.');
      const fingerprint = createHash('sha256')
        .update(`${method} ${url.pathname} ${raw}`)
        .digest('hex');
      const stored = key ? this.idempotent.get(key) : undefined;
      if (method === 'POST' && !key)
        throw new StripeApiError(
          400,
          'invalid_request_error',
          'The fake requires an Idempotency-Key on every POST.',
        );
      if (stored) {
        if (stored.fingerprint !== fingerprint)
          throw new StripeApiError(
            400,
            'idempotency_error',
            `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
          );
        status = stored.status;
        body = clone(stored.body);
        headers['idempotent-replayed'] = 'true';
        record.replayed = true;
      } else {
        try {
          body = this.handle(method, url.pathname, params);
        } catch (error) {
          if (!(error instanceof StripeApiError)) throw error;
          status = error.status;
          body = { error: { type: error.type, message: error.message, param: error.param } };
        }
        if (key && method === 'POST')
          this.idempotent.set(key, { fingerprint, status, body: clone(body) });
      }
    } catch (error) {
      if (!(error instanceof StripeApiError)) throw error;
      status = error.status;
      body = { error: { type: error.type, message: error.message, param: error.param } };
      if (status === 500) headers['stripe-should-retry'] = 'true';
    }
    record.status = status;
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    if (res.destroyed) return;
    res.writeHead(status, headers);
    res.end(JSON.stringify(body));
  }

  private handle(method: string, path: string, params: Json): Json {
    const at = (pattern: RegExp) => pattern.exec(path)?.[1] ?? null;
    const sessionId = at(/^\/v1\/checkout\/sessions\/(\w+)$/);
    const expiring = at(/^\/v1\/checkout\/sessions\/(\w+)\/expire$/);
    const accountId = at(/^\/v1\/accounts\/(\w+)$/);
    if (method === 'POST' && path === '/v1/checkout/sessions') return this.createSession(params);
    if (method === 'GET' && sessionId) return clone(this.session(sessionId).session);
    if (method === 'POST' && expiring) {
      const record = this.session(expiring);
      if (record.session.status !== 'open')
        throw new StripeApiError(
          400,
          'invalid_request_error',
          `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${String(record.session.status)}".`,
        );
      const event = this.expireSession(record);
      // Stripe then sends the webhook on its own time.
      if (this.webhookUrl) setTimeout(() => void this.deliver(event).catch(() => {}), 0);
      return clone(record.session);
    }
    if (method === 'POST' && path === '/v1/accounts') return this.createAccount(params);
    if (method === 'GET' && accountId) return clone(this.account(accountId));
    if (method === 'POST' && path === '/v1/account_links') return this.createAccountLink(params);
    const intentId = at(/^\/v1\/payment_intents\/(\w+)$/);
    if (method === 'GET' && intentId) {
      const intent = this.paymentIntents.get(intentId);
      if (!intent)
        throw new StripeApiError(
          404,
          'invalid_request_error',
          `No such payment_intent: '${intentId}'`,
          'intent',
        );
      return clone(intent);
    }
    if (method === 'POST' && path === '/v1/transfers') return this.createTransfer(params);
    const transferId = at(/^\/v1\/transfers\/(\w+)$/);
    if (method === 'GET' && transferId) return clone(this.transfer(transferId));
    const reversing = at(/^\/v1\/transfers\/(\w+)\/reversals$/);
    if (method === 'POST' && reversing) return this.createReversal(reversing, params);
    throw new StripeApiError(
      404,
      'invalid_request_error',
      `Unrecognized request URL (${method}: ${path}).`,
    );
  }

  private session(sessionId: string): SessionRecord {
    const record = this.sessions.get(sessionId);
    if (!record)
      throw new StripeApiError(
        404,
        'invalid_request_error',
        `No such checkout.session: '${sessionId}'`,
        'session',
      );
    return record;
  }

  private account(accountId: string): Json {
    const account = this.accounts.get(accountId);
    if (!account)
      throw new StripeApiError(
        404,
        'invalid_request_error',
        `No such account: '${accountId}'`,
        'account',
      );
    return account;
  }

  private createSession(params: Json): Json {
    if (params.mode !== 'payment')
      throw new StripeApiError(
        400,
        'invalid_request_error',
        'The fake only supports mode=payment.',
        'mode',
      );
    const successUrl = required(params.success_url, 'success_url');
    const cancelUrl = required(params.cancel_url, 'cancel_url');
    const lines = params.line_items;
    if (!Array.isArray(lines) || lines.length === 0)
      throw new StripeApiError(
        400,
        'invalid_request_error',
        'line_items must not be empty.',
        'line_items',
      );
    let currency: string | null = null;
    let total = 0;
    const lineItems = lines.map((line: Json, i) => {
      const priceData = line.price_data as Json | undefined;
      if (!priceData)
        throw new StripeApiError(
          400,
          'invalid_request_error',
          'The fake expects price_data on every line.',
          `line_items[${i}][price_data]`,
        );
      const lineCurrency = required(priceData.currency, `line_items[${i}][price_data][currency]`);
      if (!/^[a-z]{3}$/.test(lineCurrency))
        throw new StripeApiError(
          400,
          'invalid_request_error',
          `Invalid currency: ${lineCurrency}.`,
          `line_items[${i}][price_data][currency]`,
        );
      if (currency && currency !== lineCurrency)
        throw new StripeApiError(
          400,
          'invalid_request_error',
          'All line items must use the same currency.',
          'line_items',
        );
      currency = lineCurrency;
      const unit = int(priceData.unit_amount, `line_items[${i}][price_data][unit_amount]`, 1);
      const quantity = int(line.quantity, `line_items[${i}][quantity]`, 1);
      const name = required(
        (priceData.product_data as Json | undefined)?.name,
        `line_items[${i}][price_data][product_data][name]`,
      );
      total += unit * quantity;
      return {
        object: 'item',
        description: name,
        quantity,
        currency,
        amount_total: unit * quantity,
        price: { unit_amount: unit, currency },
        metadata: (priceData.product_data as Json).metadata ?? {},
      };
    });
    const pid = (params.payment_intent_data as Json | undefined) ?? {};
    if (pid.transfer_data === undefined) {
      // A separate charge: the platform keeps the money and transfers it itself.
      if (pid.application_fee_amount !== undefined)
        throw new StripeApiError(
          400,
          'invalid_request_error',
          'application_fee_amount needs transfer_data[destination] (or on_behalf_of).',
          'payment_intent_data[application_fee_amount]',
        );
      required(pid.transfer_group, 'payment_intent_data[transfer_group]');
    }
    const destination =
      pid.transfer_data === undefined
        ? null
        : required(
            (pid.transfer_data as Json | undefined)?.destination,
            'payment_intent_data[transfer_data][destination]',
          );
    const account =
      destination === null ? { charges_enabled: true } : this.accounts.get(destination);
    if (!account)
      throw new StripeApiError(
        400,
        'invalid_request_error',
        `No such destination: '${destination}'`,
        'payment_intent_data[transfer_data][destination]',
      );
    if (!account.charges_enabled)
      throw new StripeApiError(
        400,
        'invalid_request_error',
        'Your destination account needs to have at least one of the following capabilities enabled: transfers, crypto_transfers, legacy_payments.',
        'payment_intent_data[transfer_data][destination]',
      );
    const fee =
      destination === null
        ? 0
        : int(pid.application_fee_amount, 'payment_intent_data[application_fee_amount]', 0);
    if (fee > total)
      throw new StripeApiError(
        400,
        'invalid_request_error',
        'application_fee_amount cannot exceed the amount.',
        'payment_intent_data[application_fee_amount]',
      );
    const created = now();
    // Stripe takes an expiry from 30 minutes to 24 hours ahead.
    const expiresAt =
      params.expires_at === undefined
        ? created + 24 * 3600
        : int(params.expires_at, 'expires_at', created + 30 * 60 - 5);
    if (expiresAt > created + 24 * 3600)
      throw new StripeApiError(
        400,
        'invalid_request_error',
        'The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.',
        'expires_at',
      );
    const collection = params.shipping_address_collection as Json | undefined;
    let allowedCountries: string[] | null = null;
    if (collection) {
      const countries = collection.allowed_countries;
      if (
        !Array.isArray(countries) ||
        countries.length === 0 ||
        !countries.every((c) => typeof c === 'string' && /^[A-Z]{2}$/.test(c))
      )
        throw new StripeApiError(
          400,
          'invalid_request_error',
          'shipping_address_collection[allowed_countries] must list two-letter country codes.',
          'shipping_address_collection[allowed_countries]',
        );
      allowedCountries = countries as string[];
    }
    const sessionId = id('cs_test');
    const session: Json = {
      id: sessionId,
      object: 'checkout.session',
      mode: 'payment',
      status: 'open',
      payment_status: 'unpaid',
      amount_subtotal: total,
      amount_total: total,
      currency,
      client_reference_id: (params.client_reference_id as string | undefined) ?? null,
      metadata: (params.metadata as Json | undefined) ?? {},
      success_url: successUrl,
      cancel_url: cancelUrl,
      url: `${this.url}/checkout/${sessionId}`,
      payment_intent: null,
      customer_details: null,
      shipping_address_collection: allowedCountries
        ? { allowed_countries: allowedCountries }
        : null,
      collected_information: null,
      created,
      expires_at: expiresAt,
      livemode: false,
    };
    this.sessions.set(sessionId, { session, lineItems, paymentIntentData: pid, chargeId: null });
    return clone(session);
  }

  private createAccount(params: Json): Json {
    const controller = params.controller as Json | undefined;
    if (
      params.type !== 'express' &&
      (controller?.stripe_dashboard as Json | undefined)?.type !== 'express'
    )
      throw new StripeApiError(
        400,
        'invalid_request_error',
        'The fake only creates Express accounts.',
        'controller',
      );
    const account: Json = {
      id: id('acct'),
      object: 'account',
      type: 'express',
      controller: controller ?? { type: 'application' },
      business_profile: params.business_profile ?? {},
      capabilities: { card_payments: 'inactive', transfers: 'inactive' },
      charges_enabled: false,
      payouts_enabled: false,
      details_submitted: false,
      metadata: params.metadata ?? {},
      created: now(),
      country: 'US',
      default_currency: 'usd',
    };
    this.accounts.set(account.id as string, account);
    return clone(account);
  }

  private createAccountLink(params: Json): Json {
    const accountId = required(params.account, 'account');
    this.account(accountId);
    if (params.type !== 'account_onboarding' && params.type !== 'account_update')
      throw new StripeApiError(400, 'invalid_request_error', 'Invalid type.', 'type');
    const returnUrl = required(params.return_url, 'return_url');
    required(params.refresh_url, 'refresh_url');
    const created = now();
    return {
      object: 'account_link',
      created,
      expires_at: created + 300,
      url: `${this.url}/onboarding/${accountId}?return=${encodeURIComponent(returnUrl)}`,
    };
  }

  private transfer(transferId: string): Json {
    const transfer = this.transfers.get(transferId);
    if (!transfer)
      throw new StripeApiError(
        404,
        'invalid_request_error',
        `No such transfer: '${transferId}'`,
        'id',
      );
    return transfer;
  }

  /** The transfers made from one charge (by `source_transaction`). */
  transfersFrom(chargeId: string): Json[] {
    return [...this.transfers.values()].filter((t) => t.source_transaction === chargeId);
  }

  /** The transfers of one transfer group (`order:<id>`). */
  transfersInGroup(group: string): Json[] {
    return [...this.transfers.values()].filter((t) => t.transfer_group === group);
  }

  private createTransfer(params: Json): Json {
    const amount = int(params.amount, 'amount', 1);
    const currency = required(params.currency, 'currency');
    const destination = required(params.destination, 'destination');
    const account = this.accounts.get(destination);
    if (!account)
      throw new StripeApiError(
        400,
        'invalid_request_error',
        `No such destination: '${destination}'`,
        'destination',
      );
    if ((account.capabilities as Json | undefined)?.transfers !== 'active')
      throw new StripeApiError(
        400,
        'invalid_request_error',
        'Your destination account needs to have at least one of the following capabilities enabled: transfers, crypto_transfers, legacy_payments.',
        'destination',
      );
    const source = params.source_transaction as string | undefined;
    if (source !== undefined) {
      const charge = this.charges.get(source);
      if (!charge)
        throw new StripeApiError(
          400,
          'invalid_request_error',
          `No such charge: '${source}'`,
          'source_transaction',
        );
      if (charge.currency !== currency)
        throw new StripeApiError(
          400,
          'invalid_request_error',
          'The currency of source_transaction must match the transfer currency.',
          'currency',
        );
      const already = this.transfersFrom(source).reduce((n, t) => n + (t.amount as number), 0);
      if (already + amount > (charge.amount as number))
        throw new StripeApiError(
          400,
          'invalid_request_error',
          'Transfers from a source_transaction cannot exceed the amount of the charge.',
          'amount',
        );
    }
    const transfer: Json = {
      id: id('tr'),
      object: 'transfer',
      amount,
      amount_reversed: 0,
      currency,
      destination,
      source_transaction: source ?? null,
      transfer_group: params.transfer_group ?? null,
      metadata: params.metadata ?? {},
      reversed: false,
      reversals: { object: 'list', data: [], has_more: false },
      created: now(),
      livemode: false,
    };
    this.transfers.set(transfer.id as string, transfer);
    return clone(transfer);
  }

  private createReversal(transferId: string, params: Json): Json {
    const transfer = this.transfer(transferId);
    const left = (transfer.amount as number) - (transfer.amount_reversed as number);
    const amount = params.amount === undefined ? left : int(params.amount, 'amount', 1);
    if (amount > left)
      throw new StripeApiError(
        400,
        'invalid_request_error',
        `Refund amount (${amount}) is greater than unrefunded amount on transfer (${left})`,
        'amount',
      );
    const reversal: Json = {
      id: id('trr'),
      object: 'transfer_reversal',
      amount,
      currency: transfer.currency,
      transfer: transfer.id,
      metadata: params.metadata ?? {},
      created: now(),
    };
    transfer.amount_reversed = (transfer.amount_reversed as number) + amount;
    transfer.reversed = transfer.amount_reversed === transfer.amount;
    (transfer.reversals as { data: Json[] }).data.push(reversal);
    return clone(reversal);
  }

  // ---- what happens outside the API: payments, expiry, refunds, onboarding --------------------

  private event(type: string, object: Json, account?: string): FakeEvent {
    const event: FakeEvent = {
      id: id('evt'),
      object: 'event',
      type,
      created: now(),
      api_version: Stripe.API_VERSION,
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: { object: clone(object) },
      ...(account ? { account } : {}),
    };
    this.events.push(event);
    return event;
  }

  private async emit(events: FakeEvent[], deliver: boolean | undefined) {
    if (deliver ?? Boolean(this.webhookUrl)) for (const e of events) await this.deliver(e);
    return events;
  }

  /**
   * The buyer pays. Card payments complete at once (`checkout.session.completed`, paid); with
   * `async: true` the session completes unpaid and `asyncResult` settles it later.
   */
  async pay(
    sessionId: string,
    options: {
      async?: boolean;
      deliver?: boolean;
      /** What the buyer types in: email, and an address (in an allowed country) if asked. */
      email?: string;
      shipping?: { name: string; address: Json };
    } = {},
  ) {
    const record = this.sessions.get(sessionId);
    if (!record) throw new Error(`no session ${sessionId}`);
    if (record.session.status !== 'open')
      throw new Error(`session ${sessionId} is ${String(record.session.status)}`);
    const s = record.session;
    const pi = id('pi');
    s.status = 'complete';
    s.payment_intent = pi;
    s.payment_status = options.async ? 'unpaid' : 'paid';
    const collection = s.shipping_address_collection as { allowed_countries: string[] } | null;
    const shipping = collection
      ? (options.shipping ?? {
          name: 'Test Buyer',
          address: {
            line1: '1 Main Street',
            line2: null,
            city: 'Springfield',
            state: null,
            postal_code: '12345',
            country: collection.allowed_countries[0],
          },
        })
      : null;
    if (shipping && !collection!.allowed_countries.includes(shipping.address.country as string))
      throw new Error(`Checkout does not ship to ${String(shipping.address.country)}`);
    s.customer_details = {
      email: options.email ?? 'buyer@example.com',
      name: shipping?.name ?? 'Test Buyer',
      address: shipping?.address ?? null,
    };
    s.collected_information = shipping ? { shipping_details: shipping } : null;
    const events: FakeEvent[] = [];
    if (!options.async) events.push(...this.charge(record, pi));
    events.push(this.event('checkout.session.completed', s));
    return this.emit(events, options.deliver);
  }

  private charge(record: SessionRecord, pi: string): FakeEvent[] {
    const s = record.session;
    const pid = record.paymentIntentData;
    const charge: Json = {
      id: id('ch'),
      object: 'charge',
      amount: s.amount_total,
      amount_captured: s.amount_total,
      amount_refunded: 0,
      refunded: false,
      paid: true,
      status: 'succeeded',
      currency: s.currency,
      payment_intent: pi,
      application_fee_amount:
        pid.application_fee_amount === undefined ? null : Number(pid.application_fee_amount),
      transfer_data: pid.transfer_data
        ? { destination: (pid.transfer_data as Json).destination }
        : null,
      transfer_group: pid.transfer_group ?? null,
      metadata: pid.metadata ?? {},
      created: now(),
      livemode: false,
    };
    this.charges.set(charge.id as string, charge);
    record.chargeId = charge.id as string;
    const intent: Json = {
      id: pi,
      object: 'payment_intent',
      amount: s.amount_total,
      currency: s.currency,
      status: 'succeeded',
      latest_charge: charge.id,
      transfer_group: pid.transfer_group ?? null,
      metadata: pid.metadata ?? {},
    };
    this.paymentIntents.set(pi, intent);
    return [this.event('charge.succeeded', charge), this.event('payment_intent.succeeded', intent)];
  }

  /** A delayed payment method settles: succeeded or failed. */
  async asyncResult(
    sessionId: string,
    result: 'succeeded' | 'failed',
    options: { deliver?: boolean } = {},
  ) {
    const record = this.sessions.get(sessionId);
    if (!record) throw new Error(`no session ${sessionId}`);
    const events: FakeEvent[] = [];
    if (result === 'succeeded') {
      record.session.payment_status = 'paid';
      events.push(...this.charge(record, record.session.payment_intent as string));
      events.push(this.event('checkout.session.async_payment_succeeded', record.session));
    } else {
      events.push(this.event('checkout.session.async_payment_failed', record.session));
    }
    return this.emit(events, options.deliver);
  }

  private expireSession(record: SessionRecord) {
    record.session.status = 'expired';
    record.session.url = null;
    return this.event('checkout.session.expired', record.session);
  }

  /**
   * The session expires (24 h passed, or the API expired it). Stripe never expires a completed
   * session; `force` builds the event anyway, as a late or bogus delivery would carry it.
   */
  async expire(sessionId: string, options: { deliver?: boolean; force?: boolean } = {}) {
    const record = this.sessions.get(sessionId);
    if (!record) throw new Error(`no session ${sessionId}`);
    if (record.session.status !== 'open' && !options.force)
      throw new Error(`session ${sessionId} is ${String(record.session.status)}`);
    if (record.session.status === 'open')
      return this.emit([this.expireSession(record)], options.deliver);
    return this.emit(
      [this.event('checkout.session.expired', { ...record.session, status: 'expired' })],
      options.deliver,
    );
  }

  /** Time passes: every open session whose `expires_at` is before `at` (seconds) expires. */
  async expireDue(at: number, options: { deliver?: boolean } = {}) {
    const due = [...this.sessions.values()].filter(
      (r) => r.session.status === 'open' && (r.session.expires_at as number) < at,
    );
    return this.emit(
      due.map((r) => this.expireSession(r)),
      options.deliver,
    );
  }

  /** The brand refunds the payment, in full unless `amount` says otherwise. */
  async refund(sessionId: string, options: { amount?: number; deliver?: boolean } = {}) {
    const record = this.sessions.get(sessionId);
    if (!record?.chargeId) throw new Error(`session ${sessionId} has no charge to refund`);
    const charge = this.charges.get(record.chargeId)!;
    const amount = options.amount ?? (charge.amount as number) - (charge.amount_refunded as number);
    charge.amount_refunded = (charge.amount_refunded as number) + amount;
    charge.refunded = charge.amount_refunded === charge.amount;
    const refund = {
      id: id('re'),
      object: 'refund',
      amount,
      charge: charge.id,
      payment_intent: charge.payment_intent,
      status: 'succeeded',
      currency: charge.currency,
    };
    return this.emit(
      [this.event('refund.created', refund), this.event('charge.refunded', charge)],
      options.deliver,
    );
  }

  /** The brand finishes (or fails) Stripe onboarding: `account.updated` as a Connect event. */
  async completeOnboarding(
    accountId: string,
    options: { chargesEnabled?: boolean; deliver?: boolean } = {},
  ) {
    const account = this.accounts.get(accountId);
    if (!account) throw new Error(`no account ${accountId}`);
    const enabled = options.chargesEnabled ?? true;
    account.charges_enabled = enabled;
    account.payouts_enabled = enabled;
    account.details_submitted = true;
    account.capabilities = {
      card_payments: enabled ? 'active' : 'inactive',
      transfers: enabled ? 'active' : 'inactive',
    };
    return this.emit([this.event('account.updated', account, accountId)], options.deliver);
  }

  /** An event of a type Kith does not handle. */
  other(type = 'customer.created'): FakeEvent {
    return this.event(type, { id: id('cus'), object: 'customer' });
  }

  /** The `Stripe-Signature` header for a payload, as Stripe would compute it. */
  sign(payload: string, secret = this.webhookSecret, timestamp?: number): string {
    return Stripe.webhooks.generateTestHeaderString({
      payload,
      secret,
      ...(timestamp ? { timestamp } : {}),
    });
  }

  /**
   * POSTs one event, signed, to the webhook. `signature: null` leaves the header out; a string
   * replaces it; `secret` signs with another secret.
   */
  async deliver(
    event: FakeEvent,
    options: { url?: string; signature?: string | null; secret?: string; body?: string } = {},
  ): Promise<Delivery> {
    const url = options.url ?? this.webhookUrl;
    if (!url) throw new Error('no webhook url: set fake.webhookUrl or pass { url }');
    const payload = options.body ?? JSON.stringify(event, null, 2);
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
    const signature =
      options.signature === undefined ? this.sign(payload, options.secret) : options.signature;
    if (signature !== null) headers['stripe-signature'] = signature;
    const res = await fetch(url, { method: 'POST', headers, body: payload });
    const delivery = { event, status: res.status, body: await res.text() };
    this.deliveries.push(delivery);
    return delivery;
  }

  // ---- hosted pages: Checkout and onboarding, for browsers ------------------------------------

  private async hosted(req: IncomingMessage, res: ServerResponse, url: URL) {
    const html = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        `<!doctype html><html><head><meta charset="utf-8"><title>Fake Stripe</title></head><body>${body}</body></html>`,
      );
    };
    const redirect = (to: string) => {
      res.writeHead(303, { location: to });
      res.end();
    };
    const at = (pattern: RegExp) => pattern.exec(url.pathname)?.[1] ?? null;
    const viewing = at(/^\/checkout\/(\w+)$/);
    const paying = at(/^\/checkout\/(\w+)\/pay$/);
    const onboarding = at(/^\/onboarding\/(\w+)$/);
    if (viewing && req.method === 'GET') {
      const record = this.sessions.get(viewing);
      if (!record) return html(404, '<h1>No such checkout</h1>');
      const s = record.session;
      const lines = record.lineItems
        .map((l) => `<li>${escapeHtml(l.description)} × ${escapeHtml(l.quantity)}</li>`)
        .join('');
      return html(
        200,
        `<h1>Fake Stripe Checkout</h1><ul>${lines}</ul><p id="amount">${escapeHtml(s.amount_total)} ${escapeHtml(s.currency)}</p>` +
          (s.status === 'open'
            ? `<form method="post" action="/checkout/${escapeHtml(s.id)}/pay"><button id="pay" type="submit">Pay</button></form><a id="cancel" href="${escapeHtml(s.cancel_url)}">Cancel</a>`
            : `<p id="state">${escapeHtml(s.status)}</p>`),
      );
    }
    if (paying && req.method === 'POST') {
      const record = this.sessions.get(paying);
      if (!record) return html(404, '<h1>No such checkout</h1>');
      if (record.session.status === 'open') await this.pay(record.session.id as string);
      return redirect(record.session.success_url as string);
    }
    if (onboarding) {
      const account = this.accounts.get(onboarding);
      if (!account) return html(404, '<h1>No such account</h1>');
      const back = url.searchParams.get('return') ?? '/';
      if (req.method === 'POST') {
        await this.completeOnboarding(account.id as string);
        return redirect(back);
      }
      return html(
        200,
        `<h1>Fake Stripe onboarding</h1><form method="post" action="${escapeHtml(url.pathname + url.search)}"><button id="finish" type="submit">Finish onboarding</button></form>`,
      );
    }
    return html(404, '<h1>Not found</h1>');
  }
}

export async function startFakeStripe(options: FakeStripeOptions = {}): Promise<FakeStripe> {
  return new FakeStripe(options).start();
}
