import { randomUUID } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BusEvent } from '../../server/bus';
import type { Deps } from '../../server/deps';
import { engines, openTestDatabase, type TestDatabase } from '../fixtures/db';
import { befriend, makeDeps, signUp, type TestUser } from '../fixtures/deps';
import { tableCounts } from '../fixtures/snapshot';

const cid = () => `c_${randomUUID()}`;

async function failure(promise: Promise<unknown>): Promise<TRPCError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, 'expected the call to be refused').toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

describe.each(engines)('messages on %s', (engine) => {
  let database: TestDatabase;
  let deps: Deps;
  let ana: TestUser;
  let ben: TestUser;
  let cai: TestUser;

  /** A new group owned by Ana with Ben and Cai in it, so each test has its own thread. */
  async function newGroup(name = 'Film club') {
    return ana.api.groups.create({ name, memberIds: [ben.id, cai.id] });
  }

  async function rowsOf(groupId: string) {
    const result = await database.db.execute<{ seq: number; client_id: string }>(
      sql`select seq, client_id from messages where group_id = ${groupId} order by seq`,
    );
    return result.rows;
  }

  async function eventsOf(groupId: string, type: string) {
    const result = await database.db.execute<{ id: number; payload: { id: string; seq: number } }>(
      sql`select id, payload from events where group_id = ${groupId} and type = ${type} order by id`,
    );
    return result.rows;
  }

  beforeAll(async () => {
    database = await openTestDatabase(engine);
    deps = makeDeps(database.db);
    ana = await signUp(deps, 'ana');
    ben = await signUp(deps, 'ben');
    cai = await signUp(deps, 'cai');
    await befriend(ana, ben);
    await befriend(ana, cai);
  });
  afterAll(() => database?.close());

  describe('send', () => {
    it('numbers messages 1, 2, 3… per group, trims the body and names the sender', async () => {
      const g1 = await newGroup();
      const g2 = await newGroup('Other');
      const a = await ana.api.messages.send({ groupId: g1.id, clientId: cid(), body: '  hi  ' });
      const b = await ben.api.messages.send({ groupId: g1.id, clientId: cid(), body: 'hey' });
      const other = await cai.api.messages.send({ groupId: g2.id, clientId: cid(), body: 'x' });
      const c = await cai.api.messages.send({ groupId: g1.id, clientId: cid(), body: 'yo\n' });
      expect([a.seq, b.seq, c.seq]).toEqual([1, 2, 3]);
      expect(other.seq).toBe(1);
      expect(a).toMatchObject({
        groupId: g1.id,
        kind: 'text',
        body: 'hi',
        sender: { id: ana.id, handle: ana.handle },
        editedAt: null,
        deletedAt: null,
        reactions: [],
      });
      expect(c.body).toBe('yo');
      expect(Date.parse(a.createdAt)).not.toBeNaN();
      expect((await ana.api.groups.get({ groupId: g1.id })).lastSeq).toBe(3);
    });

    it('accepts 4,000 characters and refuses 4,001 or an empty body without storing anything', async () => {
      const g = await newGroup();
      const long = await ana.api.messages.send({
        groupId: g.id,
        clientId: cid(),
        body: 'x'.repeat(4000),
      });
      expect(long.body).toHaveLength(4000);
      const before = await tableCounts(database.db);
      for (const body of ['x'.repeat(4001), '', '   \n\t ']) {
        const error = await failure(
          ana.api.messages.send({ groupId: g.id, clientId: cid(), body }),
        );
        expect(error.code).toBe('BAD_REQUEST');
      }
      expect(await tableCounts(database.db)).toEqual(before);
      expect(await rowsOf(g.id)).toHaveLength(1);
    });

    it('stores one message.created event per send, carrying the message', async () => {
      const g = await newGroup();
      const sent = [];
      for (let i = 0; i < 3; i++)
        sent.push(await ben.api.messages.send({ groupId: g.id, clientId: cid(), body: `m${i}` }));
      const created = await eventsOf(g.id, 'message.created');
      expect(created.map((e) => e.payload.id)).toEqual(sent.map((m) => m.id));
      expect(created.map((e) => e.payload.seq)).toEqual([1, 2, 3]);
    });

    it('a reply must point at a message of the same group', async () => {
      const g = await newGroup();
      const elsewhere = await newGroup('Elsewhere');
      const root = await ana.api.messages.send({ groupId: g.id, clientId: cid(), body: 'q?' });
      const foreign = await ana.api.messages.send({
        groupId: elsewhere.id,
        clientId: cid(),
        body: 'other thread',
      });
      const reply = await ben.api.messages.send({
        groupId: g.id,
        clientId: cid(),
        body: 'a!',
        replyTo: root.id,
      });
      expect(reply.replyTo).toBe(root.id);
      const before = await tableCounts(database.db);
      for (const replyTo of [foreign.id, randomUUID()]) {
        const error = await failure(
          ben.api.messages.send({ groupId: g.id, clientId: cid(), body: 'nope', replyTo }),
        );
        expect(error.code).toBe('NOT_FOUND');
      }
      expect(await tableCounts(database.db)).toEqual(before);
      expect((await ana.api.groups.get({ groupId: g.id })).lastSeq).toBe(2);
    });
  });

  describe('idempotency on (sender, clientId)', () => {
    it('a retry returns the identical message and stores one row and one event', async () => {
      const g = await newGroup();
      const clientId = cid();
      const first = await ana.api.messages.send({ groupId: g.id, clientId, body: 'once' });
      const again = await ana.api.messages.send({ groupId: g.id, clientId, body: 'once' });
      expect(again).toEqual(first);
      expect(await rowsOf(g.id)).toEqual([{ seq: 1, client_id: clientId }]);
      expect(await eventsOf(g.id, 'message.created')).toHaveLength(1);
      // The next message still gets the next seq: the retry did not burn one.
      const next = await ana.api.messages.send({ groupId: g.id, clientId: cid(), body: 'two' });
      expect(next.seq).toBe(2);
    });

    it('ten concurrent retries all return the same message and store one row', async () => {
      const g = await newGroup();
      const clientId = cid();
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          ben.api.messages.send({ groupId: g.id, clientId, body: 'racing' }),
        ),
      );
      const [first] = results;
      for (const r of results) expect(r).toEqual(first);
      expect(first?.seq).toBe(1);
      expect(await rowsOf(g.id)).toHaveLength(1);
      expect(await eventsOf(g.id, 'message.created')).toHaveLength(1);
      expect((await ben.api.groups.get({ groupId: g.id })).lastSeq).toBe(1);
    });

    it('another sender may use the same clientId: it is only unique per sender', async () => {
      const g = await newGroup();
      const clientId = cid();
      const a = await ana.api.messages.send({ groupId: g.id, clientId, body: 'mine' });
      const b = await ben.api.messages.send({ groupId: g.id, clientId, body: 'mine too' });
      expect(b.id).not.toBe(a.id);
      expect(b.seq).toBe(2);
    });

    it('the same clientId in another group is a CONFLICT and changes nothing', async () => {
      const g1 = await newGroup();
      const g2 = await newGroup('Second');
      const clientId = cid();
      await cai.api.messages.send({ groupId: g1.id, clientId, body: 'first' });
      const before = await tableCounts(database.db);
      const error = await failure(
        cai.api.messages.send({ groupId: g2.id, clientId, body: 'first' }),
      );
      expect(error.code).toBe('CONFLICT');
      expect(error.message).toMatch(/clientId/);
      expect(await tableCounts(database.db)).toEqual(before);
      expect(await rowsOf(g2.id)).toEqual([]);
    });
  });

  it('seq stays contiguous with three senders sending 20 messages each at once', async () => {
    const g = await newGroup();
    const sends = [ana, ben, cai].flatMap((user) =>
      Array.from({ length: 20 }, (_, i) =>
        user.api.messages.send({ groupId: g.id, clientId: cid(), body: `${user.handle} ${i}` }),
      ),
    );
    const sent = await Promise.all(sends);
    const seqs = sent.map((m) => m.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect((await rowsOf(g.id)).map((r) => r.seq)).toEqual(seqs);
    const created = await eventsOf(g.id, 'message.created');
    expect(created).toHaveLength(60);
    // Event ids follow seq order within the group: a reader never sees seq n+1 before n.
    expect(created.map((e) => e.payload.seq)).toEqual(seqs);
    expect((await ana.api.groups.get({ groupId: g.id })).lastSeq).toBe(60);
  });

  describe('list', () => {
    let groupId: string;
    const TOTAL = 23;

    beforeAll(async () => {
      groupId = (await newGroup('Paging')).id;
      for (let i = 1; i <= TOTAL; i++) {
        const who = [ana, ben, cai][i % 3]!;
        await who.api.messages.send({ groupId, clientId: cid(), body: `message ${i}` });
      }
    });

    const seqs = (page: { messages: { seq: number }[] }) => page.messages.map((m) => m.seq);
    const range = (from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, i) => from + i);

    it('without cursors gives the latest page, oldest first', async () => {
      const page = await ben.api.messages.list({ groupId, limit: 5 });
      expect(seqs(page)).toEqual(range(19, 23));
      expect(page.hasMore).toBe(true);
      expect(page.messages[4]).toMatchObject({ body: 'message 23', groupId });
      const all = await ben.api.messages.list({ groupId });
      expect(seqs(all)).toEqual(range(1, 23));
      expect(all.hasMore).toBe(false);
    });

    it('beforeSeq pages backwards and afterSeq forwards, with hasMore at the ends', async () => {
      expect(seqs(await ana.api.messages.list({ groupId, beforeSeq: 10, limit: 4 }))).toEqual(
        range(6, 9),
      );
      const start = await ana.api.messages.list({ groupId, beforeSeq: 4, limit: 4 });
      expect(seqs(start)).toEqual([1, 2, 3]);
      expect(start.hasMore).toBe(false);
      const exact = await ana.api.messages.list({ groupId, beforeSeq: 5, limit: 4 });
      expect(seqs(exact)).toEqual([1, 2, 3, 4]);
      expect(exact.hasMore).toBe(false);
      const forward = await ana.api.messages.list({ groupId, afterSeq: 10, limit: 4 });
      expect(seqs(forward)).toEqual(range(11, 14));
      expect(forward.hasMore).toBe(true);
      const end = await ana.api.messages.list({ groupId, afterSeq: 19, limit: 4 });
      expect(seqs(end)).toEqual(range(20, 23));
      expect(end.hasMore).toBe(false);
      const past = await ana.api.messages.list({ groupId, afterSeq: 23 });
      expect(past).toEqual({ messages: [], hasMore: false });
      const window = await ana.api.messages.list({ groupId, afterSeq: 5, beforeSeq: 9 });
      expect(seqs(window)).toEqual([6, 7, 8]);
      expect(window.hasMore).toBe(false);
    });

    it('walking backwards and forwards both visit the whole thread once', async () => {
      for (const limit of [1, 4, 7, 23, 200]) {
        const back: number[] = [];
        let page = await cai.api.messages.list({ groupId, limit });
        back.unshift(...seqs(page));
        while (page.hasMore) {
          page = await cai.api.messages.list({ groupId, limit, beforeSeq: back[0] });
          expect(page.messages.length).toBeGreaterThan(0);
          back.unshift(...seqs(page));
        }
        expect(back).toEqual(range(1, TOTAL));

        const forward: number[] = [];
        let after = 0;
        for (;;) {
          const next = await cai.api.messages.list({ groupId, limit, afterSeq: after });
          forward.push(...seqs(next));
          if (!next.hasMore) break;
          after = forward.at(-1)!;
        }
        expect(forward).toEqual(range(1, TOTAL));
      }
    });

    it('an empty thread lists nothing; limits outside 1–200 are refused', async () => {
      const g = await newGroup('Quiet');
      expect(await ana.api.messages.list({ groupId: g.id })).toEqual({
        messages: [],
        hasMore: false,
      });
      for (const limit of [0, 201, 2.5]) {
        const error = await failure(ana.api.messages.list({ groupId, limit }));
        expect(error.code).toBe('BAD_REQUEST');
      }
    });
  });

  describe('edit and delete', () => {
    it('only the sender edits; the edit is trimmed, marked and listed', async () => {
      const g = await newGroup();
      const m = await ana.api.messages.send({ groupId: g.id, clientId: cid(), body: 'typo' });
      const edited = await ana.api.messages.edit({ messageId: m.id, body: ' fixed ' });
      expect(edited).toMatchObject({ id: m.id, seq: 1, body: 'fixed' });
      expect(edited.editedAt).not.toBeNull();
      expect((await ben.api.messages.list({ groupId: g.id })).messages[0]?.body).toBe('fixed');
      const before = await tableCounts(database.db);
      expect((await failure(ben.api.messages.edit({ messageId: m.id, body: 'hijack' }))).code).toBe(
        'FORBIDDEN',
      );
      expect((await failure(ana.api.messages.edit({ messageId: m.id, body: ' ' }))).code).toBe(
        'BAD_REQUEST',
      );
      expect(await tableCounts(database.db)).toEqual(before);
      expect((await ben.api.messages.list({ groupId: g.id })).messages[0]?.body).toBe('fixed');
      expect(await eventsOf(g.id, 'message.edited')).toHaveLength(1);
    });

    it('only the sender deletes; a tombstone with a null body keeps its seq', async () => {
      const g = await newGroup();
      const first = await ben.api.messages.send({ groupId: g.id, clientId: cid(), body: 'one' });
      const doomed = await ben.api.messages.send({ groupId: g.id, clientId: cid(), body: 'oops' });
      await ana.api.messages.send({ groupId: g.id, clientId: cid(), body: 'three' });
      await ana.api.messages.react({ messageId: doomed.id, emoji: '👍' });
      expect((await failure(ana.api.messages.delete({ messageId: doomed.id }))).code).toBe(
        'FORBIDDEN',
      );

      const tomb = await ben.api.messages.delete({ messageId: doomed.id });
      expect(tomb).toMatchObject({ id: doomed.id, seq: 2, body: null, reactions: [] });
      expect(tomb.deletedAt).not.toBeNull();
      const listed = await cai.api.messages.list({ groupId: g.id });
      expect(listed.messages.map((m) => [m.seq, m.body])).toEqual([
        [1, 'one'],
        [2, null],
        [3, 'three'],
      ]);
      const stored = await database.db.execute<{ body: string | null }>(
        sql`select body from messages where id = ${doomed.id}`,
      );
      expect(stored.rows).toEqual([{ body: null }]);
      const reactionRows = await database.db.execute(
        sql`select 1 from reactions where message_id = ${doomed.id}`,
      );
      expect(reactionRows.rows).toHaveLength(0);

      // Deleting again is harmless; editing or reacting to a tombstone is refused.
      expect((await ben.api.messages.delete({ messageId: doomed.id })).deletedAt).toBe(
        tomb.deletedAt,
      );
      expect(
        (await failure(ben.api.messages.edit({ messageId: doomed.id, body: 'back' }))).code,
      ).toBe('PRECONDITION_FAILED');
      expect(
        (await failure(ana.api.messages.react({ messageId: doomed.id, emoji: '👍' }))).code,
      ).toBe('PRECONDITION_FAILED');
      expect(await eventsOf(g.id, 'message.deleted')).toHaveLength(1);
      // A retry of the deleted message's send returns the tombstone, not a new message.
      const retry = await ben.api.messages.send({
        groupId: g.id,
        clientId: doomed.clientId,
        body: 'oops',
      });
      expect(retry).toMatchObject({ id: doomed.id, seq: 2, body: null });
      expect(first.seq).toBe(1);
    });
    it('an edit racing a delete never puts text back into the tombstone', async () => {
      const g = await newGroup();
      for (let round = 0; round < 6; round++) {
        const m = await ben.api.messages.send({ groupId: g.id, clientId: cid(), body: 'secret' });
        const edit = () => ben.api.messages.edit({ messageId: m.id, body: 'still secret' });
        const remove = () => ben.api.messages.delete({ messageId: m.id });
        const results = await Promise.allSettled(
          round % 2 ? [edit(), remove(), edit()] : [remove(), edit(), remove()],
        );
        for (const r of results) {
          if (r.status === 'rejected')
            expect((r.reason as TRPCError).code).toBe('PRECONDITION_FAILED');
        }
        const stored = await database.db.execute<{ body: string | null; deleted: boolean }>(
          sql`select body, deleted_at is not null as deleted from messages where id = ${m.id}`,
        );
        expect(stored.rows).toEqual([{ body: null, deleted: true }]);
      }
      // However the races went, each message was announced deleted exactly once.
      const deletions = await eventsOf(g.id, 'message.deleted');
      expect(deletions).toHaveLength(6);
      expect(new Set(deletions.map((e) => e.payload.id)).size).toBe(6);
    });
  });

  describe('react', () => {
    it('toggles a reaction per user and emoji and summarises who reacted', async () => {
      const g = await newGroup();
      const m = await cai.api.messages.send({ groupId: g.id, clientId: cid(), body: 'lol' });
      const on = await ana.api.messages.react({ messageId: m.id, emoji: '👍' });
      expect(on).toMatchObject({ messageId: m.id, emoji: '👍', active: true });
      expect(on.reactions).toEqual([{ emoji: '👍', count: 1, userIds: [ana.id] }]);
      const two = await ben.api.messages.react({ messageId: m.id, emoji: '👍' });
      expect(two.reactions).toEqual([{ emoji: '👍', count: 2, userIds: [ana.id, ben.id] }]);
      const heart = await ana.api.messages.react({ messageId: m.id, emoji: '❤️' });
      expect(heart.reactions.map((r) => r.emoji)).toEqual(['👍', '❤️']);
      const off = await ana.api.messages.react({ messageId: m.id, emoji: '👍' });
      expect(off.active).toBe(false);
      expect(off.reactions).toEqual([
        { emoji: '👍', count: 1, userIds: [ben.id] },
        { emoji: '❤️', count: 1, userIds: [ana.id] },
      ]);
      const listed = (await cai.api.messages.list({ groupId: g.id })).messages[0];
      expect(listed?.reactions).toEqual(off.reactions);
      expect(await eventsOf(g.id, 'reaction.changed')).toHaveLength(4);
    });

    it('a double tap (two toggles at once) ends in a consistent state, never an error', async () => {
      const g = await newGroup();
      for (let round = 0; round < 5; round++) {
        const m = await ana.api.messages.send({ groupId: g.id, clientId: cid(), body: 'tap' });
        const answers = await Promise.all([
          ben.api.messages.react({ messageId: m.id, emoji: '🔥' }),
          ben.api.messages.react({ messageId: m.id, emoji: '🔥' }),
          cai.api.messages.react({ messageId: m.id, emoji: '🔥' }),
        ]);
        const stored = await database.db.execute<{ user_id: string }>(
          sql`select user_id from reactions where message_id = ${m.id} order by user_id`,
        );
        const bens = answers.slice(0, 2).map((a) => a.active);
        // Ben toggled twice: on then off, whichever order they ran in.
        expect(bens.sort()).toEqual([false, true]);
        expect(stored.rows.map((r) => r.user_id)).toEqual([cai.id]);
      }
    });

    it('a reaction racing the deletion of its message never outlives it', async () => {
      const g = await newGroup();
      for (let round = 0; round < 5; round++) {
        const m = await ana.api.messages.send({ groupId: g.id, clientId: cid(), body: 'brief' });
        const results = await Promise.allSettled([
          ben.api.messages.react({ messageId: m.id, emoji: '😮' }),
          ana.api.messages.delete({ messageId: m.id }),
          cai.api.messages.react({ messageId: m.id, emoji: '😮' }),
        ]);
        for (const r of results) {
          if (r.status === 'rejected')
            expect((r.reason as TRPCError).code).toBe('PRECONDITION_FAILED');
        }
        const stored = await database.db.execute(
          sql`select 1 from reactions where message_id = ${m.id}`,
        );
        expect(stored.rows).toHaveLength(0);
      }
    });

    it.each([
      ['👍', true],
      ['👍🏽', true],
      ['👨‍👩‍👧', true],
      ['🇫🇷', true],
      ['1️⃣', true],
      ['❤️', true],
      ['abc', false],
      ['', false],
      ['1', false],
      ['<b>', false],
      ['👍👍', false],
      ['🇫🇷🇩🇪', false],
      ['👍'.repeat(20), false],
    ])('emoji %j is accepted: %s', async (emoji, ok) => {
      const g = await newGroup();
      const m = await ana.api.messages.send({ groupId: g.id, clientId: cid(), body: 'react' });
      if (ok) {
        expect((await ben.api.messages.react({ messageId: m.id, emoji })).active).toBe(true);
      } else {
        const before = await tableCounts(database.db);
        const error = await failure(ben.api.messages.react({ messageId: m.id, emoji }));
        expect(error.code).toBe('BAD_REQUEST');
        expect(await tableCounts(database.db)).toEqual(before);
      }
    });
  });

  describe('markRead', () => {
    it('only moves forward and is clamped to the last message', async () => {
      const g = await newGroup();
      for (let i = 0; i < 5; i++)
        await ana.api.messages.send({ groupId: g.id, clientId: cid(), body: `m${i}` });
      const unread = async () =>
        (await ben.api.groups.list()).find((x) => x.id === g.id)?.unread ?? -1;
      expect(await unread()).toBe(5);

      expect(await ben.api.messages.markRead({ groupId: g.id, seq: 3 })).toEqual({
        groupId: g.id,
        lastReadSeq: 3,
      });
      expect(await unread()).toBe(2);
      expect((await ben.api.messages.markRead({ groupId: g.id, seq: 1 })).lastReadSeq).toBe(3);
      expect((await ben.api.messages.markRead({ groupId: g.id, seq: 0 })).lastReadSeq).toBe(3);
      expect((await ben.api.groups.get({ groupId: g.id })).lastReadSeq).toBe(3);
      expect((await ben.api.messages.markRead({ groupId: g.id, seq: 999 })).lastReadSeq).toBe(5);
      expect((await ben.api.groups.get({ groupId: g.id })).lastReadSeq).toBe(5);
      expect(await unread()).toBe(0);
      // Others' read positions are their own.
      expect((await cai.api.groups.get({ groupId: g.id })).lastReadSeq).toBe(0);
      // Only the two forward moves were announced.
      const reads = await eventsOf(g.id, 'read');
      expect(reads.map((e) => (e.payload as unknown as { seq: number }).seq)).toEqual([3, 5]);
      for (const seq of [-1, 1.5]) {
        expect((await failure(ben.api.messages.markRead({ groupId: g.id, seq }))).code).toBe(
          'BAD_REQUEST',
        );
      }
    });
    it('stays at the highest position when several markRead calls race', async () => {
      const g = await newGroup();
      for (let i = 0; i < 10; i++)
        await ana.api.messages.send({ groupId: g.id, clientId: cid(), body: `m${i}` });
      for (let round = 0; round < 5; round++) {
        const top = 6 + round;
        const seqs = [top, 1, 2, top - 1, 3, top - 2, 4, 5];
        const answers = await Promise.all(
          seqs.map((seq) => cai.api.messages.markRead({ groupId: g.id, seq })),
        );
        // Nobody is told their position went below one already recorded.
        for (const a of answers) expect(a.lastReadSeq).toBeGreaterThanOrEqual(1);
        expect((await cai.api.groups.get({ groupId: g.id })).lastReadSeq).toBe(top);
      }
      // Each announced read moves strictly forward.
      const reads = (await eventsOf(g.id, 'read')).map(
        (e) => (e.payload as unknown as { seq: number }).seq,
      );
      for (let i = 1; i < reads.length; i++) expect(reads[i]).toBeGreaterThan(reads[i - 1]!);
      expect(reads.at(-1)).toBe(10);
    });
  });

  describe('typing', () => {
    it('is sent at most every couple of seconds per user and group, on the bus only', async () => {
      const g = await newGroup();
      const seen: BusEvent[] = [];
      const stop = deps.bus.subscribe((e) => {
        if (e.groupId === g.id) seen.push(e);
      });
      try {
        const before = await tableCounts(database.db);
        expect(await ana.api.messages.typing({ groupId: g.id })).toEqual({ sent: true });
        expect(await ana.api.messages.typing({ groupId: g.id })).toEqual({ sent: false });
        expect(await ben.api.messages.typing({ groupId: g.id })).toEqual({ sent: true });
        expect(seen.map((e) => [e.type, e.userId, e.id])).toEqual([
          ['typing', ana.id, undefined],
          ['typing', ben.id, undefined],
        ]);
        expect(seen[0]?.payload).toMatchObject({
          groupId: g.id,
          userId: ana.id,
          handle: ana.handle,
        });
        expect(await tableCounts(database.db)).toEqual(before);
      } finally {
        stop();
      }
    });
  });
});
