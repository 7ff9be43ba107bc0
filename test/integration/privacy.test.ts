import { randomUUID } from 'node:crypto';
import type { TRPCError } from '@trpc/server';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../server/auth/password';
import type { BusEvent } from '../../server/bus';
import type { Deps } from '../../server/deps';
import { MAX_REQUEST_MESSAGES } from '../../server/messages/requests';
import type { SyncEvent } from '../../server/sync/event-stream';
import { SESSION_ENDED_CLOSE_CODE } from '../../server/sync/revocation';
import { makeBrand, makeProduct, newClientId, openShop, type Shop } from '../fixtures/commerce';
import { engines } from '../fixtures/db';
import { befriend, callerFor, signUp, type TestUser } from '../fixtures/deps';
import { closeCodeOf, socketClient, subscribeEvents } from '../fixtures/live';
import { dbSnapshot } from '../fixtures/snapshot';
import { expectRefusedUnchanged, refusal } from '../fixtures/state';

const PASSWORD = 'correct horse battery';
const CLIP = 'https://www.youtube.com/shorts/aBcDeFgHiJk';
/** A caller's subscription yields `tracked` envelopes: [id, data, marker]. */
const dataOf = (value: unknown) => (value as [string, SyncEvent])[1];
const cid = () => `c_${randomUUID().replace(/-/g, '')}`;

