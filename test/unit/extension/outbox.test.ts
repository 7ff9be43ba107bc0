import { createTRPCClient, httpLink } from '@trpc/client';
import { describe, expect, it } from 'vitest';
import { sendOutboxItem } from '../../../extension/background/outbox';
import { describeError } from '../../../extension/background/socket';
import { KithError } from '../../../extension/lib/errors';
import type { OutboxItem } from '../../../extension/lib/protocol';
import type { ClipInfo } from '../../../extension/sites/types';
import { Outbox } from '../../../extension/store/outbox';
import type { AppRouter } from '../../../server/router';
import { befriend, signUp, type TestUser } from '../../fixtures/deps';
import { newProfile, openDb, startBackground, storeSession, until, useKith } from './harness';

const CLIP: ClipInfo = {
  site: 'tiktok',
  url: 'https://www.tiktok.com/@scout2015/video/6718335390845095173',
  clipId: '6718335390845095173',
  title: 'Scramble up ur name & I’ll try to guess it',
  thumbnailUrl: null,
};

const kith = useKith();

async function pair() {
  const ana = await signUp(kith.deps, 'ana');
  const ben = await signUp(kith.deps, 'ben');
  await befriend(ana, ben);
  const group = await ana.api.groups.create({ name: 'Roommates', memberIds: [ben.id] });
  return { ana, ben, group };
}

function clientFor(user: TestUser) {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({ url: `${kith.url}/trpc`, headers: { authorization: `Bearer ${user.token}` } }),
    ],
  });
}

/** An outbox whose transport can be switched off ("offline") or made to lose answers. */
function outboxFor(user: TestUser, db = openDb(newProfile())) {
  const client = clientFor(user);
  const net = { online: true, loseAnswers: 0, sends: 0 };
  const outbox = new Outbox({
    db,
    account: () => ({ userId: user.id, serverUrl: kith.url }),
    attemptTimeoutMs: 5000,
    send: async (item: OutboxItem, signal: AbortSignal) => {
      net.sends += 1;
      if (!net.online) throw new KithError('OFFLINE', 'Cannot reach the Kith server.');
      try {
        const result = await sendOutboxItem(client, item, signal);
        if (net.loseAnswers > 0) {
          // The server stored it, but the answer never reached us (socket dropped, worker killed).
          net.loseAnswers -= 1;
          throw new KithError('OFFLINE', 'The connection dropped before the answer arrived.');
        }
        return result;
      } catch (error) {
        throw describeError(error, kith.url);
      }
    },
  });
  return { outbox, net, db };
}

async function bodies(user: TestUser, groupId: string) {
  const { messages } = await user.api.messages.list({ groupId, limit: 200 });
  return messages.map((m) => m.body);
}

