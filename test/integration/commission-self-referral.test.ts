import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { orders } from '../../server/db/schema';
import { ownChannelOnce } from '../fixtures/channels';
import { makeProduct, newClientId, useShopWithBrand } from '../fixtures/commerce';
import { signUp } from '../fixtures/deps';

// A creator buying, from their own clip, a product they tagged there earns nothing on it: a
// commission on one's own purchase is a discount the brand never offered.
describe('a creator buying from their own clip', () => {
  const world = useShopWithBrand('pglite', { owner: 'srown', buyer: 'srbuy', brand: 'SR' });

  it('earns no commission on their own purchase', async () => {
    const { shop, owner, buyer, brandId } = world;
    const clip = `https://www.tiktok.com/@srcreator${process.pid}/video/7300000000000000001`;
    await ownChannelOnce(shop.deps, buyer, clip);
    const product = await makeProduct(owner, brandId, { priceCents: 10_000, affiliateBps: 2000 });
    await buyer.api.shop.tag({ url: clip, productId: product.id });
    const { accountId } = await buyer.api.creators.connect();
    await shop.fake.completeOnboarding(accountId);
    const { orderId } = await buyer.api.checkout.create({
      items: [{ productId: product.id, quantity: 1 }],
      clientId: newClientId(),
      source: { url: clip },
    });
    const [order] = await shop.database.db.select().from(orders).where(eq(orders.id, orderId));
    expect(order!.creatorId).toBeNull();
    expect(order!.creatorCents).toBe(0);

    // Anyone else buying the same way pays the creator their commission.
    const fan = await signUp(shop.deps, 'srfan');
    const bought = await fan.api.checkout.create({
      items: [{ productId: product.id, quantity: 1 }],
      clientId: newClientId(),
      source: { url: clip },
    });
    const [fans] = await shop.database.db
      .select()
      .from(orders)
      .where(eq(orders.id, bought.orderId));
    expect(fans!.creatorId).toBe(buyer.id);
    expect(fans!.creatorCents).toBe(2000);
  });
});
