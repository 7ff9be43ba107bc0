import { randomUUID } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BusEvent } from '../../server/bus';
import { resolveClipUrl } from '../../server/clips/resolve';
import type { Db, Tx } from '../../server/db/client';
import type { Deps } from '../../server/deps';
import { BUSY_MESSAGE, SendBatcher, sendBatcher } from '../../server/messages/batch';
import type { StoreMessageInput } from '../../server/messages/store-message';
import type { MessageView } from '../../server/messages/view';
import { engines, openTestDatabase, type TestDatabase } from '../fixtures/db';
import { befriend, makeDeps, signUp, type TestUser } from '../fixtures/deps';

const cid = () => `c_${randomUUID()}`;
/** These tests are about batching, not overload: no send is refused for waiting on a busy machine. */
const patient = { maxWaitMs: 120_000 };
const text = (groupId: string, sender: TestUser, body: string | null, clientId = cid()) =>
  ({ groupId, senderId: sender.id, clientId, kind: 'text', body }) satisfies StoreMessageInput;

describe.each(engines)('sends stored together on %s', (engine) => {
  let database: TestDatabase;
  let deps: Deps;
  let ana: TestUser;
  let ben: TestUser;
  let cai: TestUser;
  let dan: TestUser;
  const published: BusEvent[] = [];

  async function stored(groupId: string) {
    const result = await database.db.execute<{
      seq: number;
      client_id: string;
      body: string;
      sender_id: string;
    }>(
      sql`select seq, client_id, body, sender_id from messages where group_id = ${groupId} order by seq`,
    );
    return result.rows;
  }

  async function lastSeq(groupId: string) {
    const result = await database.db.execute<{ last_seq: number }>(
      sql`select last_seq from groups where id = ${groupId}`,
    );
    return Number(result.rows[0]?.last_seq);
  }

  beforeAll(async () => {
    database = await openTestDatabase(engine);
    deps = makeDeps(database.db);
    const publish = deps.bus.publish.bind(deps.bus);
    deps.bus.publish = async (event) => {
      published.push(event);
      await publish(event);
    };
    ana = await signUp(deps, 'ana');
    ben = await signUp(deps, 'ben');
    cai = await signUp(deps, 'cai');
    dan = await signUp(deps, 'dan');
    await befriend(ana, ben);
    await befriend(ana, cai);
    await befriend(ana, dan);
  });
  afterAll(() => database?.close());

  it('stores many concurrent sends in few transactions, each once, seqs contiguous, in call order', async () => {
    const batcher = new SendBatcher(deps, patient);
    const roomA = await ana.api.groups.create({ name: 'A', memberIds: [ben.id, cai.id] });
    const roomB = await ana.api.groups.create({ name: 'B', memberIds: [ben.id, dan.id] });
    const senders = [ana, ben, cai, dan];
    const inputs = Array.from({ length: 240 }, (_, i) => {
      const sender = senders[i % 4]!;
      const group = sender === dan ? roomB : sender === cai ? roomA : i % 8 < 4 ? roomA : roomB;
      return text(group.id, sender, `message ${i}`);
    });
    published.length = 0;
    const views = await Promise.all(inputs.map((input) => batcher.submit(input)));

    expect(batcher.stats.together).toBe(240);
    expect(batcher.stats.alone).toBe(0);
    expect(batcher.stats.batches).toBeLessThan(240 / 4);
    for (const [i, view] of views.entries()) {
      expect(view).toMatchObject({
        groupId: inputs[i]!.groupId,
        clientId: inputs[i]!.clientId,
        body: `message ${i}`,
      });
    }
    for (const group of [roomA, roomB]) {
      const rows = await stored(group.id);
      const mine = inputs.filter((input) => input.groupId === group.id);
      // Every send once, seq 1..n with no hole, in the order the sends were made.
      expect(rows.map((r) => r.seq)).toEqual(mine.map((_, i) => i + 1));
      expect(rows.map((r) => r.client_id)).toEqual(mine.map((m) => m.clientId));
      expect(await lastSeq(group.id)).toBe(mine.length);
      // The answer each sender got is the stored row.
      for (const view of views.filter((v) => v.groupId === group.id)) {
        expect(rows[view.seq - 1]?.client_id).toBe(view.clientId);
      }
    }
    // One event per message, in seq order per group, ids increasing.
    const created = published.filter((e) => e.type === 'message.created');
    expect(created).toHaveLength(240);
    const ids = created.map((e) => e.id!);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    for (const group of [roomA, roomB]) {
      const seqs = created
        .filter((e) => e.groupId === group.id)
        .map((e) => (e.payload as { seq: number }).seq);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    }
  });

  it('answers each send in a mixed batch as it would alone: retries, repeats, strangers, direct threads', async () => {
    const batcher = new SendBatcher(deps, patient);
    const room = await ana.api.groups.create({ name: 'Mixed', memberIds: [ben.id] });
    const direct = await ana.api.groups.openDirect({ userId: ben.id });
    const earlier = await batcher.submit(text(room.id, ana, 'already here'));
    const repeated = cid();
    const results = await Promise.allSettled([
      batcher.submit(text(room.id, ana, 'one')),
      // A retry of a stored message: the original answer, nothing new.
      batcher.submit(text(room.id, ana, 'already here, again', earlier.clientId)),
      // The same clientId twice in one batch: stored once, both told the same message.
      batcher.submit(text(room.id, ben, 'twice', repeated)),
      batcher.submit(text(room.id, ben, 'twice', repeated)),
      // Not a member: refused as if alone, and nothing else of the batch is lost.
      batcher.submit(text(room.id, dan, 'let me in')),
      // A direct thread goes the careful way (blocks are checked there).
      batcher.submit(text(direct.id, ben, 'hi in private')),
      batcher.submit(text(room.id, ben, 'two')),
    ]);
    const [one, retry, first, second, stranger, dm, two] = results;
    expect(one).toMatchObject({ status: 'fulfilled', value: { body: 'one' } });
    expect(retry).toMatchObject({ status: 'fulfilled', value: { id: earlier.id, seq: 1 } });
    expect(first.status === 'fulfilled' && second.status === 'fulfilled').toBe(true);
    if (first.status === 'fulfilled' && second.status === 'fulfilled')
      expect(second.value.id).toBe(first.value.id);
    expect(stranger.status).toBe('rejected');
    if (stranger.status === 'rejected') {
      expect(stranger.reason).toBeInstanceOf(TRPCError);
      expect((stranger.reason as TRPCError).code).toBe('NOT_FOUND');
    }
    expect(dm).toMatchObject({ status: 'fulfilled', value: { body: 'hi in private' } });
    expect(two).toMatchObject({ status: 'fulfilled', value: { body: 'two' } });

    const rows = await stored(room.id);
    expect(rows.map((r) => r.body).sort()).toEqual(['already here', 'one', 'twice', 'two']);
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    expect(await lastSeq(room.id)).toBe(4);
    expect((await stored(direct.id)).map((r) => r.body)).toEqual(['hi in private']);
  });

  it('chat beside one clip, sent together, points at one stored clip and shows in its thread', async () => {
    const room = await ana.api.groups.create({ name: 'Clips', memberIds: [ben.id] });
    const url = 'https://www.tiktok.com/@scout2015/video/6718335390845095173?is_from_webapp=1';
    const batcher = new SendBatcher(deps, patient);
    const resolved = resolveClipUrl(url);
    const clip = { url: resolved, title: 'Scout skates' };
    const views = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        batcher.submit({
          ...text(room.id, i % 2 ? ben : ana, `about the clip ${i}`),
          kind: 'text',
          clip,
          atSeconds: i,
        }),
      ),
    );
    expect(batcher.stats.together).toBe(12);
    expect(new Set(views.map((v) => v.clip?.clipId))).toEqual(new Set([resolved.clipId]));
    const clipRows = await database.db.execute<{ n: number }>(
      sql`select count(*)::int as n from clips where site = 'tiktok' and clip_id = ${resolved.clipId}`,
    );
    expect(Number(clipRows.rows[0]?.n)).toBe(1);
    const thread = await ben.api.clips.thread({ groupId: room.id, url });
    expect(thread.messages.map((m) => m.body)).toEqual(views.map((v) => v.body));
    expect(thread.messages.map((m) => m.atSeconds)).toEqual(views.map((_, i) => i));
  });

  it('batches of different groups are in flight side by side, each group in call order, and every answer and event is the message as it reads back', async () => {
    const rooms: { id: string }[] = [];
    for (let g = 0; g < 6; g++)
      rooms.push(await ana.api.groups.create({ name: `Side ${g}`, memberIds: [ben.id, cai.id] }));
    const url = 'https://www.tiktok.com/@scout2015/video/6718335390845095173';
    const clip = { url: resolveClipUrl(url), title: 'Scout skates' };
    const senders = [ana, ben, cai];
    const inputs: StoreMessageInput[] = Array.from({ length: 180 }, (_, i) => ({
      ...text(rooms[i % 6]!.id, senders[i % 3]!, `side by side ${i}`),
      // Stored in a 4-byte real: the answer and the event carry it as it reads back.
      atSeconds: Math.round(i * 1.337 * 1000) / 1000,
      ...(i % 5 === 0 ? { clip } : {}),
    }));
    const batcher = new SendBatcher(deps, { maxBatch: 5, concurrency: 4, ...patient });
    published.length = 0;
    const views = await Promise.all(inputs.map((input) => batcher.submit(input)));
    expect(batcher.stats.together).toBe(180);
    expect(batcher.stats.mostInFlight).toBeGreaterThan(1);
    for (const room of rooms) {
      const mine = inputs.filter((input) => input.groupId === room.id);
      const rows = await stored(room.id);
      expect(rows.map((r) => r.client_id)).toEqual(mine.map((m) => m.clientId));
      expect(rows.map((r) => r.seq)).toEqual(mine.map((_, i) => i + 1));
      const { messages } = await ben.api.messages.list({ groupId: room.id, limit: 100 });
      const listed = new Map(messages.map((m) => [m.id, m]));
      expect(listed.size).toBe(mine.length);
      for (const view of views.filter((v) => v.groupId === room.id))
        expect(view).toEqual(listed.get(view.id));
    }
    const byId = new Map(views.map((v) => [v.id, v]));
    const created = published.filter((e) => e.type === 'message.created');
    expect(created).toHaveLength(180);
    for (const event of created) {
      const payload = event.payload as { id: string };
      expect(payload).toEqual(byId.get(payload.id));
    }
    expect(views.filter((v) => v.clip).every((v) => v.clip?.title === 'Scout skates')).toBe(true);
  });

  it('a batch whose transaction fails stores nothing of it; each send then goes alone, once', async () => {
    const room = await ana.api.groups.create({ name: 'Flaky', memberIds: [ben.id, cai.id] });
    let failures = 1;
    // The database fails the first batch at commit time (after all its statements ran).
    const flaky = new Proxy(database.db, {
      get(target, prop, receiver) {
        if (prop !== 'transaction') return Reflect.get(target, prop, receiver);
        return (work: (tx: unknown) => Promise<unknown>) =>
          target.transaction(async (tx) => {
            const value = await work(tx);
            if (failures > 0) {
              failures -= 1;
              throw new Error('connection lost at commit');
            }
            return value;
          });
      },
    }) as Db;
    const batcher = new SendBatcher({ db: flaky, bus: deps.bus }, patient);
    const inputs = [ana, ben, cai, ana, ben, cai].map((u, i) => text(room.id, u, `try ${i}`));
    const views = await Promise.all(inputs.map((input) => batcher.submit(input)));
    expect(batcher.stats.failedBatches).toBe(1);
    expect(batcher.stats.alone).toBeGreaterThan(0);
    const rows = await stored(room.id);
    expect(rows.map((r) => r.client_id).sort()).toEqual(inputs.map((i) => i.clientId).sort());
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(new Set(views.map((v) => v.id)).size).toBe(6);
  });

  /**
   * A database whose transactions the test watches: how many ran, and, once, rows a test writes
   * inside the transaction just before the batch's write statement runs (as if another
   * transaction had committed them between the batch's two statements).
   */
  function watched(beforeWrite: (tx: Tx, clientIds: string[]) => Promise<boolean>) {
    const seen = { transactions: 0 };
    let armed = true;
    const db = new Proxy(database.db, {
      get(target, prop, receiver) {
        if (prop !== 'transaction') return Reflect.get(target, prop, receiver);
        return (work: (tx: Tx) => Promise<unknown>, config?: unknown) => {
          seen.transactions += 1;
          return target.transaction(
            (tx) =>
              work(
                new Proxy(tx, {
                  get(t, p, r) {
                    const inner = Reflect.get(t, p, r);
                    if (p !== '_') return inner;
                    const session = new Proxy(inner.session, {
                      get(sess, q, r2) {
                        if (q !== 'prepareQuery') return Reflect.get(sess, q, r2);
                        return (query: { sql: string; params: unknown[] }, ...rest: unknown[]) => {
                          const prepared = sess.prepareQuery(query, ...(rest as [never, never]));
                          if (rest[1] !== 'send-batch-write' || !armed) return prepared;
                          return new Proxy(prepared, {
                            get(o, k, r3) {
                              if (k !== 'execute') return Reflect.get(o, k, r3);
                              return async (...args: unknown[]) => {
                                if (armed && (await beforeWrite(tx, query.params[5] as string[])))
                                  armed = false;
                                return o.execute(...(args as []));
                              };
                            },
                          });
                        };
                      },
                    });
                    return { ...inner, session };
                  },
                }),
              ),
            config as never,
          );
        };
      },
    }) as Db;
    return { db, seen };
  }

  it('a clientId another transaction takes while a batch is written leaves out only that send: the rest go in with the batch, seqs without a hole', async () => {
    const roomA = await ana.api.groups.create({ name: 'Taken A', memberIds: [ben.id, cai.id] });
    const roomB = await ana.api.groups.create({ name: 'Taken B', memberIds: [ben.id, cai.id] });
    const elsewhere = await ana.api.groups.create({ name: 'Taken C', memberIds: [ben.id] });
    // Ana's clientId is taken in another group; Ben's is his own send into `elsewhere`, stored
    // by another transaction (a retry on another instance) while this batch was written.
    const reused = cid();
    const retried = cid();
    const { db, seen } = watched(async (tx, clientIds) => {
      if (!clientIds.includes(reused)) return false;
      await tx.execute(sql`
        with bumped as (update groups set last_seq = last_seq + 2 where id = ${elsewhere.id}
            returning last_seq)
        insert into messages (group_id, seq, sender_id, client_id, kind, body)
        select ${elsewhere.id}::uuid, last_seq - 1, ${ana.id}::uuid, ${reused}, 'text', 'first use'
          from bumped
        union all
        select ${elsewhere.id}::uuid, last_seq, ${ben.id}::uuid, ${retried}, 'text', 'from ben'
          from bumped`);
      return true;
    });
    // One batch in flight at a time: the first send goes alone, all the others wait for it
    // and then go in one batch.
    const batcher = new SendBatcher({ db, bus: deps.bus }, { ...patient, concurrency: 1 });
    const senders = [ana, ben, cai];
    const good = Array.from({ length: 30 }, (_, i) =>
      text(i % 3 === 0 ? roomB.id : roomA.id, senders[i % 3]!, `good ${i}`),
    );
    const inputs = [
      ...good.slice(0, 10),
      text(roomA.id, ana, 'reused in another group', reused),
      ...good.slice(10, 20),
      text(elsewhere.id, ben, 'from ben', retried),
      ...good.slice(20),
    ];
    const results = await Promise.allSettled(inputs.map((input) => batcher.submit(input)));

    // Two transactions (the first send, then the batch of the rest); nothing failed, and only
    // the two sends whose clientId was taken were answered on their own.
    expect(seen.transactions).toBe(2);
    expect(batcher.stats.failedBatches).toBe(0);
    expect(batcher.stats.taken).toBe(2);
    expect(batcher.stats.together).toBe(30);
    expect(batcher.stats.alone).toBe(2);
    const [conflict] = results.splice(10, 1);
    const [retry] = results.splice(20, 1);
    expect(conflict).toMatchObject({ status: 'rejected', reason: { code: 'CONFLICT' } });
    expect(retry).toMatchObject({
      status: 'fulfilled',
      value: { groupId: elsewhere.id, clientId: retried, body: 'from ben', seq: 2 },
    });
    for (const [i, result] of results.entries())
      expect(result).toMatchObject({ status: 'fulfilled', value: { body: `good ${i}` } });
    for (const room of [roomA, roomB]) {
      const mine = good.filter((input) => input.groupId === room.id);
      const rows = await stored(room.id);
      expect(rows.map((r) => r.client_id)).toEqual(mine.map((m) => m.clientId));
      expect(rows.map((r) => r.seq)).toEqual(mine.map((_, i) => i + 1));
      expect(await lastSeq(room.id)).toBe(mine.length);
      const events = await database.db.execute<{ seq: number }>(
        sql`select (payload->>'seq')::int as seq from events
            where group_id = ${room.id} and type = 'message.created' order by id`,
      );
      expect(events.rows.map((r) => Number(r.seq))).toEqual(mine.map((_, i) => i + 1));
    }
    expect((await stored(elsewhere.id)).map((r) => [r.seq, r.client_id])).toEqual([
      [1, reused],
      [2, retried],
    ]);
    expect(await lastSeq(elsewhere.id)).toBe(2);
  });

  async function productOf(owner: TestUser, active = true) {
    const slug = `b-${randomUUID().slice(0, 8)}`;
    const result = await database.db.execute<{ id: string }>(sql`
      with brand as (insert into brands (owner_id, name, slug)
          values (${owner.id}, 'Brand', ${slug}) returning id)
      insert into products (brand_id, title, price_cents, currency, active)
      select id, 'Tote', 2500, 'USD', ${active} from brand returning id`);
    return result.rows[0]!.id;
  }

  it('replies and product shares go in the batch, each checked as alone: a reply to an unseen message or a product not on sale is refused', async () => {
    const room = await ana.api.groups.create({ name: 'Replies', memberIds: [ben.id, cai.id] });
    const other = await ana.api.groups.create({ name: 'Other', memberIds: [ben.id] });
    const productId = await productOf(dan);
    const inactive = await productOf(dan, false);
    const seed = new SendBatcher(deps, patient);
    const root = await seed.submit(text(room.id, ana, 'root'));
    const foreign = await seed.submit(text(other.id, ana, 'elsewhere'));
    const batcher = new SendBatcher(deps, { ...patient, concurrency: 1 });
    const inputs: StoreMessageInput[] = [
      text(room.id, ben, 'first'),
      ...Array.from({ length: 8 }, (_, i) => ({
        ...text(room.id, i % 2 ? ben : cai, `reply ${i}`),
        replyTo: root.id,
      })),
      ...Array.from({ length: 6 }, (_, i) => ({
        ...text(room.id, ana, i % 2 ? `note ${i}` : null),
        kind: 'product' as const,
        productId,
      })),
      { ...text(room.id, ben, 'to another group'), replyTo: foreign.id },
      { ...text(room.id, ben, 'to nothing'), replyTo: randomUUID() },
      { ...text(room.id, ana, null), kind: 'product', productId: inactive },
      { ...text(room.id, ana, null), kind: 'product', productId: randomUUID() },
    ];
    const results = await Promise.allSettled(inputs.map((input) => batcher.submit(input)));
    const refused = results.slice(15);
    for (const result of refused)
      expect(result).toMatchObject({ status: 'rejected', reason: { code: 'NOT_FOUND' } });
    expect(results.slice(0, 15).every((r) => r.status === 'fulfilled')).toBe(true);
    // The first send alone, then one batch with every reply and product share in it.
    expect(batcher.stats.together).toBe(15);
    expect(batcher.stats.batches).toBe(2);
    expect(batcher.stats.alone).toBe(4);
    const { messages } = await cai.api.messages.list({ groupId: room.id, limit: 100 });
    const listed = new Map(messages.map((m) => [m.id, m]));
    for (const [i, result] of results.slice(0, 15).entries()) {
      if (result.status !== 'fulfilled') continue;
      expect(result.value).toEqual(listed.get(result.value.id));
      if (i >= 1 && i <= 8) expect(result.value).toMatchObject({ replyTo: root.id, kind: 'text' });
      if (i >= 9) expect(result.value).toMatchObject({ productId, kind: 'product' });
    }
    const rows = await stored(room.id);
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1));
    expect(rows).toHaveLength(16);
  });

  it('replies and product shares wait in the same bounded queue: past it they are refused at once, nothing refused is stored', async () => {
    const room = await ana.api.groups.create({ name: 'Flood', memberIds: [ben.id, cai.id] });
    const productId = await productOf(dan);
    const root = await new SendBatcher(deps, patient).submit(text(room.id, ana, 'root'));
    // The database answers nothing until the test opens the gate.
    let open = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const stalled = new Proxy(database.db, {
      get(target, prop, receiver) {
        if (prop !== 'transaction') return Reflect.get(target, prop, receiver);
        return async (work: never, config?: never) => {
          await gate;
          return target.transaction(work, config);
        };
      },
    }) as Db;
    const maxQueue = 4;
    const batcher = new SendBatcher({ db: stalled, bus: deps.bus }, { ...patient, maxQueue });
    const inputs: StoreMessageInput[] = Array.from({ length: 30 }, (_, i) =>
      i % 2
        ? { ...text(room.id, i % 4 === 1 ? ben : cai, `reply ${i}`), replyTo: root.id }
        : { ...text(room.id, ana, null), kind: 'product', productId },
    );
    const settled: PromiseSettledResult<MessageView>[] = [];
    const calls = inputs.map((input, i) =>
      batcher.submit(input).then(
        (value) => {
          settled[i] = { status: 'fulfilled', value };
        },
        (reason: unknown) => {
          settled[i] = { status: 'rejected', reason };
        },
      ),
    );
    // With the database stalled, one send is in a batch and `maxQueue` wait: every other send
    // has its answer already.
    for (let i = 0; i < 1000 && settled.filter(Boolean).length < 30 - 1 - maxQueue; i++)
      await new Promise((resolve) => setImmediate(resolve));
    const early = settled.filter(Boolean);
    expect(early).toHaveLength(30 - 1 - maxQueue);
    for (const result of early) {
      expect(result).toMatchObject({ status: 'rejected', reason: { code: 'TOO_MANY_REQUESTS' } });
      if (result.status === 'rejected') expect(result.reason.message).toBe(BUSY_MESSAGE);
    }
    expect(batcher.stats.refused).toBe(30 - 1 - maxQueue);
    open();
    await Promise.all(calls);
    const acked = inputs.filter((_, i) => settled[i]?.status === 'fulfilled');
    const refused = inputs.filter((_, i) => settled[i]?.status === 'rejected');
    expect(acked).toHaveLength(1 + maxQueue);
    const rows = await stored(room.id);
    const count = new Map<string, number>();
    for (const r of rows) count.set(r.client_id, (count.get(r.client_id) ?? 0) + 1);
    for (const input of acked) expect(count.get(input.clientId)).toBe(1);
    for (const input of refused) expect(count.has(input.clientId)).toBe(false);
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1));
    expect(rows).toHaveLength(2 + maxQueue);
  });

  it('messages.send goes through one batcher per database and bus', async () => {
    const room = await ana.api.groups.create({ name: 'Wire', memberIds: [ben.id] });
    const batcher = sendBatcher(deps);
    expect(sendBatcher(deps)).toBe(batcher);
    const before = batcher.stats.together + batcher.stats.alone;
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? ben : ana).api.messages.send({
          groupId: room.id,
          clientId: cid(),
          body: `over the api ${i}`,
        }),
      ),
    );
    expect(batcher.stats.together + batcher.stats.alone - before).toBe(20);
    expect((await stored(room.id)).map((r) => r.seq)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
  });
});