describe('outbox', () => {
  it('a message written offline waits, then reaches the group exactly once when back online', async () => {
    const { ana, ben, group } = await pair();
    const { outbox, net } = outboxFor(ana);
    net.online = false;
    const queued = await outbox.enqueue(
      { kind: 'message', groupId: group.id, body: 'on the train, no signal' },
      200,
    );
    expect(queued.queued).toBe(true);
    await outbox.flush();
    await outbox.flush();
    expect(await outbox.pendingCount()).toBe(1);
    expect(await bodies(ben, group.id)).toEqual([]);

    net.online = true;
    await outbox.flush();
    await outbox.flush();
    expect(await outbox.pendingCount()).toBe(0);
    expect(await bodies(ben, group.id)).toEqual(['on the train, no signal']);
  });

  it('a send whose answer is lost is sent again and still stored once', async () => {
    const { ana, ben, group } = await pair();
    const { outbox, net } = outboxFor(ana);
    net.loseAnswers = 2;
    const first = await outbox.enqueue({
      kind: 'message',
      groupId: group.id,
      body: 'did this go through?',
    });
    expect(first.queued).toBe(true);
    await outbox.flush(); // answer lost again
    expect(await outbox.pendingCount()).toBe(1);
    await outbox.flush(); // acknowledged
    expect(await outbox.pendingCount()).toBe(0);
    expect(net.sends).toBe(3);
    expect(await bodies(ben, group.id)).toEqual(['did this go through?']);
  });

  it('a clientId named by the sender is kept, and naming it twice queues and stores it once', async () => {
    const { ana, ben, group } = await pair();
    const { outbox, net } = outboxFor(ana);
    net.online = false;
    const clientId = crypto.randomUUID();
    const draft = { kind: 'message' as const, clientId, groupId: group.id, body: 'only once' };
    const first = await outbox.enqueue(draft, 50);
    const again = await outbox.enqueue(draft, 50);
    expect(first).toEqual({ clientId, queued: true });
    expect(again).toEqual({ clientId, queued: true });
    expect(await outbox.pendingCount()).toBe(1);
    net.online = true;
    await outbox.flush();
    expect(await outbox.pendingCount()).toBe(0);
    expect(await bodies(ben, group.id)).toEqual(['only once']);
    const { messages } = await ben.api.messages.list({ groupId: group.id, limit: 10 });
    expect(messages[0]?.clientId).toBe(clientId);
  });

  it('a restarted worker (a new outbox over the same database) sends what was pending, once', async () => {
    const { ana, ben, group } = await pair();
    const profile = newProfile();
    const before = outboxFor(ana, openDb(profile));
    before.net.online = false;
    await before.outbox.enqueue({ kind: 'message', groupId: group.id, body: 'one' }, 100);
    await before.outbox.enqueue({ kind: 'message', groupId: group.id, body: 'two' }, 100);
    // The first attempt reached the server but the worker died before the answer came back.
    before.net.online = true;
    before.net.loseAnswers = 1;
    await before.outbox.flush();
    before.db.close();

    const after = outboxFor(ana, openDb(profile));
    expect(await after.outbox.pendingCount()).toBe(2);
    await after.outbox.flush();
    expect(await after.outbox.pendingCount()).toBe(0);
    expect(await bodies(ben, group.id)).toEqual(['one', 'two']);
  });

  it('two workers flushing the same outbox at once still store each message once', async () => {
    const { ana, ben, group } = await pair();
    const profile = newProfile();
    const a = outboxFor(ana, openDb(profile));
    a.net.online = false;
    for (const body of ['a', 'b', 'c'])
      await a.outbox.enqueue({ kind: 'message', groupId: group.id, body }, 50);
    a.net.online = true;
    const b = outboxFor(ana, openDb(profile));
    await Promise.all([a.outbox.flush(), b.outbox.flush(), a.outbox.flush()]);
    await until('the outbox to empty', async () => (await a.outbox.pendingCount()) === 0);
    expect(await bodies(ben, group.id)).toEqual(['a', 'b', 'c']);
  });

  it('messages go out in the order they were written', async () => {
    const { ana, ben, group } = await pair();
    const { outbox, net } = outboxFor(ana);
    net.online = false;
    const texts = Array.from({ length: 8 }, (_, i) => `message ${i + 1}`);
    for (const body of texts) await outbox.enqueue({ kind: 'message', groupId: group.id, body }, 0);
    net.online = true;
    await outbox.flush();
    expect(await bodies(ben, group.id)).toEqual(texts);
  });

  it('a share made offline reaches every chosen group once', async () => {
    const { ana, ben, group } = await pair();
    const cat = await signUp(kith.deps, 'cat');
    await befriend(ana, cat);
    const second = await ana.api.groups.create({ name: 'Climbing', memberIds: [cat.id] });
    const { outbox, net } = outboxFor(ana);
    net.online = false;
    await outbox.enqueue(
      {
        kind: 'share',
        groupIds: [group.id, second.id],
        clip: CLIP,
        note: 'this is us',
        atSeconds: 42,
      },
      0,
    );
    net.online = true;
    net.loseAnswers = 1;
    await outbox.flush();
    await outbox.flush();
    expect(await outbox.pendingCount()).toBe(0);
    for (const [user, groupId] of [
      [ben, group.id],
      [cat, second.id],
    ] as const) {
      const { messages } = await user.api.messages.list({ groupId });
      expect(messages).toHaveLength(1);
      expect(messages[0]).toMatchObject({ kind: 'clip', body: 'this is us', atSeconds: 42 });
      expect(messages[0]?.clip?.clipId).toBe(CLIP.clipId);
    }
  });

  it('a message the server refuses is reported at once and not kept', async () => {
    const { ana, group } = await pair();
    const { outbox } = outboxFor(ana);
    await expect(
      outbox.enqueue({ kind: 'message', groupId: group.id, body: 'x'.repeat(5000) }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('4000') });
    expect(await outbox.list()).toEqual([]);
  });

  it('a message refused after waiting offline stays, marked failed, until discarded', async () => {
    const { ana, ben, group } = await pair();
    const { outbox, net } = outboxFor(ana);
    net.online = false;
    const { clientId } = await outbox.enqueue(
      { kind: 'message', groupId: group.id, body: 'bye' },
      0,
    );
    await outbox.enqueue({ kind: 'message', groupId: group.id, body: 'still here?' }, 0);
    await ana.api.groups.leave({ groupId: group.id });
    net.online = true;
    await outbox.flush();
    const list = await outbox.list();
    expect(list.map((e) => [e.status, e.error !== null])).toEqual([
      ['failed', true],
      ['failed', true],
    ]);
    expect(list[0]?.clientId).toBe(clientId);
    expect(await outbox.pendingCount()).toBe(0);
    await outbox.flush();
    expect(await bodies(ben, group.id)).toEqual([]);
    for (const entry of list) await outbox.discard(entry.clientId);
    expect(await outbox.list()).toEqual([]);
  });

  it('an item is only ever sent as the user who wrote it', async () => {
    const { ana, ben, group } = await pair();
    const profile = newProfile();
    const db = openDb(profile);
    const asAna = outboxFor(ana, db);
    asAna.net.online = false;
    await asAna.outbox.enqueue({ kind: 'message', groupId: group.id, body: 'from ana' }, 0);
    const asBen = outboxFor(ben, db);
    expect(await asBen.outbox.pendingCount()).toBe(0);
    await asBen.outbox.flush();
    expect(await bodies(ben, group.id)).toEqual([]);
    asAna.net.online = true;
    await asAna.outbox.flush();
    const { messages } = await ben.api.messages.list({ groupId: group.id });
    expect(messages.map((m) => m.sender?.id)).toEqual([ana.id]);
  });
});

