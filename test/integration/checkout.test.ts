import { randomUUID } from 'node:crypto';
import type { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkoutIdempotencyKey, orderIdFor } from '../../server/payments/checkout';
import {
  countRows,
  makeBrand,
  makeProduct,
  newClientId,
  openShop,
  orderRow,
  type Shop,
  stockOf,
} from '../fixtures/commerce';
import { engines } from '../fixtures/db';
import { befriend, callerFor, signUp, type TestUser } from '../fixtures/deps';
import { dbSnapshot } from '../fixtures/snapshot';
import { refusal } from '../fixtures/state';
import { wireCall } from '../fixtures/wire';

const CLIP = 'https://www.tiktok.com/@kith/video/7234567890123456789';

type Json = Record<string, unknown>;

describe.each(engines)('checkout on %s', (engine) => {
  let shop: Shop;
  let owner: TestUser;
  let buyer: TestUser;
  let brandId: string;
  let accountId: string;
  let tote: { id: string; priceCents: number };
  let mug: { id: string; priceCents: number };

  beforeAll(async () => {
    // A short timeout so the "Stripe does not answer" case is quick.
    shop = await openShop(engine, { stripe: { timeoutMs: 1500, maxNetworkRetries: 0 } });
    owner = await signUp(shop.deps, 'owner');
    buyer = await signUp(shop.deps, 'buyer');
    brandId = (await makeBrand(shop, owner, { name: 'Totes' })).id;
    accountId = (await owner.api.brands.mine())[0]!.stripe.accountId!;
    tote = await makeProduct(owner, brandId, { title: 'Tote', priceCents: 2599, stock: 5 });
    mug = await makeProduct(owner, brandId, { title: 'Mug', priceCents: 1200, stock: null });
  });
  afterAll(() => shop?.close());

  /** Every refusal must leave the database as it was and make no Checkout Session. */
  async function expectRefused(
    call: () => Promise<unknown>,
    code: TRPCError['code'],
    message: RegExp,
  ) {
    const before = await dbSnapshot(shop.database.db);
    const sessions = shop.fake.calls('POST', '/v1/checkout/sessions').length;
    const error = await refusal(call());
    expect(error.code, error.message).toBe(code);
    expect(error.message).toMatch(message);
    expect(await dbSnapshot(shop.database.db)).toEqual(before);
    expect(shop.fake.calls('POST', '/v1/checkout/sessions').length).toBe(sessions);
  }

  it('makes a pending order and a Checkout Session priced from the database', async () => {
    const clientId = newClientId();
    const result = await buyer.api.checkout.create({
      items: [
        { productId: tote.id, quantity: 2 },
        { productId: mug.id, quantity: 1 },
      ],
      source: { url: `${CLIP}?is_from_webapp=1` },
      clientId,
    });
    const total = 2 * 2599 + 1200;
    expect(result).toMatchObject({ status: 'pending', totalCents: total, currency: 'USD' });
    expect(result.orderId).toBe(orderIdFor(buyer.id, clientId));
    expect(result.checkoutUrl).toMatch(new RegExp(`^${shop.fake.url}/checkout/cs_test_`));

    const [call] = shop.fake
      .calls('POST', '/v1/checkout/sessions')
      .filter((r) => (r.params.metadata as Json)?.order_id === result.orderId);
    expect(call).toBeDefined();
    expect(call!.idempotencyKey).toBe(checkoutIdempotencyKey(result.orderId));
    expect(call!.params).toMatchObject({
      mode: 'payment',
      client_reference_id: result.orderId,
      success_url: expect.stringMatching(
        new RegExp(
          `^${shop.server.url}/checkout/success\\?order=${result.orderId}&token=[\\w-]{32}$`,
        ),
      ),
      cancel_url: expect.stringMatching(
        new RegExp(
          `^${shop.server.url}/checkout/cancel\\?order=${result.orderId}&token=[\\w-]{32}$`,
        ),
      ),
      // Held stock expires with the session; the address only in the brand's countries.
      expires_at: expect.stringMatching(/^\d+$/),
      shipping_address_collection: { allowed_countries: ['DE', 'GB', 'US'] },
      metadata: { order_id: result.orderId, brand_id: brandId },
      payment_intent_data: {
        // 500 basis points of the total, rounded down.
        application_fee_amount: String(Math.floor((total * 500) / 10_000)),
        transfer_data: { destination: accountId },
        metadata: { order_id: result.orderId },
      },
    });
    const lines = (call!.params.line_items as Json[]).map((l) => ({
      quantity: l.quantity,
      amount: (l.price_data as Json).unit_amount,
      currency: (l.price_data as Json).currency,
      name: ((l.price_data as Json).product_data as Json).name,
    }));
    expect(lines).toEqual(
      expect.arrayContaining([
        { quantity: '2', amount: '2599', currency: 'usd', name: 'Tote' },
        { quantity: '1', amount: '1200', currency: 'usd', name: 'Mug' },
      ]),
    );

    const order = await buyer.api.orders.get({ orderId: result.orderId });
    expect(order).toMatchObject({
      status: 'pending',
      totalCents: total,
      currency: 'USD',
      checkoutUrl: result.checkoutUrl,
      brand: { id: brandId, name: 'Totes' },
      source: { url: CLIP, groupId: null, widget: null },
    });
    expect(order.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ productId: tote.id, quantity: 2, unitPriceCents: 2599 }),
        expect.objectContaining({ productId: mug.id, quantity: 1, unitPriceCents: 1200 }),
      ]),
    );
    // The checkout holds its units until it is paid, expires or is cancelled.
    expect((await buyer.api.products.get({ productId: tote.id })).stock).toBe(3);
    expect((await buyer.api.products.get({ productId: mug.id })).stock).toBeNull();
  });

  it('a guest can check out; a widget source is kept as its site origin', async () => {
    const anon = await callerFor(shop.deps);
    const result = await anon.checkout.create({
      items: [{ productId: mug.id, quantity: 3 }],
      source: { widget: 'https://shop.example.com/products/mug?ref=kith#top' },
    });
    const row = await orderRow(shop, result.orderId);
    expect(row).toMatchObject({ status: 'pending', total_cents: 3600 });
    const order = await owner.api.orders.get({ orderId: result.orderId });
    expect(order).toMatchObject({
      buyer: 'guest',
      source: { widget: 'https://shop.example.com', url: null, groupId: null },
      platformFeeCents: 180,
      netCents: 3420,
    });
  });

  it('a tampered price or currency from the client has no effect', async () => {
    const result = await wireCall(
      shop.deps,
      'checkout.create',
      {
        items: [
          { productId: tote.id, quantity: 1, priceCents: 1, unitPriceCents: 1, currency: 'JPY' },
        ],
        totalCents: 1,
        currency: 'jpy',
        feeCents: 0,
        source: { url: CLIP, priceCents: 1 },
      },
      buyer.token,
    );
    expect(result.ok).toBe(true);
    const { orderId, totalCents, currency } = (result as { data: Json }).data as {
      orderId: string;
      totalCents: number;
      currency: string;
    };
    expect({ totalCents, currency }).toEqual({ totalCents: 2599, currency: 'USD' });
    expect(await orderRow(shop, orderId)).toMatchObject({ total_cents: 2599, fee_cents: 129 });
    const session = shop.fake.sessionForOrder(orderId)!;
    expect(session).toMatchObject({ amount_total: 2599, currency: 'usd' });
  });

  describe('refusals: nothing is stored and no session is made', () => {
    it.each([
      ['quantity 0', 0],
      ['quantity 11', 11],
      ['a fractional quantity', 1.5],
      ['a negative quantity', -2],
    ])('%s → BAD_REQUEST', async (_what, quantity) => {
      await expectRefused(
        () => buyer.api.checkout.create({ items: [{ productId: mug.id, quantity }] }),
        'BAD_REQUEST',
        /quantity must be a whole number from 1 to 10/,
      );
    });

    it('the same product twice adding up to more than 10 → BAD_REQUEST', async () => {
      await expectRefused(
        () =>
          buyer.api.checkout.create({
            items: [
              { productId: mug.id, quantity: 6 },
              { productId: mug.id, quantity: 5 },
            ],
          }),
        'BAD_REQUEST',
        /at most 10 of one product/,
      );
    });

    it('no items → BAD_REQUEST', async () => {
      await expectRefused(
        () => buyer.api.checkout.create({ items: [] }),
        'BAD_REQUEST',
        /at least one item/,
      );
    });

    it('products of two brands → BAD_REQUEST', async () => {
      const other = await signUp(shop.deps, 'other');
      const otherBrand = await makeBrand(shop, other);
      const theirs = await makeProduct(other, otherBrand.id);
      await expectRefused(
        () =>
          buyer.api.checkout.create({
            items: [
              { productId: mug.id, quantity: 1 },
              { productId: theirs.id, quantity: 1 },
            ],
          }),
        'BAD_REQUEST',
        /one brand/,
      );
    });

    it('two currencies → BAD_REQUEST', async () => {
      const euro = await makeProduct(owner, brandId, { currency: 'EUR', title: 'Euro mug' });
      await expectRefused(
        () =>
          buyer.api.checkout.create({
            items: [
              { productId: mug.id, quantity: 1 },
              { productId: euro.id, quantity: 1 },
            ],
          }),
        'BAD_REQUEST',
        /one currency/,
      );
    });

    it('an inactive product → BAD_REQUEST', async () => {
      const gone = await makeProduct(owner, brandId, { title: 'Retired', active: false });
      await expectRefused(
        () => buyer.api.checkout.create({ items: [{ productId: gone.id, quantity: 1 }] }),
        'BAD_REQUEST',
        /“\u2068Retired\u2069” is no longer for sale/,
      );
    });

    it('out of stock, or more than is left → BAD_REQUEST', async () => {
      const none = await makeProduct(owner, brandId, { title: 'Sold out', stock: 0 });
      await expectRefused(
        () => buyer.api.checkout.create({ items: [{ productId: none.id, quantity: 1 }] }),
        'BAD_REQUEST',
        /“\u2068Sold out\u2069” is out of stock/,
      );
      // Pending checkouts above hold some of the 5 totes.
      const left = (await stockOf(shop, tote.id))!;
      expect(left).toBeLessThan(5);
      await expectRefused(
        () => buyer.api.checkout.create({ items: [{ productId: tote.id, quantity: left + 1 }] }),
        'BAD_REQUEST',
        new RegExp(`Only ${left} of “\u2068Tote\u2069” left`),
      );
    });

    it('a name quoted in a refusal is isolated, so an override in it cannot reverse the sentence', async () => {
      const title = '\u202Eevil\u202B twin';
      const none = await makeProduct(owner, brandId, { title, stock: 0 });
      const error = await buyer.api.checkout
        .create({ items: [{ productId: none.id, quantity: 1 }] })
        .then(
          () => null,
          (e: unknown) => e as Error,
        );
      expect(error?.message).toBe(`“\u2068${title}\u2069” is out of stock.`);
    });

    it('an unknown product → NOT_FOUND', async () => {
      await expectRefused(
        () => buyer.api.checkout.create({ items: [{ productId: randomUUID(), quantity: 1 }] }),
        'NOT_FOUND',
        /do not exist/,
      );
    });

    it('a brand that cannot take charges yet → PRECONDITION_FAILED, connected or not', async () => {
      const newcomer = await signUp(shop.deps, 'newcomer');
      const fresh = await makeBrand(shop, newcomer, { name: 'Fresh Co', selling: false });
      const item = await makeProduct(newcomer, fresh.id);
      await expectRefused(
        () => buyer.api.checkout.create({ items: [{ productId: item.id, quantity: 1 }] }),
        'PRECONDITION_FAILED',
        /\u2068Fresh Co\u2069 cannot take payments yet/,
      );
      const { accountId: pending } = await newcomer.api.brands.connect({ brandId: fresh.id });
      await shop.fake.completeOnboarding(pending, { chargesEnabled: false });
      await expectRefused(
        () => buyer.api.checkout.create({ items: [{ productId: item.id, quantity: 1 }] }),
        'PRECONDITION_FAILED',
        /\u2068Fresh Co\u2069 cannot take payments yet/,
      );
    });

    it('a source link that is not a link, or a widget that is not a site → BAD_REQUEST', async () => {
      await expectRefused(
        () =>
          buyer.api.checkout.create({
            items: [{ productId: mug.id, quantity: 1 }],
            source: { url: 'javascript:alert(1)' },
          }),
        'BAD_REQUEST',
        /"url"/,
      );
      await expectRefused(
        () =>
          buyer.api.checkout.create({
            items: [{ productId: mug.id, quantity: 1 }],
            source: { widget: 'ftp://files.example.com' },
          }),
        'BAD_REQUEST',
        /source.widget/,
      );
    });
  });

  describe('retries', () => {
    it('retrying with the same clientId, in turn or at once, makes one order and one session', async () => {
      const clientId = newClientId();
      const input = { items: [{ productId: mug.id, quantity: 2 }], clientId };
      const results = await Promise.all([1, 2, 3].map(() => buyer.api.checkout.create(input)));
      results.push(await buyer.api.checkout.create(input));
      results.push(await buyer.api.checkout.create(input));
      const orderId = orderIdFor(buyer.id, clientId);
      expect(new Set(results.map((r) => r.orderId))).toEqual(new Set([orderId]));
      expect(new Set(results.map((r) => r.checkoutUrl)).size).toBe(1);
      expect(shop.fake.sessionsForOrder(orderId)).toHaveLength(1);
      // Concurrent attempts reached Stripe with the same key and got the same session back.
      const calls = shop.fake
        .calls('POST', '/v1/checkout/sessions')
        .filter((c) => (c.params.metadata as Json)?.order_id === orderId);
      expect(new Set(calls.map((c) => c.idempotencyKey))).toEqual(
        new Set([checkoutIdempotencyKey(orderId)]),
      );
      expect(calls.filter((c) => !c.replayed)).toHaveLength(1);
      const mine = await buyer.api.orders.list();
      expect(mine.orders.filter((o) => o.id === orderId)).toHaveLength(1);
    });

    it('the same clientId for a different basket → CONFLICT', async () => {
      const clientId = newClientId();
      await buyer.api.checkout.create({ items: [{ productId: mug.id, quantity: 1 }], clientId });
      await expectRefused(
        () => buyer.api.checkout.create({ items: [{ productId: mug.id, quantity: 2 }], clientId }),
        'CONFLICT',
        /different checkout/,
      );
    });

    it('Stripe down: a clear retryable error, no order left behind; the retry then works', async () => {
      const clientId = newClientId();
      const input = { items: [{ productId: tote.id, quantity: 1 }], clientId };
      const orders = await countRows(shop, 'orders');
      shop.fake.down = true;
      try {
        const error = await refusal(buyer.api.checkout.create(input));
        expect(error.code).toBe('SERVICE_UNAVAILABLE');
        expect(error.message).toMatch(/nothing was charged\. Please try again/);
        // Over the wire the client sees the same words and a 503.
        const wire = await wireCall(shop.deps, 'checkout.create', input, buyer.token);
        expect(wire).toMatchObject({
          ok: false,
          status: 503,
          error: {
            message: expect.stringMatching(/try again/),
            data: { code: 'SERVICE_UNAVAILABLE' },
          },
        });
      } finally {
        shop.fake.down = false;
      }
      expect(await countRows(shop, 'orders')).toBe(orders);
      const retried = await buyer.api.checkout.create(input);
      expect(await countRows(shop, 'orders')).toBe(orders + 1);
      expect(shop.fake.sessionsForOrder(retried.orderId)).toHaveLength(1);
    });

    it('Stripe too slow: a timeout leaves no order; the retry reuses the session Stripe made', async () => {
      const clientId = newClientId();
      const input = { items: [{ productId: mug.id, quantity: 4 }], clientId };
      const orderId = orderIdFor(buyer.id, clientId);
      const orders = await countRows(shop, 'orders');
      shop.fake.delayMs = 2500;
      try {
        const error = await refusal(buyer.api.checkout.create(input));
        expect(error.code).toBe('SERVICE_UNAVAILABLE');
        expect(error.message).toMatch(/try again/);
      } finally {
        shop.fake.delayMs = 0;
      }
      expect(await countRows(shop, 'orders')).toBe(orders);
      // Stripe did make the session before the answer was lost.
      expect(shop.fake.sessionsForOrder(orderId)).toHaveLength(1);
      const retried = await buyer.api.checkout.create(input);
      expect(retried.orderId).toBe(orderId);
      expect(shop.fake.sessionsForOrder(orderId)).toHaveLength(1);
      expect(retried.checkoutUrl).toBe(shop.fake.sessionForOrder(orderId)!.url);
      expect(await countRows(shop, 'orders')).toBe(orders + 1);
    });
  });

  describe('group attribution', () => {
    let sharer: TestUser;
    let friend: TestUser;
    let outsider: TestUser;
    let groupId: string;
    beforeAll(async () => {
      sharer = await signUp(shop.deps, 'sharer');
      friend = await signUp(shop.deps, 'friend');
      outsider = await signUp(shop.deps, 'outsider');
      await befriend(sharer, friend);
      groupId = (await sharer.api.groups.create({ name: 'Gift ideas', memberIds: [friend.id] })).id;
      await sharer.api.messages.send({
        groupId,
        clientId: newClientId(),
        productId: tote.id,
        clip: { url: CLIP },
        body: 'for the trip?',
      });
    });

    it('a friend who buys a product shared in the group carries the group (and the clip)', async () => {
      const result = await friend.api.checkout.create({
        items: [{ productId: tote.id, quantity: 1 }],
        source: { groupId, url: CLIP },
        clientId: newClientId(),
      });
      const theirs = await friend.api.orders.get({ orderId: result.orderId });
      expect(theirs.source).toEqual({ groupId, url: CLIP, widget: null });
      const sales = await owner.api.brands.orders({ brandId });
      expect(sales.orders.find((o) => o.id === result.orderId)?.source).toEqual({
        groupId,
        url: CLIP,
        widget: null,
      });
    });

    it('a group the buyer is not in is dropped, silently (guests too)', async () => {
      const byOutsider = await outsider.api.checkout.create({
        items: [{ productId: mug.id, quantity: 1 }],
        source: { groupId, url: CLIP },
      });
      expect((await outsider.api.orders.get({ orderId: byOutsider.orderId })).source).toEqual({
        groupId: null,
        url: CLIP,
        widget: null,
      });
      const anon = await callerFor(shop.deps);
      const byGuest = await anon.checkout.create({
        items: [{ productId: mug.id, quantity: 1 }],
        source: { groupId },
      });
      expect((await owner.api.orders.get({ orderId: byGuest.orderId })).source.groupId).toBeNull();
      const unknown = await outsider.api.checkout.create({
        items: [{ productId: mug.id, quantity: 1 }],
        source: { groupId: randomUUID() },
      });
      expect(
        (await outsider.api.orders.get({ orderId: unknown.orderId })).source.groupId,
      ).toBeNull();
    });
  });
});
