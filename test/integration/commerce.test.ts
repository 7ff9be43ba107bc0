import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProfiles, startFakeProfiles } from '../fakes/profiles';
import { ownChannel } from '../fixtures/channels';
import { makeBrand, makeProduct, newClientId, openShop, type Shop } from '../fixtures/commerce';
import { engines } from '../fixtures/db';
import { befriend, callerFor, signUp, type TestUser } from '../fixtures/deps';
import { decodeHtml } from '../fixtures/html';
import { dbSnapshot } from '../fixtures/snapshot';
import { refusal } from '../fixtures/state';
import { wireCall } from '../fixtures/wire';

const CLIP = 'https://www.youtube.com/shorts/dQw4w9WgXcQ';
/** The same clip as a share link: tags and lookups meet on the canonical URL. */
const CLIP_SHARE_LINK = 'https://youtu.be/dQw4w9WgXcQ?si=tracking';

/**
 * Makes CLIP a clip of the brand's own verified YouTube channel (its page names the channel),
 * so the brand's tags on it show to viewers.
 */
async function clipOnBrandChannel(shop: Shop, owner: TestUser, brandId: string) {
  const profiles = await startFakeProfiles();
  profiles.use(shop.deps);
  profiles.setClipOwner('youtube', '/shorts/dQw4w9WgXcQ', 'totes');
  await ownChannel(profiles, owner, 'https://www.youtube.com/@totes', brandId);
  return profiles;
}