/** A product on sale from a brand Ana's friend runs (a catalog needs no Stripe account). */
async function productFor(owner: TestUser, options: { active?: boolean } = {}) {
  const brand = await owner.api.brands.create({
    name: 'Scout Goods',
    slug: `scout-${crypto.randomUUID().slice(0, 8)}`,
  });
  return owner.api.products.create({
    brandId: brand.id,
    title: 'Canvas tote',
    priceCents: 2500,
    currency: 'USD',
    stock: 10,
    active: options.active ?? true,
  });
}

async function productMessages(user: TestUser, groupId: string) {
  const { messages } = await user.api.messages.list({ groupId, limit: 200 });
  return messages.map((m) => ({
    kind: m.kind,
    productId: m.productId,
    clientId: m.clientId,
    clipId: m.clip?.clipId ?? null,
  }));
}

describe('product shares in the outbox', () => {
  it('a product shared offline reaches the group exactly once, in order with the chat', async () => {
    const { ana, ben, group } = await pair();
    const product = await productFor(ben);
    const { outbox, net } = outboxFor(ana);
    net.online = false;
    await outbox.enqueue({ kind: 'message', groupId: group.id, body: 'look at this' }, 0);
    const clientId = crypto.randomUUID();
    const queued = await outbox.enqueue(
      { kind: 'message', clientId, groupId: group.id, body: '', productId: product.id, clip: CLIP },
      50,
    );
    expect(queued).toEqual({ clientId, queued: true });
    await outbox.flush();
    expect(await outbox.pendingCount()).toBe(2);
    expect(await productMessages(ben, group.id)).toEqual([]);

    net.online = true;
    await outbox.flush();
    await outbox.flush();
    expect(await outbox.pendingCount()).toBe(0);
    const stored = await productMessages(ben, group.id);
    expect(stored.map((m) => m.kind)).toEqual(['text', 'product']);
    expect(stored[1]).toEqual({
      kind: 'product',
      productId: product.id,
      clientId,
      clipId: CLIP.clipId,
    });
  });

  it('a product share whose answer is lost is sent again and stored once', async () => {
    const { ana, ben, group } = await pair();
    const product = await productFor(ben);
    const { outbox, net } = outboxFor(ana);
    net.loseAnswers = 2;
    const first = await outbox.enqueue({
      kind: 'message',
      groupId: group.id,
      body: '',
      productId: product.id,
    });
    expect(first.queued).toBe(true);
    await outbox.flush(); // stored already; this answer is lost too
    expect(await outbox.pendingCount()).toBe(1);
    await outbox.flush();
    expect(await outbox.pendingCount()).toBe(0);
    expect(net.sends).toBe(3);
    expect(await productMessages(ben, group.id)).toEqual([
      { kind: 'product', productId: product.id, clientId: first.clientId, clipId: null },
    ]);
  });

  it('a share of a product no longer on sale is refused with the server’s words and not kept', async () => {
    const { ana, ben, group } = await pair();
    const product = await productFor(ben, { active: false });
    const { outbox } = outboxFor(ana);
    await expect(
      outbox.enqueue({ kind: 'message', groupId: group.id, body: '', productId: product.id }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('no longer for sale'),
    });
    expect(await outbox.list()).toEqual([]);
    expect(await productMessages(ben, group.id)).toEqual([]);
  });

  it('a product taken off sale while the share waited is marked failed with the reason, and the rest still go', async () => {
    const { ana, ben, group } = await pair();
    const product = await productFor(ben);
    const { outbox, net } = outboxFor(ana);
    net.online = false;
    const { clientId } = await outbox.enqueue(
      { kind: 'message', groupId: group.id, body: '', productId: product.id },
      0,
    );
    await outbox.enqueue({ kind: 'message', groupId: group.id, body: 'after the tote' }, 0);
    await ben.api.products.update({ productId: product.id, active: false });
    net.online = true;
    await outbox.flush();
    const list = await outbox.list(group.id);
    expect(list.map((e) => [e.clientId, e.status, e.error])).toEqual([
      [clientId, 'failed', expect.stringContaining('no longer for sale')],
    ]);
    expect(await bodies(ben, group.id)).toEqual(['after the tote']);
    await outbox.discard(clientId);
    expect(await outbox.list()).toEqual([]);
  });
});

