import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProfiles, startFakeProfiles } from '../fakes/profiles';
import { ownChannel } from '../fixtures/channels';
import { makeBrand, makeProduct, newClientId, openShop, type Shop } from '../fixtures/commerce';
import { engines } from '../fixtures/db';
import { callerFor, signUp, type TestUser } from '../fixtures/deps';

let clipCounter = 0;
/** A fresh TikTok clip on `handle`'s channel (the link names the channel). */
const tiktokClip = (handle: string) =>
  `https://www.tiktok.com/@${handle}/video/${7_500_000_000_000_000_000n + BigInt(++clipCounter)}`;

describe.each(engines)('creator commission on %s', (engine) => {
  let shop: Shop;
  let profiles: FakeProfiles;
  let brandOwner: TestUser;
  let brandId: string;
  let brandAccount: string;
  let creator: TestUser;
  let creatorHandle: string;
  let creatorAccount: string;
  let buyer: TestUser;
  let n = 0;
  const handle = (prefix: string) => `${prefix}_${process.pid}_${++n}`.slice(0, 30);

  async function delivered(events: { id: string }[]) {
    for (const e of events) {
      const d = shop.fake.deliveries.find((x) => x.event.id === e.id);
      expect(d?.status, d?.body).toBe(200);
    }
  }

  async function orderColumns(orderId: string) {
    const result = await shop.database.db.execute<Record<string, unknown>>(
      sql`select creator_id, creator_cents, creator_account_id, stripe_charge_id,
                 brand_transfer_id, creator_transfer_id, brand_reversed_cents,
                 creator_reversed_cents, fee_cents, total_cents, status
          from orders where id = ${orderId}`,
    );
    return result.rows[0]!;
  }

  /** A creator with a verified channel, onboarded (or not) to Stripe for payouts. */
  async function newCreator(prefix: string, connect: boolean) {
    const user = await signUp(shop.deps, prefix);
    const channel = handle(prefix);
    await ownChannel(profiles, user, `https://www.tiktok.com/@${channel}`);
    let accountId: string | null = null;
    if (connect) {
      const link = await user.api.creators.connect();
      expect(link.url).toContain('/onboarding/');
      accountId = link.accountId;
      await delivered(await shop.fake.completeOnboarding(accountId));
    }
    return { user, channel, accountId };
  }

  /** The buyer starts a checkout from `clip` for `quantity` of the product. */
  async function buyFromClip(productId: string, clip: string | undefined, quantity = 1) {
    const { orderId } = await buyer.api.checkout.create({
      items: [{ productId, quantity }],
      ...(clip ? { source: { url: clip } } : {}),
      clientId: newClientId(),
    });
    const session = shop.fake.sessionForOrder(orderId)!;
    return { orderId, sessionId: session.id as string };
  }

  const sessionCreate = (orderId: string) =>
    shop.fake
      .calls('POST', '/v1/checkout/sessions')
      .find((r) => (r.params.metadata as Record<string, string>)?.order_id === orderId)!;

  beforeAll(async () => {
    shop = await openShop(engine);
    profiles = await startFakeProfiles();
    profiles.use(shop.deps);
    brandOwner = await signUp(shop.deps, 'brand');
    brandId = (await makeBrand(shop, brandOwner, { name: 'Commission Goods' })).id;
    brandAccount = (await brandOwner.api.brands.mine()).find((b) => b.id === brandId)!.stripe
      .accountId as string;
    const made = await newCreator('creator', true);
    creator = made.user;
    creatorHandle = made.channel;
    creatorAccount = made.accountId!;
    buyer = await signUp(shop.deps, 'buyer');
  });
  afterAll(async () => {
    await shop?.close();
    await profiles?.close();
  });

  it('a purchase from the creator’s own tagged clip pays the brand and the creator by two transfers', async () => {
    // 10% commission on a 25.00 product; the platform fee is 5%.
    const product = await makeProduct(brandOwner, brandId, {
      priceCents: 2500,
      affiliateBps: 1000,
    });
    const clip = tiktokClip(creatorHandle);
    expect((await creator.api.shop.tag({ url: clip, productId: product.id })).shown).toBe(true);

    const { orderId, sessionId } = await buyFromClip(product.id, clip, 2);
    // A separate charge: no destination, no application fee, the order's transfer group.
    const pid = sessionCreate(orderId).params.payment_intent_data as Record<string, unknown>;
    expect(pid.transfer_data).toBeUndefined();
    expect(pid.application_fee_amount).toBeUndefined();
    expect(pid.transfer_group).toBe(`order:${orderId}`);
    expect(await orderColumns(orderId)).toMatchObject({
      creator_id: creator.id,
      creator_cents: 500,
      creator_account_id: creatorAccount,
      fee_cents: 250,
      total_cents: 5000,
    });

    await delivered(await shop.fake.pay(sessionId));
    const charge = [...shop.fake.charges.values()].find(
      (c) => (c.metadata as Record<string, string>).order_id === orderId,
    )!;
    const transfers = shop.fake.transfersInGroup(`order:${orderId}`);
    expect(transfers.map((t) => [t.destination, t.amount, t.source_transaction]).sort()).toEqual(
      [
        [brandAccount, 5000 - 250 - 500, charge.id],
        [creatorAccount, 500, charge.id],
      ].sort(),
    );
    const row = await orderColumns(orderId);
    expect(row.status).toBe('paid');
    expect(row.stripe_charge_id).toBe(charge.id);
    expect(new Set([row.brand_transfer_id, row.creator_transfer_id])).toEqual(
      new Set(transfers.map((t) => t.id)),
    );
    // Each transfer carries an idempotency key derived from the order.
    const keys = shop.fake
      .calls('POST', '/v1/transfers')
      .filter((r) => (r.params.metadata as Record<string, string>)?.order_id === orderId)
      .map((r) => r.idempotencyKey);
    expect(new Set(keys)).toEqual(
      new Set([`kith-order-${orderId}-transfer-brand`, `kith-order-${orderId}-transfer-creator`]),
    );

    // The buyer and the brand see who earned what.
    const split = { totalCents: 5000, platformFeeCents: 250, creatorCents: 500, brandCents: 4250 };
    const asBuyer = await buyer.api.orders.get({ orderId });
    expect(asBuyer.creator).toEqual({ id: creator.id, handle: creator.handle });
    expect(asBuyer.split).toEqual(split);
    const asBrand = (await brandOwner.api.brands.orders({ brandId })).orders.find(
      (o) => o.id === orderId,
    )!;
    expect(asBrand.creator).toEqual({ id: creator.id, handle: creator.handle });
    expect(asBrand.split).toEqual(split);
    expect(asBrand.netCents).toBe(4250);

    // The creator sees the commission among their earnings; the buyer has none.
    const earnings = await creator.api.creators.earnings();
    expect(earnings.account).toEqual({ connected: true, payoutsEnabled: true });
    expect(earnings.orders.find((o) => o.orderId === orderId)).toMatchObject({
      brand: 'Commission Goods',
      status: 'paid',
      commissionCents: 500,
      reversedCents: 0,
      transferred: true,
    });
    expect((await buyer.api.creators.earnings()).orders).toEqual([]);
    // The creator's data export carries their commissions too.
    const exported = await creator.api.account.export();
    expect(exported.earnings.orders.map((o) => o.orderId)).toContain(orderId);
  });

  it('duplicated and retried webhooks still move the money once', async () => {
    const product = await makeProduct(brandOwner, brandId, { priceCents: 3000, affiliateBps: 500 });
    const clip = tiktokClip(creatorHandle);
    await creator.api.shop.tag({ url: clip, productId: product.id });
    const { orderId, sessionId } = await buyFromClip(product.id, clip);

    // Stripe is down when the payment's event arrives: the order is paid, the transfers fail,
    // and the webhook answers 500 so Stripe delivers again.
    const events = await shop.fake.pay(sessionId, { deliver: false });
    const completed = events.find((e) => e.type === 'checkout.session.completed')!;
    shop.fake.down = true;
    const failed = await shop.fake.deliver(completed);
    shop.fake.down = false;
    expect(failed.status).toBe(500);
    expect(shop.fake.transfersInGroup(`order:${orderId}`)).toHaveLength(0);
    expect((await orderColumns(orderId)).status).toBe('paid');

    // Redelivered (a duplicate event id now), twice at once, then once more.
    const again = await Promise.all([shop.fake.deliver(completed), shop.fake.deliver(completed)]);
    expect(again.map((d) => d.status)).toEqual([200, 200]);
    expect((await shop.fake.deliver(completed)).status).toBe(200);
    const transfers = shop.fake.transfersInGroup(`order:${orderId}`);
    expect(transfers.map((t) => t.amount).sort((a, b) => Number(a) - Number(b))).toEqual([
      150,
      3000 - 150 - 150,
    ]);
  });

  it('refunds reverse both transfers in proportion, once', async () => {
    const product = await makeProduct(brandOwner, brandId, {
      priceCents: 2500,
      affiliateBps: 1000,
    });
    const clip = tiktokClip(creatorHandle);
    await creator.api.shop.tag({ url: clip, productId: product.id });
    const { orderId, sessionId } = await buyFromClip(product.id, clip);
    await delivered(await shop.fake.pay(sessionId));
    const group = `order:${orderId}`;
    const byShare = () => {
      const transfers = shop.fake.transfersInGroup(group);
      const of = (share: string) =>
        transfers.find((t) => (t.metadata as Record<string, string>).share === share)!;
      return { brand: of('brand'), creator: of('creator') };
    };
    expect(byShare().brand.amount).toBe(2125);
    expect(byShare().creator.amount).toBe(250);

    // 10.00 of 25.00 back: 40% of each transfer.
    const partial = await shop.fake.refund(sessionId, { amount: 1000 });
    await delivered(partial);
    expect(byShare().brand.amount_reversed).toBe(850);
    expect(byShare().creator.amount_reversed).toBe(100);
    // The same refund event again changes nothing.
    for (const e of partial) expect((await shop.fake.deliver(e)).status).toBe(200);
    expect(byShare().brand.amount_reversed).toBe(850);
    expect(byShare().creator.amount_reversed).toBe(100);
    expect(await orderColumns(orderId)).toMatchObject({
      status: 'paid',
      brand_reversed_cents: 850,
      creator_reversed_cents: 100,
    });

    // The rest back: both transfers reversed whole.
    await delivered(await shop.fake.refund(sessionId));
    expect(byShare().brand.amount_reversed).toBe(2125);
    expect(byShare().creator.amount_reversed).toBe(250);
    expect((await orderColumns(orderId)).status).toBe('refunded');
    const earned = (await creator.api.creators.earnings()).orders.find(
      (o) => o.orderId === orderId,
    );
    expect(earned).toMatchObject({ status: 'refunded', reversedCents: 250 });
  });

  it('a purchase not from a creator’s clip stays a destination charge with no transfers', async () => {
    const product = await makeProduct(brandOwner, brandId, {
      priceCents: 2000,
      affiliateBps: 1000,
    });
    const clip = tiktokClip(creatorHandle);
    await creator.api.shop.tag({ url: clip, productId: product.id });
    // From a widget (no clip), and from another clip of the same channel where it is not tagged.
    for (const source of [undefined, tiktokClip(creatorHandle)]) {
      const { orderId, sessionId } = await buyFromClip(product.id, source);
      const pid = sessionCreate(orderId).params.payment_intent_data as Record<string, unknown>;
      expect(pid.transfer_data).toEqual({ destination: brandAccount });
      expect(pid.application_fee_amount).toBe('100');
      expect(pid.transfer_group).toBeUndefined();
      await delivered(await shop.fake.pay(sessionId));
      expect(shop.fake.transfersInGroup(`order:${orderId}`)).toEqual([]);
      const view = await buyer.api.orders.get({ orderId });
      expect(view.creator).toBeNull();
      expect(view.split).toEqual({
        totalCents: 2000,
        platformFeeCents: 100,
        creatorCents: 0,
        brandCents: 1900,
      });
    }
  });

  it('no commission for a product without affiliates, a brand’s own tag, or a creator without payouts', async () => {
    const noAffiliates = await makeProduct(brandOwner, brandId, { affiliateBps: 0 });
    const paying = await makeProduct(brandOwner, brandId, { affiliateBps: 2000 });

    // The brand's own verified channel, tagged by the brand.
    const brandChannel = handle('brandchan');
    await ownChannel(profiles, brandOwner, `https://www.tiktok.com/@${brandChannel}`, brandId);
    const brandClip = tiktokClip(brandChannel);
    expect(
      (await brandOwner.api.shop.tag({ brandId, url: brandClip, productId: paying.id })).shown,
    ).toBe(true);

    // A creator with a verified channel and a tag, but no Connect account; and one whose
    // onboarding is not finished.
    const unpaid = await newCreator('nopay', false);
    const unpaidClip = tiktokClip(unpaid.channel);
    await unpaid.user.api.shop.tag({ url: unpaidClip, productId: paying.id });
    const pending = await newCreator('pending', false);
    await pending.user.api.creators.connect();
    const pendingClip = tiktokClip(pending.channel);
    await pending.user.api.shop.tag({ url: pendingClip, productId: paying.id });

    // A creator's tag of a product that pays no affiliates is refused (nothing to attribute).
    const ownClip = tiktokClip(creatorHandle);
    await expect(
      creator.api.shop.tag({ url: ownClip, productId: noAffiliates.id }),
    ).rejects.toThrow();

    for (const clip of [brandClip, unpaidClip, pendingClip]) {
      const { orderId } = await buyFromClip(paying.id, clip);
      const row = await orderColumns(orderId);
      expect(row).toMatchObject({ creator_id: null, creator_cents: 0, creator_account_id: null });
      const pid = sessionCreate(orderId).params.payment_intent_data as Record<string, unknown>;
      expect(pid.transfer_data).toEqual({ destination: brandAccount });
    }
  });

  it('creators.connect makes one account per person and refuses strangers', async () => {
    const first = await creator.api.creators.connect();
    const second = await creator.api.creators.connect();
    expect(second.accountId).toBe(first.accountId);
    expect(first.accountId).toBe(creatorAccount);
    const anonymous = await callerFor(shop.deps, null);
    await expect(anonymous.creators.connect()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(anonymous.creators.earnings()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    // Stripe's return page says whether payouts work, asking Stripe at most once a minute.
    const back = await fetch(`${shop.server.url}/connect/return?creator=${creator.id}`);
    expect(back.status).toBe(200);
    expect(await back.text()).toContain('You can earn commissions');
    const waiting = await signUp(shop.deps, 'waiting');
    const { accountId } = await waiting.api.creators.connect();
    const asked = () => shop.fake.calls('GET', `/v1/accounts/${accountId}`).length;
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${shop.server.url}/connect/return?creator=${waiting.id}`);
      expect(await res.text()).toContain('Almost there');
    }
    expect(asked()).toBe(1);
    const unknown = await fetch(`${shop.server.url}/connect/return?creator=${randomUUID()}`);
    expect(unknown.status).toBe(404);
    // Another person's earnings never show another's orders.
    const other = await signUp(shop.deps, 'other');
    expect((await other.api.creators.earnings()).orders).toEqual([]);
  });
});