describe.each(engines)('brands, products and clip tags on %s', (engine) => {
  let shop: Shop;
  let owner: TestUser;
  let rival: TestUser;
  let stranger: TestUser;
  let brandId: string;
  let rivalBrandId: string;
  let profiles: FakeProfiles;

  beforeAll(async () => {
    shop = await openShop(engine);
    owner = await signUp(shop.deps, 'owner');
    rival = await signUp(shop.deps, 'rival');
    stranger = await signUp(shop.deps, 'stranger');
    brandId = (await makeBrand(shop, owner, { name: 'Tote & Co' })).id;
    rivalBrandId = (await makeBrand(shop, rival, { name: 'Rival' })).id;
    profiles = await clipOnBrandChannel(shop, owner, brandId);
  });
  afterAll(async () => {
    await shop?.close();
    await profiles?.close();
  });

  describe('brands', () => {
    it('a user creates a brand they own; the slug is unique whatever its case', async () => {
      const brand = await stranger.api.brands.create({
        name: '  Bright Socks ',
        slug: 'Bright-Socks',
      });
      expect(brand).toMatchObject({
        name: 'Bright Socks',
        slug: 'bright-socks',
        ownerId: stranger.id,
        canSell: false,
        stripe: { connected: false, chargesEnabled: false },
      });
      expect((await stranger.api.brands.mine()).map((b) => b.id)).toContain(brand.id);
      expect((await owner.api.brands.mine()).map((b) => b.id)).not.toContain(brand.id);
      const taken = await refusal(owner.api.brands.create({ name: 'Copy', slug: 'BRIGHT-SOCKS' }));
      expect(taken.code).toBe('CONFLICT');
      expect(taken.message).toMatch(/taken/);
    });

    it.each([
      ['an empty name', { name: ' ', slug: 'fine-slug' }],
      ['a short slug', { name: 'X', slug: 'ab' }],
      ['spaces in the slug', { name: 'X', slug: 'has space' }],
      ['a leading hyphen', { name: 'X', slug: '-edge' }],
      ['a long name', { name: 'x'.repeat(81), slug: 'fine-slug' }],
    ])('refuses %s with BAD_REQUEST and creates nothing', async (_what, input) => {
      const before = await dbSnapshot(shop.database.db);
      const error = await refusal(owner.api.brands.create(input));
      expect(error.code).toBe('BAD_REQUEST');
      expect(await dbSnapshot(shop.database.db)).toEqual(before);
    });

    it('needs a signed-in user', async () => {
      const anon = await callerFor(shop.deps);
      expect((await refusal(anon.brands.create({ name: 'Anon', slug: 'anon-brand' }))).code).toBe(
        'UNAUTHORIZED',
      );
    });
  });

  describe('products', () => {
    it('the owner adds a product: integer minor units, an ISO currency, https image, stock', async () => {
      const product = await owner.api.products.create({
        brandId,
        title: 'Canvas tote',
        description: 'Heavy cotton',
        imageUrl: 'https://cdn.example.com/tote.jpg',
        priceCents: 2500,
        currency: 'eur',
        stock: 7,
      });
      expect(product).toMatchObject({
        brandId,
        brand: { id: brandId, name: 'Tote & Co', canSell: true },
        title: 'Canvas tote',
        priceCents: 2500,
        currency: 'EUR',
        stock: 7,
        active: true,
        inStock: true,
        canBuy: true,
      });
      expect(await stranger.api.products.get({ productId: product.id })).toEqual(product);
      const anon = await callerFor(shop.deps);
      expect(await anon.products.get({ productId: product.id })).toEqual(product);
    });

    it.each([
      ['a price of zero', { priceCents: 0 }],
      ['a negative price', { priceCents: -100 }],
      ['a fractional price', { priceCents: 19.99 }],
      ['a price as a string', { priceCents: '2500' }],
      ['a price beyond what Stripe takes', { priceCents: 100_000_000 }],
      ['an unknown currency', { currency: 'XYZ' }],
      ['a currency that is not a code', { currency: 'dollars' }],
      ['an http image', { imageUrl: 'http://cdn.example.com/tote.jpg' }],
      ['a javascript: image', { imageUrl: 'javascript:alert(1)' }],
      ['a data: image', { imageUrl: 'data:image/png;base64,AAAA' }],
      ['negative stock', { stock: -1 }],
      ['fractional stock', { stock: 1.5 }],
      ['an empty title', { title: '  ' }],
    ])('refuses %s with BAD_REQUEST and stores nothing', async (_what, change) => {
      const before = await dbSnapshot(shop.database.db);
      const input = { brandId, title: 'Valid', priceCents: 1000, currency: 'USD', ...change };
      // Over the wire, as a client sees it: a readable message naming the field.
      const result = await wireCall(shop.deps, 'products.create', input, owner.token);
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.error.data.code).toBe('BAD_REQUEST');
        expect(result.error.message).toMatch(/^Invalid input: /);
        expect(result.error.message).toContain(Object.keys(change)[0]!);
      }
      expect(await dbSnapshot(shop.database.db)).toEqual(before);
    });

    it('the owner updates price, stock and the active flag; others see only active products', async () => {
      const product = await makeProduct(owner, brandId, { title: 'Cap', priceCents: 1500 });
      const updated = await owner.api.products.update({
        productId: product.id,
        priceCents: 1800,
        stock: null,
        description: 'Wool',
      });
      expect(updated).toMatchObject({
        priceCents: 1800,
        stock: null,
        description: 'Wool',
        inStock: true,
      });
      const cleared = await owner.api.products.update({ productId: product.id, description: null });
      expect(cleared.description).toBeNull();
      await owner.api.products.update({ productId: product.id, active: false });

      const mine = await owner.api.products.list({ brandId });
      expect(mine.find((p) => p.id === product.id)).toMatchObject({ active: false, canBuy: false });
      const theirs = await stranger.api.products.list({ brandId });
      expect(theirs.map((p) => p.id)).not.toContain(product.id);
      expect(theirs.every((p) => p.active)).toBe(true);
      const anon = await callerFor(shop.deps);
      expect((await anon.products.list({ brandId })).map((p) => p.id)).not.toContain(product.id);
      expect((await refusal(stranger.api.products.get({ productId: product.id }))).code).toBe(
        'NOT_FOUND',
      );
      expect((await owner.api.products.get({ productId: product.id })).active).toBe(false);

      const empty = await refusal(owner.api.products.update({ productId: product.id }));
      expect(empty.code).toBe('BAD_REQUEST');
      expect(empty.message).toMatch(/Nothing to update/);
    });

    it('a product of an unknown brand or an unknown product is NOT_FOUND', async () => {
      expect((await refusal(makeProduct(owner, randomUUID()))).code).toBe('NOT_FOUND');
      expect(
        (await refusal(owner.api.products.update({ productId: randomUUID(), priceCents: 100 })))
          .code,
      ).toBe('NOT_FOUND');
      expect((await refusal(owner.api.products.get({ productId: randomUUID() }))).code).toBe(
        'NOT_FOUND',
      );
    });
  });

  describe('clip tags', () => {
    it('the owner tags a product to a clip with a time range; anyone finds it by any link to the clip', async () => {
      const scarf = await makeProduct(owner, brandId, { title: 'Scarf' });
      const hat = await makeProduct(owner, brandId, { title: 'Hat' });
      const tag = await owner.api.shop.tag({
        brandId,
        url: CLIP_SHARE_LINK,
        productId: scarf.id,
        fromSeconds: 3,
        toSeconds: 9.5,
      });
      expect(tag).toMatchObject({
        clip: { site: 'youtube', clipId: 'dQw4w9WgXcQ', url: CLIP },
        productId: scarf.id,
        fromSeconds: 3,
        toSeconds: 9.5,
      });
      await owner.api.shop.tag({ brandId, url: CLIP, productId: hat.id });

      const anon = await callerFor(shop.deps);
      const found = await anon.shop.forClip({ url: `${CLIP}?feature=share` });
      expect(found.clip.url).toBe(CLIP);
      const byId = new Map(found.products.map((p) => [p.id, p]));
      expect(byId.get(scarf.id)).toMatchObject({
        title: 'Scarf',
        priceCents: 2500,
        currency: 'USD',
        fromSeconds: 3,
        toSeconds: 9.5,
        brand: { id: brandId, name: 'Tote & Co' },
        canBuy: true,
      });
      expect(byId.get(hat.id)).toMatchObject({ fromSeconds: null, toSeconds: null });

      // Tagging again moves the range; it does not add a second tag.
      await owner.api.shop.tag({ brandId, url: CLIP, productId: scarf.id, fromSeconds: 1 });
      const moved = await anon.shop.forClip({ url: CLIP });
      expect(moved.products.filter((p) => p.id === scarf.id)).toEqual([
        expect.objectContaining({ fromSeconds: 1, toSeconds: null }),
      ]);

      // An inactive product disappears from the clip; untagging removes it.
      await owner.api.products.update({ productId: hat.id, active: false });
      expect((await anon.shop.forClip({ url: CLIP })).products.map((p) => p.id)).not.toContain(
        hat.id,
      );
      expect(await owner.api.shop.untag({ brandId, url: CLIP, productId: scarf.id })).toEqual({
        removed: true,
      });
      expect((await anon.shop.forClip({ url: CLIP })).products.map((p) => p.id)).not.toContain(
        scarf.id,
      );
      const tags = await owner.api.shop.tags({ brandId });
      expect(tags.map((t) => t.product.id)).toContain(hat.id);
    });

    it('a clip nobody tagged has no products; a link that is not a clip is refused', async () => {
      const anon = await callerFor(shop.deps);
      expect(
        await anon.shop.forClip({
          url: 'https://www.tiktok.com/@someone/video/7234567890123456789',
        }),
      ).toEqual({
        clip: expect.objectContaining({ site: 'tiktok' }),
        products: [],
      });
      expect((await refusal(anon.shop.forClip({ url: 'not a link' }))).code).toBe('BAD_REQUEST');
    });

    it('refuses a range that ends before it starts, and a product of another brand', async () => {
      const product = await makeProduct(owner, brandId);
      const before = await dbSnapshot(shop.database.db);
      const backwards = await refusal(
        owner.api.shop.tag({
          brandId,
          url: CLIP,
          productId: product.id,
          fromSeconds: 9,
          toSeconds: 3,
        }),
      );
      expect(backwards.code).toBe('BAD_REQUEST');
      expect(backwards.message).toMatch(/fromSeconds must be before toSeconds/);
      const rivalProduct = await makeProduct(rival, rivalBrandId);
      const snapshot = await dbSnapshot(shop.database.db);
      expect(snapshot.counts.clip_products).toBe(before.counts.clip_products);
      const foreign = await refusal(
        owner.api.shop.tag({ brandId, url: CLIP, productId: rivalProduct.id }),
      );
      expect(foreign.code).toBe('NOT_FOUND');
      expect(await dbSnapshot(shop.database.db)).toEqual(snapshot);
    });
  });

  describe('only the owner manages a brand', () => {
    let productId: string;
    beforeAll(async () => {
      productId = (await makeProduct(owner, brandId, { title: 'Guarded' })).id;
      await owner.api.shop.tag({ brandId, url: CLIP, productId });
    });

    /** Every brand-owner procedure, aimed at the owner's brand. */
    const attempts = (api: TestUser['api']): [string, () => Promise<unknown>][] => [
      [
        'products.create',
        () => api.products.create({ brandId, title: 'Mine now', priceCents: 1, currency: 'USD' }),
      ],
      ['products.update price', () => api.products.update({ productId, priceCents: 1 })],
      ['products.update active', () => api.products.update({ productId, active: false })],
      [
        'shop.tag',
        () => api.shop.tag({ brandId, url: CLIP_SHARE_LINK, productId, fromSeconds: 0 }),
      ],
      ['shop.untag', () => api.shop.untag({ brandId, url: CLIP, productId })],
      ['shop.tags', () => api.shop.tags({ brandId })],
      ['brands.connect', () => api.brands.connect({ brandId })],
      ['brands.orders', () => api.brands.orders({ brandId })],
      ['brands.threads', () => api.brands.threads({ brandId })],
    ];

    it.each([
      ['another brand’s owner', () => rival],
      ['a signed-in stranger', () => stranger],
    ])('%s is refused everywhere with FORBIDDEN and nothing changes', async (_who, pick) => {
      const caller = pick();
      const before = await dbSnapshot(shop.database.db);
      const stripeCalls = shop.fake.requests.length;
      for (const [what, call] of attempts(caller.api)) {
        const error = await refusal(call());
        expect(error.code, `${what}: ${error.message}`).toBe('FORBIDDEN');
        expect(await dbSnapshot(shop.database.db), what).toEqual(before);
      }
      expect(shop.fake.requests.length).toBe(stripeCalls);
      // The rival cannot tag the owner's product into their own brand either.
      const crossBrand = await refusal(
        rival.api.shop.tag({ brandId: rivalBrandId, url: CLIP, productId }),
      );
      expect(crossBrand.code).toBe('NOT_FOUND');
    });

    it('without a token every one of them is UNAUTHORIZED', async () => {
      const before = await dbSnapshot(shop.database.db);
      for (const token of [null, 'not-a-token']) {
        const anon = await callerFor(shop.deps, token);
        for (const [what, call] of attempts(anon)) {
          expect((await refusal(call())).code, what).toBe('UNAUTHORIZED');
        }
      }
      expect(await dbSnapshot(shop.database.db)).toEqual(before);
    });
  });

  describe('product messages and brand DMs', () => {
    let ana: TestUser;
    let ben: TestUser;
    let groupId: string;
    let productId: string;
    beforeAll(async () => {
      ana = await signUp(shop.deps, 'ana');
      ben = await signUp(shop.deps, 'ben');
      await befriend(ana, ben);
      groupId = (await ana.api.groups.create({ name: 'Shoppers', memberIds: [ben.id] })).id;
      productId = (await makeProduct(owner, brandId, { title: 'Shared tote' })).id;
    });

    it('a member shares a product into a group: a product message, with or without a note', async () => {
      const message = await ana.api.messages.send({ groupId, clientId: newClientId(), productId });
      expect(message).toMatchObject({ kind: 'product', productId, body: null, groupId });
      const noted = await ana.api.messages.send({
        groupId,
        clientId: newClientId(),
        productId,
        body: 'this one?',
        clip: { url: CLIP },
        atSeconds: 4,
      });
      expect(noted).toMatchObject({
        kind: 'product',
        productId,
        body: 'this one?',
        clip: { url: CLIP },
      });
      const page = await ben.api.messages.list({ groupId });
      expect(page.messages.filter((m) => m.kind === 'product').map((m) => m.productId)).toEqual([
        productId,
        productId,
      ]);
    });

    it('a product that does not exist or is not on sale cannot be shared', async () => {
      const inactive = await makeProduct(owner, brandId, { active: false });
      const before = await dbSnapshot(shop.database.db);
      for (const id of [randomUUID(), inactive.id]) {
        const error = await refusal(
          ana.api.messages.send({ groupId, clientId: newClientId(), productId: id }),
        );
        expect(error.code).toBe('NOT_FOUND');
        expect(error.message).toMatch(/product/);
      }
      expect(await dbSnapshot(shop.database.db)).toEqual(before);
      // An outsider sharing a real product into the group learns nothing about the group.
      const outsider = await refusal(
        stranger.api.messages.send({ groupId, clientId: newClientId(), productId }),
      );
      expect(outsider.code).toBe('NOT_FOUND');
      expect(outsider.message).toMatch(/group/);
    });

    it('a customer asks the brand: one brand thread per customer, shared with the owner', async () => {
      const clientId = newClientId();
      const asked = await ana.api.brands.ask({
        brandId,
        clientId,
        body: 'Does the tote fit a laptop?',
        productId,
      });
      expect(asked.group).toMatchObject({ kind: 'brand', name: 'Tote & Co' });
      expect(asked.group.members.map((m) => m.id).sort()).toEqual([ana.id, owner.id].sort());
      expect(asked.message).toMatchObject({
        kind: 'product',
        productId,
        body: 'Does the tote fit a laptop?',
      });

      // The same clientId again is the same message; a new question lands in the same thread.
      const retry = await ana.api.brands.ask({
        brandId,
        clientId,
        body: 'Does the tote fit a laptop?',
        productId,
      });
      expect(retry.message?.id).toBe(asked.message?.id);
      const again = await ana.api.brands.ask({
        brandId,
        clientId: newClientId(),
        body: 'And a 16" one?',
      });
      expect(again.group.id).toBe(asked.group.id);
      const opened = await ana.api.brands.ask({ brandId });
      expect(opened).toMatchObject({ group: { id: asked.group.id }, message: null });

      // The owner sees the thread in the console and answers in it.
      const threads = await owner.api.brands.threads({ brandId });
      expect(threads).toContainEqual(
        expect.objectContaining({
          groupId: asked.group.id,
          customer: expect.objectContaining({ id: ana.id }),
          unread: 2,
          lastMessage: expect.objectContaining({ body: 'And a 16" one?' }),
        }),
      );
      await owner.api.messages.send({
        groupId: asked.group.id,
        clientId: newClientId(),
        body: 'Yes, up to 16".',
      });
      const seen = await ana.api.messages.list({ groupId: asked.group.id });
      expect(seen.messages.map((m) => m.body)).toEqual([
        'Does the tote fit a laptop?',
        'And a 16" one?',
        'Yes, up to 16".',
      ]);
      expect((await owner.api.groups.list()).map((g) => g.id)).toContain(asked.group.id);

      // Another customer gets a thread of their own; strangers cannot read Ana's.
      const bens = await ben.api.brands.ask({ brandId, clientId: newClientId(), body: 'Hi' });
      expect(bens.group.id).not.toBe(asked.group.id);
      expect((await refusal(stranger.api.messages.list({ groupId: asked.group.id }))).code).toBe(
        'NOT_FOUND',
      );
      // A brand thread is not a group: nobody can be added or leave.
      expect(
        (await refusal(ana.api.groups.addMembers({ groupId: asked.group.id, userIds: [ben.id] })))
          .code,
      ).toBe('BAD_REQUEST');
    });

    it('refuses asking one’s own brand, a product of another brand, and a question without clientId', async () => {
      const before = await dbSnapshot(shop.database.db);
      expect(
        (await refusal(owner.api.brands.ask({ brandId, clientId: newClientId(), body: 'me?' })))
          .code,
      ).toBe('BAD_REQUEST');
      const rivalProduct = await makeProduct(rival, rivalBrandId);
      const afterProduct = await dbSnapshot(shop.database.db);
      expect(afterProduct.counts.groups).toBe(before.counts.groups);
      expect(
        (
          await refusal(
            ben.api.brands.ask({ brandId, clientId: newClientId(), productId: rivalProduct.id }),
          )
        ).code,
      ).toBe('NOT_FOUND');
      expect((await refusal(stranger.api.brands.ask({ brandId, body: 'no id' }))).code).toBe(
        'BAD_REQUEST',
      );
      expect((await refusal(stranger.api.brands.ask({ brandId: randomUUID() }))).code).toBe(
        'NOT_FOUND',
      );
      expect(await dbSnapshot(shop.database.db)).toEqual(afterProduct);
    });
  });

  describe('Stripe Connect', () => {
    it('connect creates one Express account per brand and returns a fresh onboarding link each time', async () => {
      const boss = await signUp(shop.deps, 'boss');
      const brand = await makeBrand(shop, boss, { selling: false });
      const first = await boss.api.brands.connect({ brandId: brand.id });
      const second = await boss.api.brands.connect({ brandId: brand.id });
      expect(second.accountId).toBe(first.accountId);
      expect(first.url).toMatch(new RegExp(`^${shop.fake.url}/onboarding/${first.accountId}`));
      expect(first.chargesEnabled).toBe(false);
      const creates = shop.fake
        .calls('POST', '/v1/accounts')
        .filter((r) => (r.params.metadata as Record<string, string>)?.brand_id === brand.id);
      expect(creates).toHaveLength(1);
      expect(creates[0]).toMatchObject({
        idempotencyKey: `kith-brand-${brand.id}-account`,
        params: {
          controller: { stripe_dashboard: { type: 'express' } },
          capabilities: { card_payments: { requested: 'true' }, transfers: { requested: 'true' } },
        },
      });
      const links = shop.fake
        .calls('POST', '/v1/account_links')
        .filter((r) => r.params.account === first.accountId);
      expect(links).toHaveLength(2);
      expect(links[0]!.params).toMatchObject({
        type: 'account_onboarding',
        return_url: `${shop.server.url}/connect/return?brand=${brand.id}`,
        refresh_url: `${shop.server.url}/connect/refresh?brand=${brand.id}`,
      });
      expect(new Set(links.map((l) => l.idempotencyKey)).size).toBe(2);
      const stored = await shop.database.db.execute<{ stripe_account_id: string }>(
        sql`select stripe_account_id from brands where id = ${brand.id}`,
      );
      expect(stored.rows[0]?.stripe_account_id).toBe(first.accountId);

      // Concurrent connects still make one account.
      const other = await makeBrand(shop, boss, { selling: false });
      const results = await Promise.all(
        [1, 2, 3].map(() => boss.api.brands.connect({ brandId: other.id })),
      );
      expect(new Set(results.map((r) => r.accountId)).size).toBe(1);
      expect(
        shop.fake
          .calls('POST', '/v1/accounts')
          .filter(
            (r) =>
              !r.replayed && (r.params.metadata as Record<string, string>)?.brand_id === other.id,
          ),
      ).toHaveLength(1);
    });

    it('account.updated turns charges on; an older update arriving late does not turn them off', async () => {
      const boss = await signUp(shop.deps, 'boss2');
      const brand = await makeBrand(shop, boss, { selling: false });
      const { accountId } = await boss.api.brands.connect({ brandId: brand.id });
      const [incomplete] = await shop.fake.completeOnboarding(accountId, {
        chargesEnabled: false,
        deliver: false,
      });
      const [complete] = await shop.fake.completeOnboarding(accountId, { deliver: false });
      incomplete!.created -= 60; // Stripe made it a minute earlier.
      expect((await shop.fake.deliver(complete!)).status).toBe(200);
      expect((await boss.api.brands.mine()).find((b) => b.id === brand.id)).toMatchObject({
        canSell: true,
        stripe: { chargesEnabled: true, detailsSubmitted: true, payoutsEnabled: true },
      });
      expect((await shop.fake.deliver(incomplete!)).status).toBe(200);
      expect((await boss.api.brands.mine()).find((b) => b.id === brand.id)?.canSell).toBe(true);
    });

    it('coming back from onboarding, the return page asks Stripe and shows the state', async () => {
      const boss = await signUp(shop.deps, 'boss3');
      const brand = await makeBrand(shop, boss, { name: '<b>Bold</b> brand', selling: false });
      const { accountId } = await boss.api.brands.connect({ brandId: brand.id });
      await shop.fake.completeOnboarding(accountId, { deliver: false }); // webhook not here yet
      const page = await fetch(`${shop.server.url}/connect/return?brand=${brand.id}`);
      const html = await page.text();
      expect(page.status).toBe(200);
      expect(decodeHtml(html)).toContain('<b>Bold</b> brand can take payments');
      expect(html).not.toContain('<b>Bold</b>');
      expect((await boss.api.brands.mine()).find((b) => b.id === brand.id)?.canSell).toBe(true);
      const refresh = await fetch(`${shop.server.url}/connect/refresh?brand=${brand.id}`);
      expect(await refresh.text()).toMatch(/expired/);
    });
  });
});

