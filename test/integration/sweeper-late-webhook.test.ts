import { describe, expect, it } from 'vitest';
import { sweepStaleOrders } from '../../server/payments/sweeper';
import {
  makeProduct,
  newClientId,
  orderStatus,
  stockOf,
  useShopWithBrand,
} from '../fixtures/commerce';
import { engines } from '../fixtures/db';

/**
 * The buyer paid in time, but Stripe's `checkout.session.completed` is late (Stripe retries
 * webhooks for days). The sweeper must not give the paid unit back to sale: it asks Stripe
 * about the session before it gives an order up, so the last unit is never sold twice.
 */
describe.each(engines)('sweeper and a late payment webhook (%s)', (engine) => {
  const world = useShopWithBrand(engine, {
    owner: 'slowner',
    buyer: 'slbuyer',
    brand: 'Late Hook Co',
  });

  it('a paid session whose webhook is late is not swept and its unit is not resold', async () => {
    const { shop, owner, buyer, brandId } = world;
    const product = await makeProduct(owner, brandId, { title: 'Only vase', stock: 1 });
    const { orderId } = await buyer.api.checkout.create({
      items: [{ productId: product.id, quantity: 1 }],
      clientId: newClientId(),
    });
    const session = shop.fake.sessionForOrder(orderId)!;
    // Paid at Stripe; the webhook does not arrive (yet).
    const events = await shop.fake.pay(session.id as string, { deliver: false });
    expect(await stockOf(shop, product.id)).toBe(0);

    // Hours later the sweeper runs, still without the webhook.
    const later = new Date(Date.now() + 3 * 60 * 60 * 1000);
    const swept = await sweepStaleOrders(shop.database.db, {
      now: later,
      payments: shop.deps.payments,
    });
    expect(swept.orderIds).not.toContain(orderId);
    expect(await orderStatus(shop, orderId)).not.toBe('expired');
    expect(await stockOf(shop, product.id)).toBe(0);

    // Nobody else can buy the vase the buyer paid for.
    await expect(
      buyer.api.checkout.create({
        items: [{ productId: product.id, quantity: 1 }],
        clientId: newClientId(),
      }),
    ).rejects.toThrow(/out of stock|sold out/);

    // The late webhook settles it, once.
    for (const event of events) await shop.fake.deliver(event);
    expect(await orderStatus(shop, orderId)).toBe('paid');
    expect(await stockOf(shop, product.id)).toBe(0);
  });

  it('an unpaid session is still swept and its unit goes back once', async () => {
    const { shop, owner, buyer, brandId } = world;
    const product = await makeProduct(owner, brandId, { title: 'Spare vase', stock: 1 });
    const { orderId } = await buyer.api.checkout.create({
      items: [{ productId: product.id, quantity: 1 }],
      clientId: newClientId(),
    });
    const later = new Date(Date.now() + 3 * 60 * 60 * 1000);
    await shop.fake.expireDue(Math.floor(later.getTime() / 1000), { deliver: false });
    const first = await sweepStaleOrders(shop.database.db, {
      now: later,
      payments: shop.deps.payments,
    });
    expect(first.orderIds).toContain(orderId);
    const again = await sweepStaleOrders(shop.database.db, {
      now: later,
      payments: shop.deps.payments,
    });
    expect(again.orderIds).not.toContain(orderId);
    expect(await orderStatus(shop, orderId)).toBe('expired');
    expect(await stockOf(shop, product.id)).toBe(1);
  });
});