describe.each(engines)('privacy and account lifecycle on %s', (engine) => {
  let shop: Shop;
  let deps: Deps;
  beforeAll(async () => {
    shop = await openShop(engine);
    deps = shop.deps;
  });
  afterAll(() => shop?.close());

  const db = () => shop.database.db;
  const rows = async <T extends Record<string, unknown>>(query: ReturnType<typeof sql>) =>
    (await db().execute<T>(query)).rows;

  /** Refused with `code`, and nothing in the database (sessions, requests, reports too) moved. */
  async function refusedUnchanged(
    call: () => Promise<unknown>,
    code: TRPCError['code'],
    message?: RegExp,
  ) {
    const extra = async () => ({
      snapshot: await dbSnapshot(db()),
      sessions: await rows(sql`select token_hash, user_id from sessions order by 1`),
      users: await rows(sql`select id, handle, send_receipts, group_adds from users order by 1`),
      requests: await rows(sql`select group_id, status from message_requests order by 1`),
      reports: await rows(sql`select id, status from reports order by 1`),
      orders: await rows(sql`select id, buyer_id, status from orders order by 1`),
    });
    const before = await extra();
    const error = await expectRefusedUnchanged(db(), call, code, message);
    expect(await extra()).toEqual(before);
    return error;
  }

  /** The first events of a live `sync.events` stream through a caller, and a way to read on. */
  async function openStream(user: TestUser) {
    const stream = await user.api.sync.events({});
    const iterator = (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(dataOf(first.value).type).toBe('ready');
    return iterator;
  }

  /** Collects events published on the bus while `work` runs. */
  async function published<T>(work: () => Promise<T>): Promise<{ value: T; events: BusEvent[] }> {
    const events: BusEvent[] = [];
    const stop = deps.bus.subscribe((e) => events.push(e));
    try {
      return { value: await work(), events };
    } finally {
      stop();
    }
  }

  describe('settings', () => {
    it('auth.me shows the privacy settings, with read receipts on and friends able to add me', async () => {
      const ana = await signUp(deps, 'settings');
      const me = await ana.api.auth.me();
      expect(me.settings).toEqual({
        readReceipts: true,
        groupAdds: 'friends',
        findableByHandle: true,
      });
      const updated = await ana.api.auth.update({ readReceipts: false, groupAdds: 'nobody' });
      expect(updated.settings).toEqual({
        readReceipts: false,
        groupAdds: 'nobody',
        findableByHandle: true,
      });
      expect((await ana.api.auth.me()).settings).toEqual({
        readReceipts: false,
        groupAdds: 'nobody',
        findableByHandle: true,
      });
      await ana.api.auth.update({ findableByHandle: false });
      expect((await ana.api.auth.me()).settings.findableByHandle).toBe(false);
      // The older name of the same setting still works.
      await ana.api.auth.update({ sendReceipts: true });
      expect((await ana.api.auth.me()).settings.readReceipts).toBe(true);
    });

    it('bad settings are refused with a clear message and change nothing', async () => {
      const ana = await signUp(deps, 'badset');
      const bad = [
        { groupAdds: 'everyone' },
        { readReceipts: 'yes' },
        {},
        { readReceipts: true, sendReceipts: false },
      ];
      for (const input of bad) {
        const error = await refusedUnchanged(
          () => ana.api.auth.update(input as never),
          'BAD_REQUEST',
        );
        expect(error.message).toMatch(/groupAdds|readReceipts|Nothing to change/);
      }
    });

    it('with read receipts off, reading a thread tells nobody', async () => {
      const ana = await signUp(deps, 'reader');
      const bo = await signUp(deps, 'writer');
      await befriend(ana, bo);
      const group = await bo.api.groups.create({ name: 'Receipts', memberIds: [ana.id] });
      await bo.api.messages.send({ groupId: group.id, clientId: cid(), body: 'one' });
      await bo.api.messages.send({ groupId: group.id, clientId: cid(), body: 'two' });
      await ana.api.auth.update({ readReceipts: false });
      const quiet = await published(() => ana.api.messages.markRead({ groupId: group.id, seq: 1 }));
      expect(quiet.value.lastReadSeq).toBe(1);
      expect(quiet.events.filter((e) => e.type === 'read')).toEqual([]);
      await ana.api.auth.update({ readReceipts: true });
      const loud = await published(() => ana.api.messages.markRead({ groupId: group.id, seq: 2 }));
      expect(loud.events.filter((e) => e.type === 'read')).toHaveLength(1);
    });

    it('someone who lets nobody add them cannot be put in a group, by create or by addMembers', async () => {
      const owner = await signUp(deps, 'adder');
      const shy = await signUp(deps, 'shy');
      const open = await signUp(deps, 'open');
      await befriend(owner, shy);
      await befriend(owner, open);
      await shy.api.auth.update({ groupAdds: 'nobody' });

      const error = await refusedUnchanged(
        () => owner.api.groups.create({ name: 'Party', memberIds: [open.id, shy.id] }),
        'FORBIDDEN',
        /does not want to be added to groups/,
      );
      expect(error.message).toContain(`@${shy.handle}`);
      expect(error.message).not.toContain(open.handle);

      const group = await owner.api.groups.create({ name: 'Party', memberIds: [open.id] });
      await refusedUnchanged(
        () => owner.api.groups.addMembers({ groupId: group.id, userIds: [shy.id] }),
        'FORBIDDEN',
        /does not want to be added to groups/,
      );
      // A direct thread is not a group: friends can still message them.
      const direct = await owner.api.groups.openDirect({ userId: shy.id });
      expect(direct.members.map((m) => m.id).sort()).toEqual([owner.id, shy.id].sort());

      await shy.api.auth.update({ groupAdds: 'friends' });
      const added = await owner.api.groups.addMembers({ groupId: group.id, userIds: [shy.id] });
      expect(added.members.map((m) => m.id)).toContain(shy.id);
    });
  });

  describe('log out everywhere', () => {
    it('ends every session of mine, this one included, and my open streams; others stay signed in', async () => {
      const ana = await signUp(deps, 'everywhere');
      const other = await signUp(deps, 'bystander');
      const anon = await callerFor(deps);
      const second = await anon.auth.login({ handle: ana.handle, password: PASSWORD });
      const stream = await openStream(ana);
      const pending = stream.next();

      const result = await ana.api.auth.logoutAll();
      expect(result).toEqual({ ok: true, sessionsEnded: 2 });

      const ended = await refusal(pending);
      expect(ended.code).toBe('UNAUTHORIZED');
      expect(ended.message).toMatch(/Sign in again/);
      for (const token of [ana.token, second.token]) {
        const caller = await callerFor(deps, token);
        await expect(caller.auth.me()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
      }
      const [left] = await rows<{ n: number }>(
        sql`select count(*)::int as n from sessions where user_id = ${ana.id}`,
      );
      expect(Number(left?.n)).toBe(0);
      expect((await other.api.auth.me()).id).toBe(other.id);
      // Signing in again works, with a fresh session.
      const again = await anon.auth.login({ handle: ana.handle, password: PASSWORD });
      expect((await (await callerFor(deps, again.token)).auth.me()).id).toBe(ana.id);
    });

    it('closes the sockets of the ended sessions on the real server, and leaves other sockets open', async () => {
      const ana = await signUp(deps, 'socket');
      const bo = await signUp(deps, 'sockbo');
      const anaSocket = socketClient(shop.server.wsUrl, ana.token);
      const boSocket = socketClient(shop.server.wsUrl, bo.token);
      try {
        const anaEvents = subscribeEvents(anaSocket.client);
        const boEvents = subscribeEvents(boSocket.client);
        await Promise.all([anaEvents.ready(), boEvents.ready()]);
        const closed = new Promise<number>((resolve) => {
          const raw = anaSocket.ws.connection?.ws;
          if (!raw) throw new Error('socket not open');
          raw.addEventListener('close', (e) => resolve((e as CloseEvent).code));
        });
        await ana.api.auth.logoutAll();
        expect(await closed).toBe(SESSION_ENDED_CLOSE_CODE);
        // The client reconnects as nobody and its stream is refused.
        await expect(anaEvents.until(() => false, 5000)).rejects.toMatchObject({
          data: { code: 'UNAUTHORIZED' },
        });
        // Bo's socket still works.
        expect((await boSocket.client.auth.me.query()).id).toBe(bo.id);
        expect(boEvents.errors).toEqual([]);
      } finally {
        anaSocket.close();
        boSocket.close();
      }
    });

    it('log out everywhere asked over a socket gets its answer, then that socket closes', async () => {
      const ana = await signUp(deps, 'oversocket');
      const socket = socketClient(shop.server.wsUrl, ana.token);
      try {
        const events = subscribeEvents(socket.client);
        await events.ready();
        const closed = closeCodeOf(socket);
        expect(await socket.client.auth.logoutAll.mutate()).toEqual({
          ok: true,
          sessionsEnded: 1,
        });
        expect(await closed).toBe(SESSION_ENDED_CLOSE_CODE);
      } finally {
        socket.close();
      }
    });

    it('plain logout ends only its own session and its own stream', async () => {
      const ana = await signUp(deps, 'oneout');
      const anon = await callerFor(deps);
      const second = await anon.auth.login({ handle: ana.handle, password: PASSWORD });
      const secondApi = await callerFor(deps, second.token);
      const mine = await openStream(ana);
      const theirs = await openStream({ ...ana, token: second.token, api: secondApi });
      const minePending = mine.next();
      await ana.api.auth.logout();
      expect((await refusal(minePending)).code).toBe('UNAUTHORIZED');
      expect((await secondApi.auth.me()).id).toBe(ana.id);
      await theirs.return?.();
    });
  });

  describe('message requests', () => {
    /** ana and cy share a friend (bo) but are not friends with each other. */
    async function friendsOfFriend() {
      const ana = await signUp(deps, 'asker');
      const bo = await signUp(deps, 'between');
      const cy = await signUp(deps, 'asked');
      await befriend(ana, bo);
      await befriend(bo, cy);
      return { ana, bo, cy };
    }

    it('a friend of a friend opens a request: it waits in my requests, not in my list, and I hear nothing', async () => {
      const { ana, cy } = await friendsOfFriend();
      const cyStream = await openStream(cy);
      const thread = await ana.api.groups.openDirect({ userId: cy.id });
      expect(thread.kind).toBe('direct');
      expect(thread.members.map((m) => m.id)).toEqual([ana.id]);
      expect(thread.request).toEqual({
        pending: true,
        toUserId: cy.id,
        maxMessages: MAX_REQUEST_MESSAGES,
      });
      await ana.api.messages.send({
        groupId: thread.id,
        clientId: cid(),
        body: 'Hi! We met at Bo’s',
      });
      await ana.api.messages.send({ groupId: thread.id, clientId: cid(), clip: { url: CLIP } });

      expect((await cy.api.groups.list()).map((g) => g.id)).not.toContain(thread.id);
      // The requester sees the thread under the name of the one asked.
      const mine = (await ana.api.groups.list()).find((g) => g.id === thread.id);
      expect(mine).toMatchObject({ name: 'asked', peer: { id: cy.id, handle: cy.handle } });
      const requests = await cy.api.groups.requests();
      expect(requests).toEqual([
        {
          groupId: thread.id,
          from: { id: ana.id, handle: ana.handle, displayName: 'asker' },
          mutualFriends: 1,
          messageCount: 2,
          firstMessage: {
            kind: 'text',
            body: 'Hi! We met at Bo’s',
            clip: null,
            createdAt: expect.any(String),
          },
          createdAt: expect.any(String),
        },
      ]);
      // Not a member yet: the thread itself stays closed to me.
      await expect(cy.api.messages.list({ groupId: thread.id })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      // Nothing about it reached my live stream.
      const next = cyStream.next();
      const raced = await Promise.race([
        next.then((r) => dataOf(r.value)),
        new Promise((r) => setTimeout(() => r('quiet'), 300)),
      ]);
      expect(raced).toBe('quiet');
      // (Signing out ends the stream that is still waiting.)
      await cy.api.auth.logout();
      expect((await refusal(next)).code).toBe('UNAUTHORIZED');
      expect((await ana.api.groups.requests()).length).toBe(0);
    });

    it(`the requester may send ${MAX_REQUEST_MESSAGES} messages until it is accepted, then as many as they like`, async () => {
      const { ana, cy } = await friendsOfFriend();
      const thread = await ana.api.groups.openDirect({ userId: cy.id });
      for (let i = 0; i < MAX_REQUEST_MESSAGES; i++)
        await ana.api.messages.send({ groupId: thread.id, clientId: cid(), body: `hi ${i}` });
      await refusedUnchanged(
        () => ana.api.messages.send({ groupId: thread.id, clientId: cid(), body: 'hello??' }),
        'FORBIDDEN',
        /message request: you can send up to \d+ messages until they accept/,
      );

      const accepted = await published(() => cy.api.groups.acceptRequest({ groupId: thread.id }));
      expect(accepted.value.members.map((m) => m.id).sort()).toEqual([ana.id, cy.id].sort());
      expect(accepted.value.request).toBeNull();
      expect(accepted.events.map((e) => [e.type, e.userId])).toEqual([['member.added', cy.id]]);
      const listed = (await cy.api.groups.list()).find((g) => g.id === thread.id);
      expect(listed).toMatchObject({
        kind: 'direct',
        unread: MAX_REQUEST_MESSAGES,
        peer: { id: ana.id },
      });
      expect(await cy.api.groups.requests()).toEqual([]);
      const page = await cy.api.messages.list({ groupId: thread.id });
      expect(page.messages.map((m) => m.body)).toEqual(['hi 0', 'hi 1', 'hi 2']);
      await ana.api.messages.send({ groupId: thread.id, clientId: cid(), body: 'thanks!' });
      await cy.api.messages.send({ groupId: thread.id, clientId: cid(), body: 'hey' });
      expect((await ana.api.groups.get({ groupId: thread.id })).request).toBeNull();
      // Accepting twice: there is no request any more.
      await refusedUnchanged(
        () => cy.api.groups.acceptRequest({ groupId: thread.id }),
        'NOT_FOUND',
        /No such message request/,
      );
    });

    it('declining removes the request and stops the sender: no more messages, no new request', async () => {
      const { ana, cy } = await friendsOfFriend();
      const thread = await ana.api.groups.openDirect({ userId: cy.id });
      await ana.api.messages.send({ groupId: thread.id, clientId: cid(), body: 'hi' });
      expect(await cy.api.groups.declineRequest({ groupId: thread.id })).toEqual({
        ok: true,
        groupId: thread.id,
      });
      expect(await cy.api.groups.requests()).toEqual([]);
      // Declining again changes nothing.
      await cy.api.groups.declineRequest({ groupId: thread.id });
      await refusedUnchanged(
        () => ana.api.messages.send({ groupId: thread.id, clientId: cid(), body: 'please' }),
        'FORBIDDEN',
      );
      const again = await ana.api.groups.openDirect({ userId: cy.id });
      expect(again.id).toBe(thread.id);
      expect(await cy.api.groups.requests()).toEqual([]);
      await refusedUnchanged(
        () => cy.api.groups.acceptRequest({ groupId: thread.id }),
        'NOT_FOUND',
      );
      // I can still change my mind by opening the thread with them myself.
      const opened = await cy.api.groups.openDirect({ userId: ana.id });
      expect(opened.id).toBe(thread.id);
      expect(opened.members.map((m) => m.id).sort()).toEqual([ana.id, cy.id].sort());
      await ana.api.messages.send({ groupId: thread.id, clientId: cid(), body: 'at last' });
    });

    it('only the one asked can answer a request; the requester and strangers cannot', async () => {
      const { ana, cy } = await friendsOfFriend();
      const stranger = await signUp(deps, 'nosy');
      const thread = await ana.api.groups.openDirect({ userId: cy.id });
      for (const who of [ana, stranger]) {
        await refusedUnchanged(
          () => who.api.groups.acceptRequest({ groupId: thread.id }),
          'NOT_FOUND',
        );
        await refusedUnchanged(
          () => who.api.groups.declineRequest({ groupId: thread.id }),
          'NOT_FOUND',
        );
      }
      await refusedUnchanged(
        () => cy.api.groups.acceptRequest({ groupId: 'not-a-uuid' }),
        'BAD_REQUEST',
        /groupId must be a group id/,
      );
    });

    it('people who share no friend, or are blocked either way, still cannot message at all', async () => {
      const { ana, bo, cy } = await friendsOfFriend();
      const stranger = await signUp(deps, 'faraway');
      await refusedUnchanged(
        () => stranger.api.groups.openDirect({ userId: ana.id }),
        'FORBIDDEN',
        /friends of your friends/,
      );
      await cy.api.friends.block({ userId: ana.id });
      await refusedUnchanged(
        () => ana.api.groups.openDirect({ userId: cy.id }),
        'FORBIDDEN',
        /cannot message this person/,
      );
      await refusedUnchanged(
        () => cy.api.groups.openDirect({ userId: ana.id }),
        'FORBIDDEN',
        /cannot message this person/,
      );
      // A request made before a block: hidden from the one asked, and closed to the sender.
      const dee = await signUp(deps, 'dee');
      await befriend(bo, dee);
      const thread = await dee.api.groups.openDirect({ userId: ana.id });
      expect((await ana.api.groups.requests()).map((r) => r.groupId)).toEqual([thread.id]);
      await ana.api.friends.block({ userId: dee.id });
      expect(await ana.api.groups.requests()).toEqual([]);
      await refusedUnchanged(
        () => dee.api.messages.send({ groupId: thread.id, clientId: cid(), body: 'hm' }),
        'FORBIDDEN',
      );
    });

    it('friends still get an ordinary thread straight away, and becoming friends lifts a request', async () => {
      const { ana, bo, cy } = await friendsOfFriend();
      const direct = await ana.api.groups.openDirect({ userId: bo.id });
      expect(direct.request).toBeNull();
      expect(direct.members).toHaveLength(2);
      const thread = await ana.api.groups.openDirect({ userId: cy.id });
      expect(thread.request).not.toBeNull();
      await befriend(cy, ana);
      const now = await ana.api.groups.openDirect({ userId: cy.id });
      expect(now.id).toBe(thread.id);
      expect(now.request).toBeNull();
      expect(now.members.map((m) => m.id).sort()).toEqual([ana.id, cy.id].sort());
    });
  });

  describe('reports', () => {
    it('a member reports a message once: stored for review with its body as it was', async () => {
      const ana = await signUp(deps, 'reporter');
      const bo = await signUp(deps, 'reported');
      await befriend(ana, bo);
      const group = await ana.api.groups.create({ name: 'Reports', memberIds: [bo.id] });
      const msg = await bo.api.messages.send({ groupId: group.id, clientId: cid(), body: 'rude' });
      const report = await ana.api.messages.report({
        messageId: msg.id,
        reason: 'harassment',
        note: '  not ok  ',
      });
      expect(report).toEqual({
        reportId: expect.any(String),
        messageId: msg.id,
        status: 'open',
        createdAt: expect.any(String),
      });
      await bo.api.messages.edit({ messageId: msg.id, body: 'nice' });
      const again = await ana.api.messages.report({ messageId: msg.id, reason: 'spam' });
      expect(again.reportId).toBe(report.reportId);
      const stored = await rows(
        sql`select reporter_id, message_id, group_id, reported_user_id, reason, note, body_snapshot, status
            from reports where message_id = ${msg.id}`,
      );
      expect(stored).toEqual([
        {
          reporter_id: ana.id,
          message_id: msg.id,
          group_id: group.id,
          reported_user_id: bo.id,
          reason: 'harassment',
          note: 'not ok',
          body_snapshot: 'rude',
          status: 'open',
        },
      ]);
      // Two at once still store one.
      const other = await bo.api.messages.send({ groupId: group.id, clientId: cid(), body: 'x' });
      const both = await Promise.all([
        ana.api.messages.report({ messageId: other.id, reason: 'spam' }),
        ana.api.messages.report({ messageId: other.id, reason: 'spam' }),
      ]);
      expect(both[0].reportId).toBe(both[1].reportId);
    });

    it('outsiders cannot report, and bad reports are refused, changing nothing', async () => {
      const ana = await signUp(deps, 'rep2');
      const bo = await signUp(deps, 'rep3');
      const out = await signUp(deps, 'outsider');
      await befriend(ana, bo);
      const group = await ana.api.groups.create({ name: 'Closed', memberIds: [bo.id] });
      const msg = await bo.api.messages.send({ groupId: group.id, clientId: cid(), body: 'hi' });
      await refusedUnchanged(
        () => out.api.messages.report({ messageId: msg.id, reason: 'spam' }),
        'NOT_FOUND',
      );
      await refusedUnchanged(
        () => out.api.messages.report({ messageId: randomUUID(), reason: 'spam' }),
        'NOT_FOUND',
      );
      await refusedUnchanged(
        () => ana.api.messages.report({ messageId: msg.id, reason: 'boring' as never }),
        'BAD_REQUEST',
        /reason must be spam, harassment or other/,
      );
      await refusedUnchanged(
        () =>
          ana.api.messages.report({ messageId: msg.id, reason: 'other', note: 'x'.repeat(501) }),
        'BAD_REQUEST',
        /at most 500 characters/,
      );
    });
  });

  describe('export', () => {
    it('gives everything about me as one JSON object, and nobody else’s secrets', async () => {
      const ana = await signUp(deps, 'exporter');
      const bo = await signUp(deps, 'expfriend');
      const cy = await signUp(deps, 'expblocked');
      const seller = await signUp(deps, 'expseller');
      await befriend(ana, bo);
      await ana.api.friends.block({ userId: cy.id });
      const invite = await ana.api.friends.createInvite({ maxUses: 3 });
      const group = await ana.api.groups.create({ name: 'Export club', memberIds: [bo.id] });
      const sent = await ana.api.messages.send({
        groupId: group.id,
        clientId: cid(),
        body: 'look at this',
        clip: { url: CLIP, title: 'A short' },
        atSeconds: 3,
      });
      const theirs = await bo.api.messages.send({ groupId: group.id, clientId: cid(), body: 'ha' });
      await ana.api.messages.react({ messageId: theirs.id, emoji: '🔥' });
      await ana.api.messages.markRead({ groupId: group.id, seq: 2 });
      await ana.api.messages.report({ messageId: theirs.id, reason: 'other', note: 'testing' });
      const brand = await makeBrand(shop, seller, { name: 'Seller' });
      const product = await makeProduct(seller, brand.id, { title: 'Mug', priceCents: 1200 });
      const order = await ana.api.checkout.create({
        items: [{ productId: product.id, quantity: 2 }],
        source: { url: CLIP },
        clientId: newClientId(),
      });
      const ownBrand = await makeBrand(shop, ana, { name: 'Mine', selling: false });

      const asker = await signUp(deps, 'asker');
      await asker.api.friends.request({ handle: ana.handle });

      const data = await ana.api.account.export();
      expect(data.profile).toMatchObject({ id: ana.id, handle: ana.handle });
      expect(data.settings).toEqual({
        readReceipts: true,
        groupAdds: 'friends',
        findableByHandle: true,
      });
      expect(data.friendRequests.outgoing).toEqual([]);
      expect(data.friendRequests.incoming).toEqual([
        expect.objectContaining({
          from: { id: asker.id, handle: asker.handle, displayName: 'asker' },
        }),
      ]);
      expect(data.friends.map((f) => f.id)).toEqual([bo.id]);
      expect(data.blocked.map((b) => b.id)).toEqual([cy.id]);
      // (befriend used an invite of ana's too.)
      expect(data.invites).toHaveLength(2);
      expect(data.invites).toContainEqual(
        expect.objectContaining({ code: invite.code, maxUses: 3, uses: 0 }),
      );
      expect(data.groups).toEqual([
        expect.objectContaining({ id: group.id, name: 'Export club', role: 'owner' }),
      ]);
      expect(data.readPositions).toEqual([{ groupId: group.id, lastReadSeq: 2 }]);
      expect(data.messages).toEqual([
        expect.objectContaining({
          id: sent.id,
          groupId: group.id,
          body: 'look at this',
          atSeconds: 3,
          clip: expect.objectContaining({
            site: 'youtube',
            url: expect.stringContaining('aBcDeFgHiJk'),
          }),
        }),
      ]);
      expect(data.reactions).toEqual([
        expect.objectContaining({ messageId: theirs.id, emoji: '🔥' }),
      ]);
      expect(data.orders).toEqual([
        expect.objectContaining({ id: order.orderId, status: 'pending', totalCents: 2400 }),
      ]);
      expect(JSON.stringify(data.orders[0])).toContain('Mug');
      expect(data.brands).toEqual([expect.objectContaining({ id: ownBrand.id, name: 'Mine' })]);
      expect(data.reports).toEqual([
        expect.objectContaining({ messageId: theirs.id, reason: 'other', note: 'testing' }),
      ]);
      expect(data.sessions).toHaveLength(1);

      const text = JSON.stringify(data);
      const secrets = await rows<{ token_hash: string }>(sql`select token_hash from sessions`);
      const hashes = await rows<{ password_hash: string }>(sql`select password_hash from users`);
      for (const s of [...secrets.map((r) => r.token_hash), ...hashes.map((r) => r.password_hash)])
        expect(text).not.toContain(s);
      for (const token of [ana.token, bo.token, cy.token, seller.token])
        expect(text).not.toContain(token);
      // The buyer's own orders carry the email and address Checkout collected from them (none
      // yet: this order is unpaid) and the brand's public support email; nothing else may.
      expect(data.orders[0]).toMatchObject({ email: null, shipping: null });
      const others = text.replace(/"(email|supportEmail)":null/g, '');
      expect(others).not.toMatch(/password|token_?hash|email/i);
    });

    it('keeps my messages from a group I was removed from, without that group’s ids', async () => {
      const ana = await signUp(deps, 'leaver');
      const bo = await signUp(deps, 'kicker');
      await befriend(ana, bo);
      const group = await bo.api.groups.create({ name: 'Secret name', memberIds: [ana.id] });
      await ana.api.messages.send({ groupId: group.id, clientId: cid(), body: 'my words' });
      await bo.api.groups.removeMember({ groupId: group.id, userId: ana.id });
      const data = await ana.api.account.export();
      expect(data.messages).toEqual([
        expect.objectContaining({
          body: 'my words',
          id: null,
          groupId: null,
          inCurrentGroup: false,
        }),
      ]);
      expect(JSON.stringify(data)).not.toContain(group.id);
      expect(JSON.stringify(data)).not.toContain('Secret name');
    });
  });

  describe('deleting an account', () => {
    it('a wrong password is refused with a clear message, and nothing changes', async () => {
      const ana = await signUp(deps, 'keepme');
      const error = await refusedUnchanged(
        () => ana.api.account.delete({ password: 'not my password' }),
        'FORBIDDEN',
        /not your password.*not deleted/,
      );
      expect(error.code).not.toBe('UNAUTHORIZED');
      await refusedUnchanged(() => ana.api.account.delete({ password: '' }), 'BAD_REQUEST');
      expect((await ana.api.auth.me()).id).toBe(ana.id);
    });

    it('too many wrong passwords lock deletion for a while, even with the right one', async () => {
      const ana = await signUp(deps, 'guessed');
      const tries = deps.limits.settings.loginFailures;
      for (let i = 0; i < tries; i++)
        await expect(ana.api.account.delete({ password: `guess ${i}` })).rejects.toMatchObject({
          code: 'FORBIDDEN',
        });
      await refusedUnchanged(
        () => ana.api.account.delete({ password: PASSWORD }),
        'TOO_MANY_REQUESTS',
        /Try again in \d+ s/,
      );
      expect((await ana.api.auth.me()).id).toBe(ana.id);
    });

    it('is refused while I own a brand, saying what to do, and nothing changes', async () => {
      const owner = await signUp(deps, 'brandowner');
      await makeBrand(shop, owner, { name: 'Keeps Orders', selling: false });
      await refusedUnchanged(
        () => owner.api.account.delete({ password: PASSWORD }),
        'PRECONDITION_FAILED',
        /own the brand "\u2068Keeps Orders\u2069".*Contact support/,
      );
    });

    it('removes me everywhere in one go: groups pass on, messages stay as "deleted user", orders stay without me', async () => {
      const ana = await signUp(deps, 'leaving');
      const bo = await signUp(deps, 'staying');
      const cy = await signUp(deps, 'admin');
      const dee = await signUp(deps, 'requested');
      const seller = await signUp(deps, 'shopkeep');
      await befriend(ana, bo);
      await befriend(ana, cy);
      await befriend(bo, dee);
      await ana.api.friends.block({ userId: seller.id });
      await ana.api.friends.createInvite();

      // A group ana owns with an admin (who becomes owner), one left with only ana (archived),
      // a direct thread with bo (which bo keeps), and a request ana sent to dee.
      const club = await ana.api.groups.create({ name: 'Club', memberIds: [bo.id, cy.id] });
      await ana.api.groups.setRole({ groupId: club.id, userId: cy.id, role: 'admin' });
      const solo = await ana.api.groups.create({ name: 'Solo', memberIds: [bo.id] });
      await bo.api.groups.leave({ groupId: solo.id });
      const direct = await ana.api.groups.openDirect({ userId: bo.id });
      const request = await ana.api.groups.openDirect({ userId: dee.id });
      const clubMsg = await ana.api.messages.send({
        groupId: club.id,
        clientId: cid(),
        body: 'bye all',
      });
      await ana.api.messages.send({ groupId: direct.id, clientId: cid(), body: 'psst' });
      const boMsg = await bo.api.messages.send({ groupId: club.id, clientId: cid(), body: 'ok' });
      await ana.api.messages.react({ messageId: boMsg.id, emoji: '👍' });
      await ana.api.messages.report({ messageId: boMsg.id, reason: 'spam' });

      const brand = await makeBrand(shop, seller, { name: 'Shop' });
      const product = await makeProduct(seller, brand.id, { title: 'Lamp', priceCents: 5000 });
      const order = await ana.api.checkout.create({
        items: [{ productId: product.id, quantity: 1 }],
        source: { url: CLIP, groupId: club.id },
        clientId: newClientId(),
      });
      const [orderBefore] = await rows(
        sql`select status, total_cents, fee_cents, currency, stripe_session_id from orders where id = ${order.orderId}`,
      );

      const boStream = await openStream(bo);
      const anaStream = await openStream(ana);

      const done = await published(() => ana.api.account.delete({ password: PASSWORD }));
      expect(done.value).toEqual({ ok: true, groupsLeft: 4, groupsArchived: 2 });

      // Others saw ana leave, and the club its new owner.
      const types = done.events.filter((e) => e.id !== undefined).map((e) => [e.type, e.groupId]);
      expect(types).toEqual(
        expect.arrayContaining([
          ['member.left', club.id],
          ['member.role', club.id],
          ['member.left', solo.id],
          ['group.archived', solo.id],
          ['member.left', direct.id],
          ['member.left', request.id],
          ['group.archived', request.id],
        ]),
      );
      const boSaw: [string, string | null][] = [];
      for (let i = 0; i < 3; i++) {
        const event = dataOf((await boStream.next()).value);
        boSaw.push([event.type, event.groupId]);
      }
      expect(boSaw.sort()).toEqual(
        [
          ['member.left', club.id],
          ['member.role', club.id],
          ['member.left', direct.id],
        ].sort(),
      );
      await boStream.return?.();

      // My open stream ended; my token, my login are gone; my handle is free.
      // (It first hears its own departures, then is cut off.)
      const heard: string[] = [];
      const cutOff = await refusal(
        (async () => {
          for (let i = 0; i < 20; i++) heard.push(dataOf((await anaStream.next()).value).type);
        })(),
      );
      expect(cutOff.code).toBe('UNAUTHORIZED');
      expect(heard.filter((t) => t === 'member.left')).toHaveLength(4);
      await expect(ana.api.auth.me()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
      const anon = await callerFor(deps);
      await expect(
        anon.auth.login({ handle: ana.handle, password: PASSWORD }),
      ).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
      for (const table of ['sessions', 'friendships', 'blocks', 'invites', 'group_members']) {
        const column =
          table === 'friendships'
            ? sql`user_id = ${ana.id} or friend_id = ${ana.id}`
            : table === 'blocks'
              ? sql`blocker_id = ${ana.id} or blocked_id = ${ana.id}`
              : table === 'invites'
                ? sql`inviter_id = ${ana.id}`
                : sql`user_id = ${ana.id}`;
        const [count] = await rows<{ n: number }>(
          sql`select count(*)::int as n from ${sql.identifier(table)} where ${column}`,
        );
        expect(Number(count?.n), table).toBe(0);
      }

      // The club carries on under its admin; bo still has the direct thread and ana's words.
      const clubNow = await bo.api.groups.get({ groupId: club.id });
      expect(clubNow.members.map((m) => [m.id, m.role]).sort()).toEqual(
        [
          [bo.id, 'member'],
          [cy.id, 'owner'],
        ].sort(),
      );
      const clubPage = await bo.api.messages.list({ groupId: club.id });
      const gone = clubPage.messages.find((m) => m.id === clubMsg.id);
      expect(gone).toMatchObject({ body: 'bye all', sender: null });
      expect(clubPage.messages.find((m) => m.id === boMsg.id)?.reactions).toEqual([]);
      const directPage = await bo.api.messages.list({ groupId: direct.id });
      expect(directPage.messages.map((m) => [m.body, m.sender])).toEqual([['psst', null]]);
      expect((await bo.api.groups.list()).map((g) => g.id)).toContain(direct.id);
      expect(await dee.api.groups.requests()).toEqual([]);

      // Replayed history keeps no name of ana's.
      const [named] = await rows<{ n: number }>(
        sql`select count(*)::int as n from events where payload::text like ${`%${ana.handle}%`}`,
      );
      expect(Number(named?.n)).toBe(0);

      // The order stays for the brand, with no buyer.
      const [orderAfter] = await rows(
        sql`select status, total_cents, fee_cents, currency, stripe_session_id from orders where id = ${order.orderId}`,
      );
      expect(orderAfter).toEqual(orderBefore);
      const [buyer] = await rows<{ buyer_id: string | null }>(
        sql`select buyer_id from orders where id = ${order.orderId}`,
      );
      expect(buyer?.buyer_id).toBeNull();
      const brandOrders = await seller.api.brands.orders({ brandId: brand.id });
      expect(JSON.stringify(brandOrders)).toContain(order.orderId);
      // My report stays for review, without me.
      const [report] = await rows<{ reporter_id: string | null }>(
        sql`select reporter_id from reports where message_id = ${boMsg.id}`,
      );
      expect(report).toEqual({ reporter_id: null });

      // The handle can be taken again.
      const reborn = await anon.auth.register({ handle: ana.handle, password: 'a new password' });
      expect(reborn.user.id).not.toBe(ana.id);
      expect(await (await callerFor(deps, reborn.token)).groups.list()).toEqual([]);
      expect(hashToken(ana.token)).not.toBe(hashToken(reborn.token));
    });
  });
});