describe.each(engines)('without STRIPE_SECRET_KEY on %s', (engine) => {
  let shop: Shop;
  let owner: TestUser;
  let buyer: TestUser;
  let profiles: FakeProfiles | undefined;
  beforeAll(async () => {
    shop = await openShop(engine, { payments: false });
    owner = await signUp(shop.deps, 'owner');
    buyer = await signUp(shop.deps, 'buyer');
  });
  afterAll(async () => {
    await shop?.close();
    await profiles?.close();
  });

  it('checkout and connect say payments are not configured; everything else works', async () => {
    const brand = await makeBrand(shop, owner, { selling: false });
    profiles = await clipOnBrandChannel(shop, owner, brand.id);
    const product = await makeProduct(owner, brand.id);
    await owner.api.shop.tag({ brandId: brand.id, url: CLIP, productId: product.id });
    expect((await buyer.api.shop.forClip({ url: CLIP })).products[0]).toMatchObject({
      id: product.id,
      canBuy: false,
    });
    const before = await dbSnapshot(shop.database.db);
    for (const api of [buyer.api, await callerFor(shop.deps)]) {
      const error = await refusal(
        api.checkout.create({ items: [{ productId: product.id, quantity: 1 }] }),
      );
      expect(error.code).toBe('PRECONDITION_FAILED');
      expect(error.message).toMatch(/payments are not configured/i);
    }
    const connect = await refusal(owner.api.brands.connect({ brandId: brand.id }));
    expect(connect.code).toBe('PRECONDITION_FAILED');
    expect(connect.message).toMatch(/payments are not configured/i);
    expect(await dbSnapshot(shop.database.db)).toEqual(before);
    expect(shop.fake.requests).toEqual([]);
    expect(await buyer.api.orders.list()).toEqual({ orders: [], hasMore: false });
    const health = await fetch(`${shop.server.url}/health`);
    expect(health.status).toBe(200);
  });
});
