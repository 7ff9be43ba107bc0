import { describe, expect, it } from 'vitest';
import {
  makeProduct,
  newClientId,
  orderStatus,
  returnPage,
  useShopWithBrand,
} from '../fixtures/commerce';
import { engines } from '../fixtures/db';

/**
 * The buyer comes back to the success page before Stripe's webhook (or the webhook is lost):
 * the page records the payment from Stripe. It must record what the brand needs to ship too,
 * the email and the shipping address the session collected, not only "paid".
 */
describe.each(engines)('success page records the buyer details (%s)', (engine) => {
  const world = useShopWithBrand(engine, {
    owner: 'spowner',
    buyer: 'spbuyer',
    brand: 'Success Details Co',
  });

  it('an order settled by the success page carries email and address', async () => {
    const { shop, owner, buyer, brandId } = world;
    const product = await makeProduct(owner, brandId, { title: 'Rug', stock: 3 });
    const { orderId } = await buyer.api.checkout.create({
      items: [{ productId: product.id, quantity: 1 }],
      clientId: newClientId(),
    });
    const session = shop.fake.sessionForOrder(orderId)!;
    await shop.fake.pay(session.id as string, {
      deliver: false,
      email: 'rug.buyer@example.com',
      shipping: {
        name: 'Ada Rug',
        address: {
          line1: '5 Loom Lane',
          line2: null,
          city: 'Weaveton',
          state: null,
          postal_code: '99999',
          country: 'GB',
        },
      },
    });
    const res = await fetch(returnPage(shop, orderId, 'success'));
    expect(res.status).toBe(200);
    expect(await orderStatus(shop, orderId)).toBe('paid');

    const { orders } = await owner.api.brands.orders({ brandId });
    const order = orders.find((o) => o.id === orderId)!;
    expect(order.email).toBe('rug.buyer@example.com');
    expect(order.shipping?.name).toBe('Ada Rug');
    expect(order.shipping?.address.line1).toBe('5 Loom Lane');
    expect(order.shipping?.address.country).toBe('GB');
  });
});
