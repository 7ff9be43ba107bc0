import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../server/db/client';
import { type FakeEvent, startFakeStripe } from '../fakes/stripe';
import {
  countRows,
  makeProduct,
  orderRow,
  orderStatus,
  placePendingOrder,
  returnPage,
  type ShopWithBrand,
  shuffled,
  stockOf,
  useShopWithBrand,
} from '../fixtures/commerce';
import { engines, openTestDatabase } from '../fixtures/db';
import { decodeHtml } from '../fixtures/html';
import { httpClient } from '../fixtures/live';
import { freePort, spawnServer } from '../fixtures/process';
import { dbSnapshot } from '../fixtures/snapshot';

describe.each(engines)('Stripe webhook on %s', (engine) => {
  const world = useShopWithBrand(engine, { owner: 'owner', buyer: 'buyer', brand: 'Hook & Co' });
  /** A product with `stock` units and a pending order for `quantity` of it. */
  const pendingOrder = (stock: number | null = 10, quantity = 2) =>
    placePendingOrder(world, { stock, quantity, priceCents: 1500 });
  const statusOf = (orderId: string) => orderStatus(world.shop, orderId);
  async function deliverAll(events: FakeEvent[]) {
    for (const event of events) {
      const delivery = await world.shop.fake.deliver(event);
      expect(delivery.status, `${event.type}: ${delivery.body}`).toBe(200);
    }
  }

  it('create → pay → signed webhook → paid, stock taken once, seen by buyer and brand', async () => {
    const { orderId, sessionId, productId } = await pendingOrder(10, 3);
    const events = await world.shop.fake.pay(sessionId); // delivered to /stripe/webhook
    expect(events.map((e) => e.type)).toContain('checkout.session.completed');
    expect(
      world.shop.fake.deliveries.filter((d) => events.includes(d.event)).map((d) => d.status),
    ).toEqual(events.map(() => 200));
    expect(await stockOf(world.shop, productId)).toBe(7);
    const mine = await world.buyer.api.orders.get({ orderId });
    expect(mine).toMatchObject({ status: 'paid', totalCents: 4500, checkoutUrl: null });
    expect(mine.paidAt).not.toBeNull();
    const sales = await world.owner.api.brands.orders({ brandId: world.brandId, status: 'paid' });
    expect(sales.orders.map((o) => o.id)).toContain(orderId);
    // The buyer lands on the success page, which shows the order state.
    const page = await fetch(returnPage(world.shop, orderId, 'success'));
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/data-status="paid"/);
  });

  it('every webhook of a purchase three times, shuffled, ends in one paid order and one decrement', async () => {
    const { orderId, sessionId, productId, quantity } = await pendingOrder(10, 2);
    const events = await world.shop.fake.pay(sessionId, { deliver: false });
    const stored = await countRows(world.shop, 'stripe_events');
    const replay = shuffled([...events, ...events, ...events], 20_251_125);
    await deliverAll(replay);
    expect(await statusOf(orderId)).toBe('paid');
    expect(await stockOf(world.shop, productId)).toBe(10 - quantity);
    const handled = events.filter((e) => e.type.startsWith('checkout.')).length;
    expect(await countRows(world.shop, 'stripe_events')).toBe(stored + handled);
    const orders = await world.shop.database.db.execute<{ n: number }>(
      sql`select count(*)::int as n from orders where stripe_session_id = ${sessionId}`,
    );
    expect(orders.rows[0]?.n).toBe(1);
  });

  it('the same event delivered concurrently is applied once', async () => {
    const { orderId, sessionId, productId } = await pendingOrder(5, 1);
    const events = await world.shop.fake.pay(sessionId, { deliver: false });
    const burst = shuffled([...events, ...events, ...events, ...events], 7);
    const results = await Promise.all(burst.map((e) => world.shop.fake.deliver(e)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(await statusOf(orderId)).toBe('paid');
    expect(await stockOf(world.shop, productId)).toBe(4);
  });

  it('a purchase and its refund, replayed three times in any order, end refunded with one decrement', async () => {
    const { orderId, sessionId, productId } = await pendingOrder(10, 2);
    const paid = await world.shop.fake.pay(sessionId, { deliver: false });
    const refunded = await world.shop.fake.refund(sessionId, { deliver: false });
    for (const seed of [1, 2, 3]) {
      await deliverAll(shuffled([...paid, ...refunded], seed));
    }
    expect(await orderRow(world.shop, orderId)).toMatchObject({
      status: 'refunded',
      refunded_cents: 3000,
    });
    expect(await stockOf(world.shop, productId)).toBe(8);
  });

  it('expired after completed stays paid', async () => {
    const { orderId, sessionId } = await pendingOrder();
    await world.shop.fake.pay(sessionId);
    const [late] = await world.shop.fake.expire(sessionId, { force: true });
    expect(late?.type).toBe('checkout.session.expired');
    expect(await statusOf(orderId)).toBe('paid');
  });

  it('an unpaid session that expires ends expired; a payment event after that cannot revive it', async () => {
    const { orderId, sessionId, productId } = await pendingOrder(3, 1);
    await world.shop.fake.expire(sessionId);
    expect(await statusOf(orderId)).toBe('expired');
    expect((await world.buyer.api.orders.get({ orderId })).checkoutUrl).toBeNull();
    // A forged completion for the same session, even correctly signed, is too late.
    const forged = {
      ...(world.shop.fake.events.at(-1) as FakeEvent),
      id: `evt_forged_${Date.now()}`,
      type: 'checkout.session.completed',
    };
    forged.data = {
      object: { ...forged.data.object, status: 'complete', payment_status: 'paid' },
    };
    expect((await world.shop.fake.deliver(forged)).status).toBe(200);
    expect(await statusOf(orderId)).toBe('expired');
    expect(await stockOf(world.shop, productId)).toBe(3);
  });

  it('refund after paid → refunded; a partial refund keeps it paid and records the amount', async () => {
    const full = await pendingOrder(10, 1);
    await world.shop.fake.pay(full.sessionId);
    await world.shop.fake.refund(full.sessionId);
    expect(await orderRow(world.shop, full.orderId)).toMatchObject({
      status: 'refunded',
      refunded_cents: 1500,
    });
    expect((await world.owner.api.orders.get({ orderId: full.orderId })).status).toBe('refunded');

    const partial = await pendingOrder(10, 2);
    await world.shop.fake.pay(partial.sessionId);
    await world.shop.fake.refund(partial.sessionId, { amount: 500 });
    expect(await orderRow(world.shop, partial.orderId)).toMatchObject({
      status: 'paid',
      refunded_cents: 500,
    });
    await world.shop.fake.refund(partial.sessionId);
    expect(await orderRow(world.shop, partial.orderId)).toMatchObject({
      status: 'refunded',
      refunded_cents: 3000,
    });
  });

  it('delayed payment methods: completed unpaid waits, then succeeds or fails', async () => {
    const ok = await pendingOrder(10, 1);
    await world.shop.fake.pay(ok.sessionId, { async: true });
    expect(await statusOf(ok.orderId)).toBe('pending');
    // Held since the checkout started.
    expect(await stockOf(world.shop, ok.productId)).toBe(9);
    await world.shop.fake.asyncResult(ok.sessionId, 'succeeded');
    expect(await statusOf(ok.orderId)).toBe('paid');
    expect(await stockOf(world.shop, ok.productId)).toBe(9);

    const bad = await pendingOrder(10, 1);
    await world.shop.fake.pay(bad.sessionId, { async: true });
    expect(await stockOf(world.shop, bad.productId)).toBe(9);
    await world.shop.fake.asyncResult(bad.sessionId, 'failed');
    expect(await statusOf(bad.orderId)).toBe('failed');
    expect(await stockOf(world.shop, bad.productId)).toBe(10);
  });

  describe('refused deliveries change nothing', () => {
    let event: FakeEvent;
    let orderId: string;
    beforeAll(async () => {
      const order = await pendingOrder();
      orderId = order.orderId;
      const events = await world.shop.fake.pay(order.sessionId, { deliver: false });
      event = events.find((e) => e.type === 'checkout.session.completed')!;
    });

    it.each([
      ['no signature', { signature: null }],
      ['a garbage signature', { signature: 't=1,v1=deadbeef' }],
      ['a signature made with another secret', { secret: 'whsec_not_ours' }],
      ['a signature from long ago', { signature: 'old' }],
      ['a body changed after signing', { tamper: true }],
    ])('%s → 400', async (_what, how) => {
      const before = await dbSnapshot(world.shop.database.db);
      const payload = JSON.stringify(event);
      let options: Parameters<ShopWithBrand['shop']['fake']['deliver']>[1] = {};
      if ('signature' in how && how.signature === 'old')
        options = {
          signature: world.shop.fake.sign(payload, undefined, Math.floor(Date.now() / 1000) - 3600),
          body: payload,
        };
      else if ('signature' in how) options = { signature: how.signature };
      else if ('secret' in how) options = { secret: how.secret };
      else
        options = {
          signature: world.shop.fake.sign(payload),
          body: payload.replace('"paid"', '"unpaid"'),
        };
      const delivery = await world.shop.fake.deliver(event, options);
      expect(delivery.status).toBe(400);
      expect(await dbSnapshot(world.shop.database.db)).toEqual(before);
      expect(await statusOf(orderId)).toBe('pending');
    });

    it('then the genuine delivery is applied', async () => {
      expect((await world.shop.fake.deliver(event)).status).toBe(200);
      expect(await statusOf(orderId)).toBe('paid');
    });
  });

  it('unknown event types are answered 200 and ignored', async () => {
    const before = await dbSnapshot(world.shop.database.db);
    for (const type of ['customer.created', 'invoice.paid', 'payment_intent.created']) {
      const delivery = await world.shop.fake.deliver(world.shop.fake.other(type));
      expect(delivery.status).toBe(200);
      expect(JSON.parse(delivery.body)).toMatchObject({ received: true, status: 'ignored' });
    }
    expect(await dbSnapshot(world.shop.database.db)).toEqual(before);
  });

  it('a checkout event for a session that is not ours is recorded and changes nothing', async () => {
    const event = world.shop.fake.other('checkout.session.completed');
    event.data.object = {
      id: 'cs_test_elsewhere',
      object: 'checkout.session',
      metadata: { order_id: '00000000-0000-4000-8000-000000000000' },
      payment_status: 'paid',
      status: 'complete',
    };
    const orders = await countRows(world.shop, 'orders');
    const delivery = await world.shop.fake.deliver(event);
    expect(delivery.status).toBe(200);
    expect(await countRows(world.shop, 'orders')).toBe(orders);
  });

  it('GET is not allowed and an oversized body is refused', async () => {
    const get = await fetch(`${world.shop.server.url}/stripe/webhook`);
    expect(get.status).toBe(405);
    const big = await fetch(`${world.shop.server.url}/stripe/webhook`, {
      method: 'POST',
      headers: { 'stripe-signature': 't=1,v1=x' },
      body: 'x'.repeat(2 * 1024 * 1024),
    });
    expect(big.status).toBe(413);
  });

  describe('return pages', () => {
    it('cancel shows the order, and cancelling expires the session at Stripe', async () => {
      const { orderId, sessionId, productId } = await pendingOrder(5, 2);
      const cancelUrl = returnPage(world.shop, orderId, 'cancel');
      const token = new URL(cancelUrl).searchParams.get('token')!;
      const page = await fetch(cancelUrl);
      const html = await page.text();
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(html).toMatch(/Nothing was charged/);
      expect(html).not.toMatch(/Waiting for payment/);
      expect(html).toContain(`href="${world.shop.fake.url}/checkout/${sessionId}"`);
      const post = (body: string, headers: Record<string, string> = {}) =>
        fetch(`${world.shop.server.url}/checkout/cancel?order=${orderId}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
          body,
        });
      // Without the secret, or from another site, nothing happens.
      expect((await post('')).status).toBe(404);
      expect((await post(`token=${'x'.repeat(32)}`)).status).toBe(404);
      expect(
        (
          await post(`token=${token}`, {
            origin: 'https://evil.example',
            'sec-fetch-site': 'cross-site',
          })
        ).status,
      ).toBe(403);
      expect(
        (
          await fetch(`${cancelUrl}`, {
            method: 'POST',
            headers: { origin: 'https://evil.example' },
          })
        ).status,
      ).toBe(403);
      expect(await statusOf(orderId)).toBe('pending');
      expect(
        world.shop.fake.calls('POST', `/v1/checkout/sessions/${sessionId}/expire`),
      ).toHaveLength(0);
      const cancelled = await post(`token=${token}`, {
        origin: world.shop.server.url,
        'sec-fetch-site': 'same-origin',
      });
      const after = await cancelled.text();
      expect(after).toMatch(/data-status="expired"/);
      expect(after).toMatch(/This order is cancelled/);
      // The held units are back.
      expect(await stockOf(world.shop, productId)).toBe(5);
      expect(
        world.shop.fake.calls('POST', `/v1/checkout/sessions/${sessionId}/expire`),
      ).toHaveLength(1);
      expect(await statusOf(orderId)).toBe('expired');
    });

    it('success settles from Stripe when the webhook is late, and escapes what it shows', async () => {
      const product = await makeProduct(world.owner, world.brandId, {
        title: '<script>alert("x")</script> & "tote"',
        stock: 4,
      });
      const { orderId } = await world.buyer.api.checkout.create({
        items: [{ productId: product.id, quantity: 1 }],
      });
      const sessionId = world.shop.fake.sessionForOrder(orderId)!.id as string;
      const events = await world.shop.fake.pay(sessionId, { deliver: false });
      // Without the order's secret there is no order, and Stripe is not asked.
      const retrieves = () =>
        world.shop.fake.calls('GET', `/v1/checkout/sessions/${sessionId}`).length;
      const bare = await fetch(`${world.shop.server.url}/checkout/success?order=${orderId}`);
      expect(bare.status).toBe(404);
      expect(retrieves()).toBe(0);
      const page = await fetch(returnPage(world.shop, orderId, 'success'));
      const html = await page.text();
      expect(html).toMatch(/data-status="paid"/);
      expect(retrieves()).toBe(1);
      expect(html).not.toContain('<script>');
      expect(decodeHtml(html)).toContain('<script>alert("x")</script> & "tote"');
      expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
      expect(await stockOf(world.shop, product.id)).toBe(3);
      // The webhook arriving afterwards agrees and takes nothing more.
      await deliverAll(events);
      expect(await statusOf(orderId)).toBe('paid');
      expect(await stockOf(world.shop, product.id)).toBe(3);
    });

    it('an unknown or malformed order id gets a 404 page', async () => {
      for (const id of ['00000000-0000-4000-8000-000000000000', 'nope', '<x>']) {
        const page = await fetch(
          `${world.shop.server.url}/checkout/success?order=${encodeURIComponent(id)}`,
        );
        expect(page.status).toBe(404);
        expect(await page.text()).not.toContain('<x>');
      }
    });
  });
});

describe('the server process, configured only by its environment', () => {
  it('STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET and STRIPE_API_BASE take a purchase end to end', async () => {
    const fake = await startFakeStripe();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'kith-shop-'));
    // PostgreSQL when there is one; else PGlite, created here first so the process only opens it.
    const postgres = engines.includes('postgres') ? await openTestDatabase('postgres') : null;
    if (!postgres) await (await openDatabase({ dataDir: path.join(dataDir, 'pglite') })).close();
    const port = await freePort();
    const server = await spawnServer(
      {
        ...fake.env(),
        DATA_DIR: dataDir,
        ...(postgres?.url ? { DATABASE_URL: postgres.url } : {}),
        PUBLIC_URL: `http://127.0.0.1:${port}`,
      },
      port,
    );
    fake.webhookUrl = `${server.url}/stripe/webhook`;
    try {
      const anon = httpClient(server.url);
      const { token } = await anon.auth.register.mutate({
        handle: 'proc_owner',
        password: 'long enough pw',
      });
      const owner = httpClient(server.url, token);
      const brand = await owner.brands.create.mutate({ name: 'Process Co', slug: 'process-co' });
      const { accountId, url } = await owner.brands.connect.mutate({ brandId: brand.id });
      expect(url.startsWith(fake.url)).toBe(true);
      await fake.completeOnboarding(accountId);
      const product = await owner.products.create.mutate({
        brandId: brand.id,
        title: 'Lamp',
        priceCents: 3000,
        currency: 'GBP',
        stock: 2,
      });
      await owner.brands.update.mutate({ brandId: brand.id, shippingCountries: ['GB'] });
      const { orderId, checkoutUrl } = await anon.checkout.create.mutate({
        items: [{ productId: product.id, quantity: 2 }],
      });
      // The buyer pays on the (fake) hosted page and is sent back to the success page.
      const pay = await fetch(`${checkoutUrl}/pay`, { method: 'POST', redirect: 'manual' });
      expect(pay.headers.get('location')).toMatch(
        new RegExp(`^${server.url}/checkout/success\\?order=${orderId}&token=[\\w-]{32}$`),
      );
      const page = await fetch(pay.headers.get('location')!);
      expect(await page.text()).toMatch(/data-status="paid"/);
      expect((await owner.orders.get.query({ orderId })).status).toBe('paid');
      expect((await anon.products.get.query({ productId: product.id })).stock).toBe(0);
      expect(fake.deliveries.every((d) => d.status === 200)).toBe(true);
    } finally {
      await server.kill();
      await fake.close();
      await postgres?.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
