import { describe, expect, it } from 'vitest';
import {
  makeProduct,
  newClientId,
  orderStatus,
  stockOf,
  useShopWithBrand,
} from '../fixtures/commerce';
import { engines } from '../fixtures/db';

/**
 * A checkout whose first try reached no Stripe session keeps its stock hold for a retry with the
 * same clientId. The retry must hold exactly what it sells: a retry asking for other products or
 * other quantities must not ride on the first try's hold and sell stock nobody held.
 */
describe.each(engines)('checkout retry and its stock hold (%s)', (engine) => {
  const world = useShopWithBrand(engine, {
    owner: 'rhowner',
    buyer: 'rhbuyer',
    brand: 'Retry Hold Co',
  });

  it('a retry with other products does not sell the last unit twice', async () => {
    const { shop, owner, buyer, brandId } = world;
    const cheap = await makeProduct(owner, brandId, { title: 'Cheap sticker', stock: 10 });
    const scarce = await makeProduct(owner, brandId, { title: 'Last lamp', stock: 1 });
    const clientId = newClientId();

    shop.fake.down = true;
    await expect(
      buyer.api.checkout.create({ items: [{ productId: cheap.id, quantity: 1 }], clientId }),
    ).rejects.toThrow();
    shop.fake.down = false;
    expect(await stockOf(shop, cheap.id)).toBe(9);

    // Same clientId, other product: either refused, or it holds the lamp itself.
    const retry = await buyer.api.checkout
      .create({ items: [{ productId: scarce.id, quantity: 1 }], clientId })
      .then(
        (r) => r,
        () => null,
      );

    // Somebody else buys the last lamp.
    const other = await buyer.api.checkout
      .create({ items: [{ productId: scarce.id, quantity: 1 }], clientId: newClientId() })
      .then(
        (r) => r,
        () => null,
      );
    const accepted = [retry, other].filter((r) => r !== null);
    expect(accepted).toHaveLength(1);

    for (const order of accepted) {
      const session = shop.fake.sessionForOrder(order.orderId)!;
      await shop.fake.pay(session.id as string);
      expect(await orderStatus(shop, order.orderId)).toBe('paid');
    }
    expect(await stockOf(shop, scarce.id)).toBe(0);
  });

  it('a retry asking for more of the same product holds all of them', async () => {
    const { shop, owner, buyer, brandId } = world;
    const product = await makeProduct(owner, brandId, { title: 'Few mugs', stock: 4 });
    const clientId = newClientId();

    shop.fake.down = true;
    await expect(
      buyer.api.checkout.create({ items: [{ productId: product.id, quantity: 1 }], clientId }),
    ).rejects.toThrow();
    shop.fake.down = false;

    const retry = await buyer.api.checkout
      .create({ items: [{ productId: product.id, quantity: 3 }], clientId })
      .then(
        (r) => r,
        () => null,
      );
    if (retry) {
      // It sells 3: all 3 must be held (of 4), so only one is left for anyone else.
      expect(await stockOf(shop, product.id)).toBe(1);
    } else {
      // Refused: only the first try's one unit is held.
      expect(await stockOf(shop, product.id)).toBe(3);
    }
  });
});