describe('outbox in the background', () => {
  it('queues while the server is down and sends once as soon as the socket is back', async () => {
    const { ana, ben, group } = await pair();
    await storeSession(ana, kith.url);
    const bg = startBackground(newProfile());
    try {
      await bg.service.ready;
      await kith.goOffline();
      const answer = await bg.service.handle('outbox.send', {
        groupId: group.id,
        body: 'sent from a tunnel',
        atSeconds: 12,
      });
      expect(answer.queued).toBe(true);
      expect(bg.service.state().pending).toBe(1);
      // A non-empty outbox keeps the stream (and so the socket, and the worker) alive.
      expect(bg.service.streamReasons).toContain('outbox');

      await kith.goOnline();
      await until('the outbox to empty', () => bg.service.state().pending === 0, 15_000);
      const { messages } = await ben.api.messages.list({ groupId: group.id });
      expect(messages.map((m) => [m.body, m.atSeconds, m.clientId])).toEqual([
        ['sent from a tunnel', 12, answer.clientId],
      ]);
      expect(bg.service.streamReasons).not.toContain('outbox');
    } finally {
      await bg.kill();
      if (!kith.server.server.listening) await kith.goOnline();
    }
  });

  it('a worker killed with items queued sends them once at its next start', async () => {
    const { ana, ben, group } = await pair();
    await storeSession(ana, kith.url);
    const profile = newProfile();
    const first = startBackground(profile);
    await first.service.ready;
    await kith.goOffline();
    try {
      await first.service.handle('outbox.send', {
        groupId: group.id,
        body: 'written before the crash',
      });
      await first.service.handle('outbox.share', { groupIds: [group.id], clip: CLIP });
      await first.kill();
    } finally {
      await kith.goOnline();
    }
    const second = startBackground(profile);
    try {
      await second.service.ready;
      await until('the outbox to empty', () => second.service.state().pending === 0, 15_000);
      const { messages } = await ben.api.messages.list({ groupId: group.id });
      expect(messages.map((m) => m.kind)).toEqual(['text', 'clip']);
      expect(messages[0]?.body).toBe('written before the crash');
    } finally {
      await second.kill();
    }
  });

  it('a product shared while the server is down is sent once, as a product, when it is back', async () => {
    const { ana, ben, group } = await pair();
    const product = await productFor(ben);
    await storeSession(ana, kith.url);
    const bg = startBackground(newProfile());
    try {
      await bg.service.ready;
      await kith.goOffline();
      const clientId = crypto.randomUUID();
      const answer = await bg.service.handle('outbox.send', {
        clientId,
        groupId: group.id,
        body: '',
        productId: product.id,
        clip: CLIP,
      });
      expect(answer).toEqual({ clientId, queued: true });
      const [entry] = await bg.service.handle('outbox.list', { groupId: group.id });
      expect(entry?.item).toMatchObject({ kind: 'message', productId: product.id });

      await kith.goOnline();
      await until('the outbox to empty', () => bg.service.state().pending === 0, 15_000);
      expect(await productMessages(ben, group.id)).toEqual([
        { kind: 'product', productId: product.id, clientId, clipId: CLIP.clipId },
      ]);
    } finally {
      await bg.kill();
      if (!kith.server.server.listening) await kith.goOnline();
    }
  });

  it('outbox.send when signed out says to sign in', async () => {
    const bg = startBackground(newProfile());
    try {
      await expect(
        bg.service.handle('outbox.send', { groupId: crypto.randomUUID(), body: 'hi' }),
      ).rejects.toMatchObject({ code: 'NOT_SIGNED_IN', message: expect.stringMatching(/Sign in/) });
    } finally {
      await bg.kill();
    }
  });
});
