/**
 * Commerce a brand can run: shipping and email from Checkout, marking orders shipped, return
 * links restricted to the brand's sites, stock held from checkout start (one winner for the
 * last unit), Buy's reason, order pages behind the order's secret, refunds matched on the
 * order's own Stripe ids, and a brand's video showing only its products. Everything goes
 * through the real Stripe SDK against the loopback fake, webhooks signed as Stripe signs them.
 */

import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { sweepStaleOrders } from '../../server/payments/sweeper';
import type { FakeEvent } from '../fakes/stripe';
import { ownChannelOnce } from '../fixtures/channels';
import {
  makeBrand,
  makeProduct,
  newClientId,
  orderStatus,
  returnPage,
  stockOf,
  useShopWithBrand,
} from '../fixtures/commerce';
import { engines } from '../fixtures/db';
import { signUp } from '../fixtures/deps';
import { httpClient } from '../fixtures/live';
import { dbSnapshot } from '../fixtures/snapshot';
import { refusal } from '../fixtures/state';

const SITE = 'https://shop.example';

describe.each(engines)('fulfilment on %s', (engine) => {
  const world = useShopWithBrand(engine, { owner: 'seller', buyer: 'shopper', brand: 'Parcel Co' });

  async function paidOrder(options: { requiresShipping?: boolean; returnUrl?: string } = {}) {
    const product = await world.owner.api.products.create({
      brandId: world.brandId,
      title: options.requiresShipping === false ? 'E-book' : 'Lamp',
      priceCents: 4000,
      currency: 'USD',
      stock: 5,
      requiresShipping: options.requiresShipping ?? true,
    });
    const { orderId } = await world.buyer.api.checkout.create({
      items: [{ productId: product.id, quantity: 1 }],
      clientId: newClientId(),
      ...(options.returnUrl ? { returnUrl: options.returnUrl } : {}),
    });
    const sessionId = world.shop.fake.sessionForOrder(orderId)!.id as string;
    await world.shop.fake.pay(sessionId, {
      email: 'ana@example.com',
      shipping: {
        name: 'Ana Buyer',
        address: {
          line1: '5 Elm Row',
          line2: 'Flat 2',
          city: 'Leeds',
          state: null,
          postal_code: 'LS1 1AA',
          country: 'GB',
        },
      },
    });
    return { orderId, sessionId, productId: product.id };
  }

  it('brands.update sets shipping countries, allowed origins and support email; bad input changes nothing', async () => {
    const updated = await world.owner.api.brands.update({
      brandId: world.brandId,
      shippingCountries: ['gb', 'US', 'DE', 'US'],
      allowedOrigins: [`${SITE}/any/page?x=1`],
      supportEmail: 'help@parcel.example',
    });
    expect(updated).toMatchObject({
      shippingCountries: ['DE', 'GB', 'US'],
      allowedOrigins: [SITE],
      supportEmail: 'help@parcel.example',
    });
    const stranger = await signUp(world.shop.deps, 'stranger');
    const before = await dbSnapshot(world.shop.database.db);
    for (const bad of [
      { shippingCountries: ['XX'] },
      { shippingCountries: ['USA'] },
      { allowedOrigins: ['javascript:alert(1)'] },
      { supportEmail: 'not an email' },
      {},
    ]) {
      const error = await refusal(
        world.owner.api.brands.update({ brandId: world.brandId, ...bad }),
      );
      expect(error.code, JSON.stringify(bad)).toBe('BAD_REQUEST');
    }
    expect(
      (
        await refusal(
          stranger.api.brands.update({ brandId: world.brandId, shippingCountries: ['FR'] }),
        )
      ).code,
    ).toBe('FORBIDDEN');
    expect(await dbSnapshot(world.shop.database.db)).toEqual(before);
  });

  it('Checkout asks for an address in the brand countries only for what ships; the order keeps email and address for buyer and brand only', async () => {
    const { orderId } = await paidOrder();
    const call = world.shop.fake
      .calls('POST', '/v1/checkout/sessions')
      .find((r) => (r.params.metadata as { order_id?: string })?.order_id === orderId)!;
    expect(call.params.shipping_address_collection).toEqual({
      allowed_countries: ['DE', 'GB', 'US'],
    });
    const shipping = {
      name: 'Ana Buyer',
      address: {
        line1: '5 Elm Row',
        line2: 'Flat 2',
        city: 'Leeds',
        state: null,
        postalCode: 'LS1 1AA',
        country: 'GB',
      },
    };
    const mine = await world.buyer.api.orders.get({ orderId });
    expect(mine).toMatchObject({ status: 'paid', email: 'ana@example.com', shipping });
    const theirs = await world.owner.api.orders.get({ orderId });
    expect(theirs).toMatchObject({ email: 'ana@example.com', shipping });
    const sales = await world.owner.api.brands.orders({ brandId: world.brandId, status: 'paid' });
    expect(sales.orders.find((o) => o.id === orderId)).toMatchObject({ shipping });
    const stranger = await signUp(world.shop.deps, 'nosy');
    expect((await refusal(stranger.api.orders.get({ orderId }))).code).toBe('NOT_FOUND');
    expect((await refusal(stranger.api.brands.orders({ brandId: world.brandId }))).code).toBe(
      'FORBIDDEN',
    );

    const digital = await paidOrder({ requiresShipping: false });
    const digitalCall = world.shop.fake
      .calls('POST', '/v1/checkout/sessions')
      .find((r) => (r.params.metadata as { order_id?: string })?.order_id === digital.orderId)!;
    expect(digitalCall.params.shipping_address_collection).toBeUndefined();
    expect(await world.buyer.api.orders.get({ orderId: digital.orderId })).toMatchObject({
      email: 'ana@example.com',
      shipping: null,
    });
  });

  it('a brand that has not said where it ships cannot sell what ships: Buy is off with the reason', async () => {
    const owner = await signUp(world.shop.deps, 'noship');
    const brand = await makeBrand(world.shop, owner, { shippingCountries: [] });
    const lamp = await makeProduct(owner, brand.id, { title: 'Heavy lamp' });
    expect(await world.buyer.api.products.get({ productId: lamp.id })).toMatchObject({
      purchasable: false,
      reasonCode: 'no_shipping',
      reason: expect.stringMatching(/does not ship/),
    });
    const error = await refusal(
      world.buyer.api.checkout.create({ items: [{ productId: lamp.id, quantity: 1 }] }),
    );
    expect(error.code).toBe('PRECONDITION_FAILED');
  });

  it('products.get says why Buy is off: sold out, inactive, brand cannot take payments', async () => {
    const none = await makeProduct(world.owner, world.brandId, { stock: 0 });
    expect(await world.buyer.api.products.get({ productId: none.id })).toMatchObject({
      purchasable: false,
      reasonCode: 'sold_out',
      reason: 'Sold out',
    });
    const some = await makeProduct(world.owner, world.brandId, { stock: 3 });
    expect(await world.buyer.api.products.get({ productId: some.id })).toMatchObject({
      purchasable: true,
      reason: null,
    });
    await world.owner.api.products.update({ productId: some.id, active: false });
    expect(await world.owner.api.products.get({ productId: some.id })).toMatchObject({
      purchasable: false,
      reasonCode: 'inactive',
    });
    const other = await signUp(world.shop.deps, 'unpaid');
    const unconnected = await makeBrand(world.shop, other, { selling: false });
    const p = await makeProduct(other, unconnected.id);
    expect(await world.buyer.api.products.get({ productId: p.id })).toMatchObject({
      purchasable: false,
      reasonCode: 'brand_cannot_sell',
    });
  });

  it('markShipped moves a paid order to shipped once and tells the buyer in their brand thread', async () => {
    const { orderId, sessionId } = await paidOrder();
    const shipped = await world.owner.api.orders.markShipped({
      orderId,
      carrier: 'ups',
      trackingNumber: '1Z999AA10123456784',
    });
    expect(shipped).toMatchObject({
      status: 'shipped',
      tracking: {
        carrier: 'UPS',
        number: '1Z999AA10123456784',
        url: 'https://www.ups.com/track?tracknum=1Z999AA10123456784',
      },
    });
    // The same again is answered as it is; another parcel is a conflict.
    await world.owner.api.orders.markShipped({
      orderId,
      carrier: 'UPS',
      trackingNumber: '1Z999AA10123456784',
    });
    expect(
      (
        await refusal(
          world.owner.api.orders.markShipped({ orderId, carrier: 'DHL', trackingNumber: '123456' }),
        )
      ).code,
    ).toBe('CONFLICT');
    const threads = await world.owner.api.brands.threads({ brandId: world.brandId });
    const thread = threads.find((t) => t.customer?.id === world.buyer.id)!;
    const { messages } = await world.buyer.api.messages.list({ groupId: thread.groupId });
    const notes = messages.filter((m) => m.body?.includes('1Z999AA10123456784'));
    expect(notes).toHaveLength(1);
    expect(notes[0]!.body).toContain('https://www.ups.com/track?tracknum=1Z999AA10123456784');
    expect(notes[0]!.sender?.id).toBe(world.owner.id);
    expect((await world.buyer.api.orders.get({ orderId })).tracking?.number).toBe(
      '1Z999AA10123456784',
    );
    // Shipped only moves forward: a refund still lands, nothing goes back to paid.
    await world.shop.fake.refund(sessionId);
    expect(await orderStatus(world.shop, orderId)).toBe('refunded');
  });

  it('markShipped: only the brand owner, only a paid order; bad input changes nothing', async () => {
    const { orderId } = await paidOrder();
    const pending = await world.buyer.api.checkout.create({
      items: [{ productId: (await makeProduct(world.owner, world.brandId)).id, quantity: 1 }],
    });
    const stranger = await signUp(world.shop.deps, 'thief');
    const before = await dbSnapshot(world.shop.database.db);
    const input = { orderId, carrier: 'DHL', trackingNumber: 'JD0146000033' };
    expect((await refusal(stranger.api.orders.markShipped(input))).code).toBe('NOT_FOUND');
    expect((await refusal(world.buyer.api.orders.markShipped(input))).code).toBe('NOT_FOUND');
    expect(
      (await refusal(world.owner.api.orders.markShipped({ ...input, orderId: pending.orderId })))
        .code,
    ).toBe('CONFLICT');
    for (const bad of [
      { ...input, trackingNumber: '<script>' },
      { ...input, carrier: '' },
      { ...input, trackingUrl: 'http://track.example/1' },
    ]) {
      expect((await refusal(world.owner.api.orders.markShipped(bad))).code).toBe('BAD_REQUEST');
    }
    expect(await dbSnapshot(world.shop.database.db)).toEqual(before);
  });

  it('returnUrl: only on the brand allowed origins; the return pages link back to it', async () => {
    const product = await makeProduct(world.owner, world.brandId);
    const before = await dbSnapshot(world.shop.database.db);
    for (const returnUrl of [
      'https://evil.example/shop',
      'http://shop.example/',
      `${SITE}.evil.example/`,
    ]) {
      const error = await refusal(
        world.buyer.api.checkout.create({
          items: [{ productId: product.id, quantity: 1 }],
          returnUrl,
        }),
      );
      expect(error.code, returnUrl).toBe('BAD_REQUEST');
      expect(error.message).toMatch(/allowed origins/);
    }
    expect(await dbSnapshot(world.shop.database.db)).toEqual(before);
    const { orderId } = await paidOrder({ returnUrl: `${SITE}/lamps?id=1` });
    const success = await (await fetch(returnPage(world.shop, orderId, 'success'))).text();
    expect(success).toContain(`id="return-link" href="${SITE}/lamps?id=1"`);
    expect(success).toMatch(/Back to Parcel Co/);
  });

  it('a guest sees the order and that an email receipt follows; a member is pointed to Kith', async () => {
    const product = await makeProduct(world.owner, world.brandId);
    const guest = httpClient(world.shop.server.url);
    const { orderId } = await guest.checkout.create.mutate({
      items: [{ productId: product.id, quantity: 1 }],
    });
    await world.shop.fake.pay(world.shop.fake.sessionForOrder(orderId)!.id as string, {
      email: 'guest@example.com',
    });
    const html = await (await fetch(returnPage(world.shop, orderId, 'success'))).text();
    expect(html).toMatch(/data-status="paid"/);
    expect(html).toMatch(/will send an email receipt to guest@example.com/);
    expect(html).not.toMatch(/Orders in Kith/);
    const member = await paidOrder();
    const memberHtml = await (
      await fetch(returnPage(world.shop, member.orderId, 'success'))
    ).text();
    expect(memberHtml).toMatch(/under Orders in Kith/);
  });

  it('50 loads of a return page ask Stripe at most once; the connect return page too', async () => {
    const product = await makeProduct(world.owner, world.brandId);
    const { orderId } = await world.buyer.api.checkout.create({
      items: [{ productId: product.id, quantity: 1 }],
    });
    const sessionId = world.shop.fake.sessionForOrder(orderId)!.id as string;
    const url = returnPage(world.shop, orderId, 'success');
    const loads = await Promise.all(Array.from({ length: 50 }, () => fetch(url)));
    expect(loads.every((r) => r.status === 200)).toBe(true);
    expect(
      world.shop.fake.calls('GET', `/v1/checkout/sessions/${sessionId}`).length,
    ).toBeLessThanOrEqual(1);

    const other = await signUp(world.shop.deps, 'onboard');
    const brand = await makeBrand(world.shop, other, { selling: false });
    const { accountId } = await other.api.brands.connect({ brandId: brand.id });
    const pages = await Promise.all(
      Array.from({ length: 50 }, () =>
        fetch(`${world.shop.server.url}/connect/return?brand=${brand.id}`),
      ),
    );
    expect(pages.every((r) => r.status === 200)).toBe(true);
    expect(world.shop.fake.calls('GET', `/v1/accounts/${accountId}`).length).toBeLessThanOrEqual(1);
  });

  it('eight buyers race for the last unit over HTTP: one checkout, seven sold out, one sale', async () => {
    const last = await makeProduct(world.owner, world.brandId, { title: 'Last lamp', stock: 1 });
    const buyers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => signUp(world.shop.deps, `racer${i}`)),
    );
    const results = await Promise.allSettled(
      buyers.map((b) =>
        httpClient(world.shop.server.url, b.token).checkout.create.mutate({
          items: [{ productId: last.id, quantity: 1 }],
          clientId: newClientId(),
        }),
      ),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(7);
    for (const r of lost)
      expect(String((r as PromiseRejectedResult).reason.message)).toMatch(/sold out|out of stock/);
    expect(
      world.shop.fake.calls('POST', '/v1/checkout/sessions').filter((c) =>
        (
          c.params.line_items as {
            price_data: { product_data: { metadata: { product_id: string } } };
          }[]
        ).some((l) => l.price_data.product_data.metadata.product_id === last.id),
      ),
    ).toHaveLength(1);
    expect(await stockOf(world.shop, last.id)).toBe(0);
    expect(await world.buyer.api.products.get({ productId: last.id })).toMatchObject({
      purchasable: false,
      reasonCode: 'sold_out',
    });
    const { orderId } = (won[0] as PromiseFulfilledResult<{ orderId: string }>).value;
    const session = world.shop.fake.sessionForOrder(orderId)!;
    // The session stops taking payment when the hold ends (an hour, within Stripe's range).
    const expiresAt = session.expires_at as number;
    expect(expiresAt - (session.created as number)).toBeGreaterThanOrEqual(30 * 60);
    expect(expiresAt - (session.created as number)).toBeLessThanOrEqual(24 * 3600);
    await world.shop.fake.pay(session.id as string);
    expect(await orderStatus(world.shop, orderId)).toBe('paid');
    expect(await stockOf(world.shop, last.id)).toBe(0);
    const paid = await world.shop.database.db.execute<{ n: number }>(
      sql`select count(*)::int as n from order_items i join orders o on o.id = i.order_id
          where i.product_id = ${last.id} and o.status = 'paid'`,
    );
    expect(Number(paid.rows[0]?.n)).toBe(1);
  });

  it('a held unit comes back when its session expires or the buyer gives up, and the sweeper frees lost holds', async () => {
    const one = await makeProduct(world.owner, world.brandId, { stock: 1 });
    const first = await world.buyer.api.checkout.create({
      items: [{ productId: one.id, quantity: 1 }],
    });
    expect(await stockOf(world.shop, one.id)).toBe(0);
    const session = world.shop.fake.sessionForOrder(first.orderId)!;
    await world.shop.fake.expireDue((session.expires_at as number) + 1);
    expect(await orderStatus(world.shop, first.orderId)).toBe('expired');
    expect(await stockOf(world.shop, one.id)).toBe(1);

    // Stripe down with a clientId: the hold waits for the retry, which reuses it.
    const clientId = newClientId();
    world.shop.fake.down = true;
    try {
      await refusal(
        world.buyer.api.checkout.create({ items: [{ productId: one.id, quantity: 1 }], clientId }),
      );
    } finally {
      world.shop.fake.down = false;
    }
    expect(await stockOf(world.shop, one.id)).toBe(0);
    // Nobody retries: once the hold is past its end the sweeper gives the unit back.
    const { expired } = await sweepStaleOrders(world.shop.database.db, {
      now: new Date(Date.now() + 3 * 3600 * 1000),
    });
    expect(expired).toBeGreaterThanOrEqual(0);
    expect(await stockOf(world.shop, one.id)).toBe(1);
    const holds = await world.shop.database.db.execute<{ n: number }>(
      sql`select count(*)::int as n from checkout_holds`,
    );
    expect(Number(holds.rows[0]?.n)).toBe(0);
  });

  it('charge.refunded is matched on the order own payment and account, never on metadata alone', async () => {
    const victim = await paidOrder();
    const attacker = await paidOrder();
    const refunds = await world.shop.fake.refund(attacker.sessionId, { deliver: false });
    const refunded = refunds.find((e) => e.type === 'charge.refunded')!;
    // The attacker's own charge, relabelled with the victim's order id.
    const forged: FakeEvent = {
      ...refunded,
      id: `evt_forged_${Date.now()}`,
      data: {
        object: {
          ...refunded.data.object,
          payment_intent: 'pi_not_the_victims',
          metadata: { order_id: victim.orderId },
        },
      },
    };
    expect((await world.shop.fake.deliver(forged)).status).toBe(200);
    expect(await orderStatus(world.shop, victim.orderId)).toBe('paid');
    // The victim's real charge, but sent as another connected account's event.
    const real = (await world.shop.fake.refund(victim.sessionId, { deliver: false })).find(
      (e) => e.type === 'charge.refunded',
    )!;
    const otherAccount = { ...real, id: `evt_acct_${Date.now()}`, account: 'acct_someone_else' };
    expect((await world.shop.fake.deliver(otherAccount)).status).toBe(200);
    expect(await orderStatus(world.shop, victim.orderId)).toBe('paid');
    // The genuine events apply.
    expect((await world.shop.fake.deliver(real)).status).toBe(200);
    expect(await orderStatus(world.shop, victim.orderId)).toBe('refunded');
    expect((await world.shop.fake.deliver(refunded)).status).toBe(200);
    expect(await orderStatus(world.shop, attacker.orderId)).toBe('refunded');
  });

  it("a brand's shoppable video shows only that brand's products", async () => {
    const clip = 'https://www.tiktok.com/@parcel/video/7399999999999999999';
    // The clip is on the brand's own verified channel; another brand's tag shows there only
    // because the channel's owner accepted its request.
    await ownChannelOnce(
      world.shop.deps,
      world.owner,
      'https://www.tiktok.com/@parcel',
      world.brandId,
    );
    const mine = await makeProduct(world.owner, world.brandId, { title: 'Mine' });
    await world.owner.api.shop.tag({ brandId: world.brandId, url: clip, productId: mine.id });
    const hostile = await signUp(world.shop.deps, 'hostile');
    const theirBrand = await makeBrand(world.shop, hostile, { selling: false });
    const theirs = await makeProduct(hostile, theirBrand.id, { title: 'Theirs' });
    const asked = await hostile.api.shop.requestTag({ clipUrl: clip, productId: theirs.id });
    await world.owner.api.shop.respondTag({ requestId: asked.requestId, accept: true });
    const all = await world.buyer.api.shop.forClip({ url: clip });
    expect(all.products.map((p) => p.title).sort()).toEqual(['Mine', 'Theirs']);
    const own = await world.buyer.api.shop.forClip({ url: clip, brandId: world.brandId });
    expect(own.products.map((p) => p.title)).toEqual(['Mine']);
  });
});
