import { describe, expect, it } from 'vitest';
import {
  countRows,
  makeBrand,
  makeProduct,
  newClientId,
  openShop,
  stockOf,
} from '../fixtures/commerce';
import { engines } from '../fixtures/db';
import { signUp } from '../fixtures/deps';

/**
 * A checkout's returnUrl is a link on Kith's own pages ("Back to the brand"). One that carries
 * a user name or password (`https://evil.example@shop.example/`) is on the brand's origin but
 * reads as another site's address, the classic disguise of a phishing link: it is refused like
 * any other address off the brand's sites, and nothing is held or stored.
 */
describe.each(engines)('checkout returnUrl with credentials (%s)', (engine) => {
  it('refuses user info in returnUrl and keeps the stock', async () => {
    const shop = await openShop(engine);
    try {
      const owner = await signUp(shop.deps, 'ruowner');
      const buyer = await signUp(shop.deps, 'rubuyer');
      const brand = await makeBrand(shop, owner, { allowedOrigins: ['https://shop.example'] });
      const product = await makeProduct(owner, brand.id, { stock: 2 });
      const orders = await countRows(shop, 'orders');

      for (const returnUrl of [
        'https://evil.example@shop.example/',
        'https://www.evil.example:x@shop.example/cart',
        'https://:secret@shop.example/',
      ]) {
        await expect(
          buyer.api.checkout.create({
            items: [{ productId: product.id, quantity: 1 }],
            clientId: newClientId(),
            returnUrl,
          }),
        ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
      }
      expect(await stockOf(shop, product.id)).toBe(2);
      expect(await countRows(shop, 'orders')).toBe(orders);

      // The brand's own page is still fine.
      const ok = await buyer.api.checkout.create({
        items: [{ productId: product.id, quantity: 1 }],
        clientId: newClientId(),
        returnUrl: 'https://shop.example/cart?x=1',
      });
      expect(ok.status).toBe('pending');
    } finally {
      await shop.close();
    }
  });
});
