import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BusEvent } from '../../server/bus';
import type { Deps } from '../../server/trpc';
import { makeBrand, makeProduct, openShop, type Shop } from '../fixtures/commerce';
import { engines } from '../fixtures/db';
import { befriend, signUp, type TestUser } from '../fixtures/deps';
import { expectRefusedUnchanged } from '../fixtures/state';
import { wireCall } from '../fixtures/wire';

const cid = () => `c_${randomUUID().replace(/-/g, '')}`;
const CANNOT = /cannot message/;

describe.each(engines)('blocks close every channel between two people on %s', (engine) => {
  let shop: Shop;
  let deps: Deps;
  beforeAll(async () => {
    shop = await openShop(engine);
    deps = shop.deps;
  });
  afterAll(() => shop?.close());
  const db = () => shop.database.db;

  /** A shopper's thread with a brand, with one message each way, then a block. */
  async function brandThread(blocker: 'shopper' | 'seller') {
    const seller = await signUp(deps, 'seller');
    const shopper = await signUp(deps, 'shopper');
    const brand = await makeBrand(shop, seller, { name: 'Lamps' });
    const product = await makeProduct(seller, brand.id, { title: 'Lamp' });
    const asked = await shopper.api.brands.ask({
      brandId: brand.id,
      body: 'Blue?',
      clientId: cid(),
    });
    const groupId = asked.group.id;
    const question = asked.message!.id;
    const answer = (
      await seller.api.messages.send({ groupId, clientId: cid(), body: 'Yes, in blue.' })
    ).id;
    if (blocker === 'shopper') await shopper.api.friends.block({ userId: seller.id });
    else await seller.api.friends.block({ userId: shopper.id });
    return { seller, shopper, brand, product, groupId, question, answer };
  }

  /** Everything one person can push at the other in a thread, each refused, nothing stored. */
  async function expectSilenced(
    who: TestUser,
    groupId: string,
    ownMessage: string,
    theirMessage: string,
    productId: string,
  ) {
    const published: BusEvent[] = [];
    const stop = deps.bus.subscribe((e) => published.push(e));
    try {
      const attempts: [string, () => Promise<unknown>][] = [
        ['send', () => who.api.messages.send({ groupId, clientId: cid(), body: 'still here' })],
        ['product', () => who.api.messages.send({ groupId, clientId: cid(), productId })],
        [
          'clip',
          () =>
            who.api.clips.share({
              groupIds: [groupId],
              url: 'https://www.youtube.com/shorts/aBcDeFgHiJk',
            }),
        ],
        ['edit', () => who.api.messages.edit({ messageId: ownMessage, body: 'rewritten' })],
        ['react', () => who.api.messages.react({ messageId: theirMessage, emoji: '🔥' })],
        ['typing', () => who.api.messages.typing({ groupId })],
      ];
      for (const [what, attempt] of attempts) {
        const error = await expectRefusedUnchanged(db(), attempt, 'FORBIDDEN', CANNOT).catch(
          (e: unknown) => {
            throw new Error(`${what}: ${(e as Error).message}`);
          },
        );
        // Says no more than necessary: not who blocked whom.
        expect(error.message, what).not.toMatch(/block/i);
      }
      expect(published).toEqual([]);
    } finally {
      stop();
    }
  }

  it('a shopper the brand owner blocked cannot send, share, edit, react or type in the brand thread', async () => {
    const t = await brandThread('seller');
    await expectSilenced(t.shopper, t.groupId, t.question, t.answer, t.product.id);
  });

  it('a brand owner cannot message a shopper who blocked them, in the brand thread', async () => {
    const t = await brandThread('shopper');
    await expectSilenced(t.seller, t.groupId, t.answer, t.question, t.product.id);
  });

  it('the blocker cannot keep messaging the person they blocked in a brand thread either', async () => {
    const t = await brandThread('seller');
    await expectSilenced(t.seller, t.groupId, t.answer, t.question, t.product.id);
  });

  it('a blocked shopper asking the brand again over HTTP is refused without being told why', async () => {
    const t = await brandThread('seller');
    const before = await t.shopper.api.messages.list({ groupId: t.groupId });
    const result = await wireCall(
      deps,
      'brands.ask',
      { brandId: t.brand.id, body: 'Hello?', clientId: cid() },
      t.shopper.token,
    );
    expect(result).toMatchObject({
      ok: false,
      status: 403,
      error: { data: { code: 'FORBIDDEN' } },
    });
    if (!result.ok) expect(result.error.message).not.toMatch(/block/i);
    const after = await t.seller.api.messages.list({ groupId: t.groupId });
    expect(after.messages.length).toBe(before.messages.length);
  });

  it('a blocked person in a direct thread is silenced both ways, the blocker included', async () => {
    const a = await signUp(deps, 'blocker');
    const b = await signUp(deps, 'blocked');
    await befriend(a, b);
    const direct = await a.api.groups.openDirect({ userId: b.id });
    const fromA = (await a.api.messages.send({ groupId: direct.id, clientId: cid(), body: 'hi' }))
      .id;
    const fromB = (await b.api.messages.send({ groupId: direct.id, clientId: cid(), body: 'yo' }))
      .id;
    const seller = await signUp(deps, 'seller');
    const brand = await makeBrand(shop, seller);
    const product = await makeProduct(seller, brand.id);
    await a.api.friends.block({ userId: b.id });
    await expectSilenced(b, direct.id, fromB, fromA, product.id);
    await expectSilenced(a, direct.id, fromA, fromB, product.id);
  });

  it('a blocked person cannot reach the blocker by invite, request or group add', async () => {
    const a = await signUp(deps, 'blocker');
    const b = await signUp(deps, 'blocked');
    const mutual = await signUp(deps, 'mutual');
    await befriend(a, mutual);
    await befriend(b, mutual);
    const invite = await a.api.friends.createInvite({ maxUses: 3 });
    await a.api.friends.block({ userId: b.id });
    await expectRefusedUnchanged(
      db(),
      () => b.api.friends.acceptInvite({ code: invite.code }),
      'FORBIDDEN',
    );
    await expectRefusedUnchanged(
      db(),
      () => b.api.groups.openDirect({ userId: a.id }),
      'FORBIDDEN',
    );
    await expectRefusedUnchanged(
      db(),
      () => a.api.groups.openDirect({ userId: b.id }),
      'FORBIDDEN',
    );
    await expectRefusedUnchanged(
      db(),
      () => b.api.groups.create({ name: 'Trap', memberIds: [a.id] }),
      'FORBIDDEN',
    );
  });

  it('in a group thread a block silences nobody: both still talk to the group', async () => {
    const a = await signUp(deps, 'blocker');
    const b = await signUp(deps, 'blocked');
    const host = await signUp(deps, 'host');
    await befriend(host, a);
    await befriend(host, b);
    const group = await host.api.groups.create({ name: 'All', memberIds: [a.id, b.id] });
    await a.api.friends.block({ userId: b.id });
    await b.api.messages.send({ groupId: group.id, clientId: cid(), body: 'hello all' });
    await a.api.messages.send({ groupId: group.id, clientId: cid(), body: 'hi all' });
    expect(await b.api.messages.typing({ groupId: group.id })).toEqual({ sent: true });
  });
});
