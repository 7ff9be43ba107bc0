import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBrand, makeProduct, newClientId, openShop, type Shop } from '../fixtures/commerce';
import { engines } from '../fixtures/db';
import { befriend, callerFor, signUp, type TestUser } from '../fixtures/deps';
import { refusal } from '../fixtures/state';

const CLIP = 'https://www.instagram.com/reel/C0ffeeB3ans/';

describe.each(engines)('orders on %s', (engine) => {
  let shop: Shop;
  let owner: TestUser;
  let rival: TestUser;
  let buyer: TestUser;
  let other: TestUser;
  let brandId: string;
  let rivalBrandId: string;
  let paidId: string;
  let pendingId: string;
  let groupId: string;

  beforeAll(async () => {
    shop = await openShop(engine);
    owner = await signUp(shop.deps, 'owner');
    rival = await signUp(shop.deps, 'rival');
    buyer = await signUp(shop.deps, 'buyer');
    other = await signUp(shop.deps, 'other');
    await befriend(buyer, other);
    groupId = (await buyer.api.groups.create({ name: 'Pals', memberIds: [other.id] })).id;
    brandId = (await makeBrand(shop, owner, { name: 'Orderly' })).id;
    rivalBrandId = (await makeBrand(shop, rival, { name: 'Rival' })).id;
    const lamp = await makeProduct(owner, brandId, { title: 'Lamp', priceCents: 4900 });
    const paid = await buyer.api.checkout.create({
      items: [{ productId: lamp.id, quantity: 1 }],
      source: { url: CLIP, groupId, widget: 'https://orderly.example/lamps' },
      clientId: newClientId(),
    });
    paidId = paid.orderId;
    await shop.fake.pay(shop.fake.sessionForOrder(paidId)!.id as string);
    pendingId = (
      await buyer.api.checkout.create({
        items: [{ productId: lamp.id, quantity: 2 }],
        clientId: newClientId(),
      })
    ).orderId;
    const theirs = await makeProduct(rival, rivalBrandId, { title: 'Chair' });
    await other.api.checkout.create({ items: [{ productId: theirs.id, quantity: 1 }] });
  });
  afterAll(() => shop?.close());

  it('orders.list is the buyer’s own orders, newest first, with items, totals and state', async () => {
    const { orders, hasMore } = await buyer.api.orders.list();
    expect(hasMore).toBe(false);
    expect(orders.map((o) => o.id)).toEqual([pendingId, paidId]);
    expect(orders[1]).toMatchObject({
      status: 'paid',
      currency: 'USD',
      totalCents: 4900,
      refundedCents: 0,
      itemCount: 1,
      items: [{ title: 'Lamp', quantity: 1, unitPriceCents: 4900, subtotalCents: 4900 }],
      brand: { id: brandId, name: 'Orderly' },
      source: { url: CLIP, groupId, widget: 'https://orderly.example' },
      checkoutUrl: null,
    });
    expect(orders[0]).toMatchObject({ status: 'pending', totalCents: 9800 });
    expect(orders[0]?.checkoutUrl).toMatch(/^http/);
    // The buyer's view has no platform figures.
    expect(orders[1]).not.toHaveProperty('platformFeeCents');

    const first = await buyer.api.orders.list({ limit: 1 });
    expect(first).toMatchObject({ hasMore: true, orders: [{ id: pendingId }] });
    const second = await buyer.api.orders.list({ limit: 1, before: pendingId });
    expect(second).toMatchObject({ hasMore: false, orders: [{ id: paidId }] });

    expect((await other.api.orders.list()).orders.map((o) => o.brand.name)).toEqual(['Rival']);
  });

  it('orders.get: the buyer and the brand’s owner see it; nobody else learns it exists', async () => {
    expect((await buyer.api.orders.get({ orderId: paidId })).status).toBe('paid');
    const asBrand = await owner.api.orders.get({ orderId: paidId });
    expect(asBrand).toMatchObject({
      status: 'paid',
      platformFeeCents: 245,
      netCents: 4655,
      buyer: 'member',
    });
    for (const who of [rival, other]) {
      const error = await refusal(who.api.orders.get({ orderId: paidId }));
      const none = await refusal(who.api.orders.get({ orderId: randomUUID() }));
      expect([error.code, error.message]).toEqual([none.code, none.message]);
      expect(error.code).toBe('NOT_FOUND');
    }
    const anon = await callerFor(shop.deps);
    expect((await refusal(anon.orders.get({ orderId: paidId }))).code).toBe('UNAUTHORIZED');
    expect((await refusal(anon.orders.list())).code).toBe('UNAUTHORIZED');
  });

  it('brands.orders: the owner sees the brand’s sales with attribution; others are refused', async () => {
    const all = await owner.api.brands.orders({ brandId });
    expect(all.orders.map((o) => o.id)).toEqual([pendingId, paidId]);
    expect(all.orders[1]).toMatchObject({
      status: 'paid',
      source: { url: CLIP, groupId, widget: 'https://orderly.example' },
      platformFeeCents: 245,
    });
    const paidOnly = await owner.api.brands.orders({ brandId, status: 'paid' });
    expect(paidOnly.orders.map((o) => o.id)).toEqual([paidId]);
    // The rival's sale is not in this brand's list, and the rival cannot read this one.
    expect(all.orders.every((o) => o.brand.id === brandId)).toBe(true);
    for (const who of [rival, buyer]) {
      expect((await refusal(who.api.brands.orders({ brandId }))).code).toBe('FORBIDDEN');
    }
    expect((await refusal(owner.api.brands.orders({ brandId: randomUUID() }))).code).toBe(
      'NOT_FOUND',
    );
  });
});
