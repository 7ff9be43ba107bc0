import { createHash, randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProfiles, startFakeProfiles } from '../fakes/profiles';
import { ownChannel } from '../fixtures/channels';
import { makeBrand, makeProduct, openShop, type Shop } from '../fixtures/commerce';
import { engines } from '../fixtures/db';
import { befriend, signUp, type TestUser } from '../fixtures/deps';

let clipCounter = 0;
/** A fresh TikTok clip on `handle`'s channel. */
const tiktokClip = (handle: string) =>
  `https://www.tiktok.com/@${handle}/video/${7_400_000_000_000_000_000n + BigInt(++clipCounter)}`;
const keyHash = (url: string) =>
  createHash('sha256')
    .update(`tiktok:${url.split('/').at(-1)}`, 'utf8')
    .digest('hex');

describe.each(engines)('consent for product tags on %s', (engine) => {
  let shop: Shop;
  let profiles: FakeProfiles;
  let brandOwner: TestUser;
  let brandId: string;
  let creator: TestUser;
  let viewer: TestUser;
  let n = 0;
  const handle = (prefix: string) => `${prefix}_${process.pid}_${++n}`.slice(0, 30);

  /** What viewers see in a clip: the product ids `shop.forClip` and `shop.forClipPrefix` show. */
  async function shown(url: string) {
    const byClip = (await viewer.api.shop.forClip({ url })).products.map((p) => p.id).sort();
    const hash = keyHash(url);
    const byPrefix = (await viewer.api.shop.forClipPrefix({ prefix: hash.slice(0, 4) })).products
      .filter((p) => p.clipHash === hash)
      .map((p) => p.id)
      .sort();
    expect(byPrefix).toEqual(byClip);
    return byClip;
  }

  beforeAll(async () => {
    shop = await openShop(engine);
    profiles = await startFakeProfiles();
    profiles.use(shop.deps);
    brandOwner = await signUp(shop.deps, 'brand');
    brandId = (await makeBrand(shop, brandOwner, { name: 'Consent Goods' })).id;
    creator = await signUp(shop.deps, 'creator');
    viewer = await signUp(shop.deps, 'viewer');
  });
  afterAll(async () => {
    await shop?.close();
    await profiles?.close();
  });

  it('a brand’s tag on a clip of an unverified channel, or of someone else’s, shows to nobody', async () => {
    const product = await makeProduct(brandOwner, brandId, { title: 'Bottle' });
    const unclaimed = tiktokClip(handle('nobody'));
    const tagged = await brandOwner.api.shop.tag({
      brandId,
      url: unclaimed,
      productId: product.id,
    });
    expect(tagged.shown).toBe(false);
    expect(await shown(unclaimed)).toEqual([]);

    const theirs = handle('theirs');
    await ownChannel(profiles, creator, `https://www.tiktok.com/@${theirs}`);
    const otherClip = tiktokClip(theirs);
    expect(
      (await brandOwner.api.shop.tag({ brandId, url: otherClip, productId: product.id })).shown,
    ).toBe(false);
    expect(await shown(otherClip)).toEqual([]);
    // The brand still sees its tags in its console, marked as not shown.
    const tags = await brandOwner.api.shop.tags({ brandId });
    expect(tags.filter((t) => t.product.id === product.id).map((t) => t.shown)).toEqual([
      false,
      false,
    ]);
  });

  it('shows a brand’s tag on the brand’s own verified channel, or its owner’s', async () => {
    const product = await makeProduct(brandOwner, brandId, { title: 'Scarf' });
    const brandChannel = handle('brandchan');
    await ownChannel(profiles, brandOwner, `https://www.tiktok.com/@${brandChannel}`, brandId);
    const clip = tiktokClip(brandChannel);
    expect(
      (await brandOwner.api.shop.tag({ brandId, url: clip, productId: product.id })).shown,
    ).toBe(true);
    expect(await shown(clip)).toEqual([product.id]);

    const personal = handle('ownerchan');
    await ownChannel(profiles, brandOwner, `https://www.tiktok.com/@${personal}`);
    const personalClip = tiktokClip(personal);
    await brandOwner.api.shop.tag({ brandId, url: personalClip, productId: product.id });
    expect(await shown(personalClip)).toEqual([product.id]);
  });

  it('a creator tags their own clip with a product that takes affiliates, and it shows', async () => {
    const affiliate = await makeProduct(brandOwner, brandId, { title: 'Lamp', affiliateBps: 1000 });
    const plain = await makeProduct(brandOwner, brandId, { title: 'Chair' });
    const mine = handle('creator');
    await ownChannel(profiles, creator, `https://www.tiktok.com/@${mine}`);
    const clip = tiktokClip(mine);

    const tagged = await creator.api.shop.tag({
      url: clip,
      productId: affiliate.id,
      fromSeconds: 2,
    });
    expect(tagged).toMatchObject({ shown: true, fromSeconds: 2, brandId });
    expect(await shown(clip)).toEqual([affiliate.id]);

    // A product with no commission is not the creator's to tag.
    await expect(creator.api.shop.tag({ url: clip, productId: plain.id })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    // Nor is anyone else's clip.
    const someoneElse = tiktokClip(handle('else'));
    await expect(
      creator.api.shop.tag({ url: someoneElse, productId: affiliate.id }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const stranger = await signUp(shop.deps, 'stranger');
    await expect(
      stranger.api.shop.tag({ url: clip, productId: affiliate.id }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await shown(clip)).toEqual([affiliate.id]);
    expect(await shown(someoneElse)).toEqual([]);

    // The creator takes it off again.
    expect(await creator.api.shop.untag({ url: clip, productId: affiliate.id })).toEqual({
      removed: true,
    });
    expect(await shown(clip)).toEqual([]);
  });

  it('a brand asks the channel owner; the tag shows once accepted, and stops when declined', async () => {
    const product = await makeProduct(brandOwner, brandId, { title: 'Mug' });
    const chan = handle('asked');
    await ownChannel(profiles, creator, `https://www.tiktok.com/@${chan}`);
    const clip = tiktokClip(chan);

    const request = await brandOwner.api.shop.requestTag({
      clipUrl: clip,
      productId: product.id,
      atSeconds: 4,
    });
    expect(request).toMatchObject({ state: 'pending', atSeconds: 4 });
    expect(await shown(clip)).toEqual([]);
    // Asking again answers the same request.
    expect(
      (await brandOwner.api.shop.requestTag({ clipUrl: clip, productId: product.id })).requestId,
    ).toBe(request.requestId);

    const { incoming } = await creator.api.shop.tagRequests();
    expect(incoming.map((r) => r.requestId)).toContain(request.requestId);
    expect(incoming.find((r) => r.requestId === request.requestId)?.product.title).toBe('Mug');
    const { outgoing } = await brandOwner.api.shop.tagRequests();
    expect(outgoing.map((r) => r.requestId)).toContain(request.requestId);

    // Nobody but the channel's owner answers it.
    const stranger = await signUp(shop.deps, 'stranger');
    for (const who of [stranger, brandOwner]) {
      await expect(
        who.api.shop.respondTag({ requestId: request.requestId, accept: true }),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    }
    expect((await stranger.api.shop.tagRequests()).incoming).toEqual([]);
    expect(await shown(clip)).toEqual([]);

    const accepted = await creator.api.shop.respondTag({
      requestId: request.requestId,
      accept: true,
    });
    expect(accepted).toMatchObject({ state: 'accepted', shown: true });
    const products = (await viewer.api.shop.forClip({ url: clip })).products;
    expect(products.map((p) => [p.id, p.fromSeconds])).toEqual([[product.id, 4]]);

    const declined = await creator.api.shop.respondTag({
      requestId: request.requestId,
      accept: false,
    });
    expect(declined).toMatchObject({ state: 'declined', shown: false });
    expect(await shown(clip)).toEqual([]);
    // Declined: the brand cannot ask again.
    await expect(
      brandOwner.api.shop.requestTag({ clipUrl: clip, productId: product.id }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('a request needs a verified owner to ask, and another brand cannot ask with this brand’s product', async () => {
    const product = await makeProduct(brandOwner, brandId, { title: 'Cap' });
    const clip = tiktokClip(handle('unowned'));
    await expect(
      brandOwner.api.shop.requestTag({ clipUrl: clip, productId: product.id }),
    ).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
    const rival = await signUp(shop.deps, 'rival');
    await makeBrand(shop, rival, { selling: false });
    const chan = handle('target');
    await ownChannel(profiles, creator, `https://www.tiktok.com/@${chan}`);
    await expect(
      rival.api.shop.requestTag({ clipUrl: tiktokClip(chan), productId: product.id }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const rows = await shop.database.db.execute<{ n: number }>(
      sql`select count(*)::int as n from tag_requests where product_id = ${product.id}`,
    );
    expect(Number(rows.rows[0]?.n)).toBe(0);
  });

  it('a channel owner who blocked the brand’s owner gets no requests from them', async () => {
    const product = await makeProduct(brandOwner, brandId, { title: 'Socks' });
    const blocker = await signUp(shop.deps, 'blocker');
    const chan = handle('blocks');
    await ownChannel(profiles, blocker, `https://www.tiktok.com/@${chan}`);
    await blocker.api.friends.block({ userId: brandOwner.id });
    await expect(
      brandOwner.api.shop.requestTag({ clipUrl: tiktokClip(chan), productId: product.id }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('consent goes with the channel: a new owner does not inherit the old owner’s tags', async () => {
    const product = await makeProduct(brandOwner, brandId, { title: 'Kite', affiliateBps: 500 });
    const chan = handle('moving');
    const first = await ownChannel(profiles, creator, `https://www.tiktok.com/@${chan}`);
    const clip = tiktokClip(chan);
    await creator.api.shop.tag({ url: clip, productId: product.id });
    expect(await shown(clip)).toEqual([product.id]);

    const heir = await signUp(shop.deps, 'heir');
    const claim = await heir.api.channels.claim({ url: `https://www.tiktok.com/@${chan}` });
    profiles.setBio('tiktok', chan, claim.code);
    expect(first.code).not.toBe(claim.code);
    expect((await heir.api.channels.verify({ claimId: claim.claimId })).state).toBe('verified');
    expect(await shown(clip)).toEqual([]);
  });

  it('a YouTube Short’s channel is read from its page once, then remembered', async () => {
    const chan = handle('yt').replace(/_/g, '-');
    await ownChannel(profiles, brandOwner, `https://www.youtube.com/@${chan}`, brandId);
    const id = `S${randomUUID().replace(/-/g, '').slice(0, 10)}`;
    profiles.setClipOwner('youtube', `/shorts/${id}`, chan);
    const url = `https://www.youtube.com/shorts/${id}`;
    const a = await makeProduct(brandOwner, brandId, { title: 'One' });
    const b = await makeProduct(brandOwner, brandId, { title: 'Two' });
    await brandOwner.api.shop.tag({ brandId, url, productId: a.id });
    await brandOwner.api.shop.tag({ brandId, url: `https://youtu.be/${id}`, productId: b.id });
    expect(profiles.requests.filter((p) => p === `/youtube/shorts/${id}`)).toHaveLength(1);
    expect((await viewer.api.shop.forClip({ url })).products.map((p) => p.id).sort()).toEqual(
      [a.id, b.id].sort(),
    );
  });

  it('a TikTok link naming another channel for a known clip is settled by the clip’s page', async () => {
    const product = await makeProduct(brandOwner, brandId, { title: 'Badge' });
    const brandChan = handle('spoofer');
    await ownChannel(profiles, brandOwner, `https://www.tiktok.com/@${brandChan}`, brandId);
    const victim = handle('victim');
    const real = tiktokClip(victim);
    const id = real.split('/').at(-1)!;
    // Someone shares the clip by its real link first.
    await creator.api.clips.resolve({ url: real });
    await brandOwner.api.shop.tag({ brandId, url: real, productId: product.id });
    expect(await shown(real)).toEqual([]);
    // The brand then names its own channel in the link: the page says whose clip it is.
    profiles.setClipOwner('tiktok', `/@${brandChan}/video/${id}`, victim);
    const spoof = `https://www.tiktok.com/@${brandChan}/video/${id}`;
    await brandOwner.api.shop.tag({ brandId, url: spoof, productId: product.id });
    expect(await shown(real)).toEqual([]);
  });

  it('a product a friend shares into a group still shows to that group, tagged or not', async () => {
    const product = await makeProduct(brandOwner, brandId, { title: 'Poster' });
    const friend = await signUp(shop.deps, 'friend');
    await befriend(viewer, friend);
    const group = await viewer.api.groups.create({ name: 'Pals', memberIds: [friend.id] });
    await viewer.api.messages.send({
      groupId: group.id,
      clientId: `c_${randomUUID().replace(/-/g, '')}`,
      productId: product.id,
      clip: { url: tiktokClip(handle('anyone')) },
    });
    const { messages } = await friend.api.messages.list({ groupId: group.id });
    const shared = messages.find((m) => m.kind === 'product');
    expect(shared?.productId).toBe(product.id);
    expect((await friend.api.products.get({ productId: product.id })).title).toBe('Poster');
  });

  it('refuses bad input to the new procedures and changes nothing', async () => {
    const before = await shop.database.db.execute<{ n: number }>(
      sql`select (select count(*) from tag_requests)::int + (select count(*) from clip_products)::int as n`,
    );
    const bad: Array<() => Promise<unknown>> = [
      () => brandOwner.api.shop.requestTag({ clipUrl: 'nope', productId: randomUUID() }),
      () =>
        brandOwner.api.shop.requestTag({
          clipUrl: tiktokClip('x'),
          productId: 'not-a-uuid',
        }),
      () =>
        brandOwner.api.shop.requestTag({
          clipUrl: tiktokClip('x'),
          productId: randomUUID(),
          atSeconds: -1,
        }),
      () => creator.api.shop.respondTag({ requestId: 'x', accept: true }),
      () =>
        creator.api.shop.respondTag({
          requestId: randomUUID(),
          accept: 'yes' as unknown as boolean,
        }),
      () => creator.api.channels.verify({ claimId: 'claim' }),
      () => creator.api.channels.claim({ url: '' }),
      () =>
        brandOwner.api.products.create({
          brandId,
          title: 'Too generous',
          priceCents: 100,
          currency: 'USD',
          affiliateBps: 5001,
        }),
    ];
    for (const call of bad) await expect(call()).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    const after = await shop.database.db.execute<{ n: number }>(
      sql`select (select count(*) from tag_requests)::int + (select count(*) from clip_products)::int as n`,
    );
    expect(after.rows[0]?.n).toBe(before.rows[0]?.n);
  });

  it('a product’s affiliateBps defaults to 0 and its brand’s owner changes it', async () => {
    const product = await makeProduct(brandOwner, brandId, { title: 'Pen' });
    expect(product.affiliateBps).toBe(0);
    const updated = await brandOwner.api.products.update({
      productId: product.id,
      affiliateBps: 1500,
    });
    expect(updated.affiliateBps).toBe(1500);
    expect((await viewer.api.products.get({ productId: product.id })).affiliateBps).toBe(1500);
    await expect(
      creator.api.products.update({ productId: product.id, affiliateBps: 5000 }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
