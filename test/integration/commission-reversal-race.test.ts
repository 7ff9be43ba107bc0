import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { orders } from '../../server/db/schema';
import { settleTransfers } from '../../server/payments/transfers';
import { placePendingOrder, useShopWithBrand } from '../fixtures/commerce';
import { engines } from '../fixtures/db';

// Two refund events for the same attributed order settled at the same time (two webhook
// deliveries, two instances): together they must reverse no more than the refunded share.
describe.each(engines)('commission reversals under concurrent refund events (%s)', (engine) => {
  const world = useShopWithBrand(engine, { owner: 'rrown', buyer: 'rrbuy', brand: 'RR' });

  it('reverses each transfer in proportion to the refund, never more', async () => {
    const { shop, brandId } = world;
    const { orderId, sessionId } = await placePendingOrder(world, { priceCents: 10_000 });
    await shop.fake.pay(sessionId);
    const [brand] = await shop.database.db.query.brands.findMany({
      where: (b, { eq }) => eq(b.id, brandId),
    });
    const accountId = brand!.stripeAccountId!;
    // Attribute the paid order to a creator (their account here is the brand's, which can
    // take transfers): 10% commission.
    await shop.database.db
      .update(orders)
      .set({ creatorId: world.buyer.id, creatorCents: 1000, creatorAccountId: accountId })
      .where(eq(orders.id, orderId));
    await settleTransfers(shop.deps, orderId);
    const [paid] = await shop.database.db.select().from(orders).where(eq(orders.id, orderId));
    expect(paid!.creatorTransferId).toBeTruthy();
    expect(paid!.brandTransferId).toBeTruthy();

    // First refund event: 30 of 100 refunded; its settling is under way when the second (60
    // refunded in all) arrives and settles too.
    shop.fake.delayMs = 300;
    await shop.database.db
      .update(orders)
      .set({ refundedCents: 3000 })
      .where(eq(orders.id, orderId));
    const first = settleTransfers(shop.deps, orderId);
    await new Promise((r) => setTimeout(r, 100));
    await shop.database.db
      .update(orders)
      .set({ refundedCents: 6000 })
      .where(eq(orders.id, orderId));
    const second = settleTransfers(shop.deps, orderId);
    await Promise.allSettled([first, second]);
    shop.fake.delayMs = 0;
    // A later delivery finishes anything left.
    await settleTransfers(shop.deps, orderId);

    const creator = shop.fake.transfers.get(paid!.creatorTransferId!)!;
    const brandTransfer = shop.fake.transfers.get(paid!.brandTransferId!)!;
    expect(creator.amount_reversed).toBe(600);
    expect(brandTransfer.amount_reversed).toBe(
      Math.floor(((brandTransfer.amount as number) * 6000) / 10_000),
    );
  });
});
