import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import type { Deps } from '../../server/deps';
import type { MessageView } from '../../server/messages/view';
import { frameStats } from '../../server/sync/frames';
import { engines, openTestDatabase, type TestDatabase } from '../fixtures/db';
import { befriend, makeDeps, signUp, type TestUser } from '../fixtures/deps';
import { ofType, socketClient, startLive, subscribeEvents } from '../fixtures/live';

let n = 0;
const cid = () => `c${Date.now().toString(36)}${(n++).toString(36)}xxxxxx`;

describe.each(engines)('live events on %s', (engine) => {
  let database: TestDatabase;
  let deps: Deps;
  let server: RunningServer;
  const sockets: { close(): void }[] = [];
  const connect = (user: TestUser) => {
    const s = socketClient(server.wsUrl, user.token);
    sockets.push(s);
    return s;
  };

  beforeAll(async () => {
    database = await openTestDatabase(engine);
    deps = makeDeps(database.db, { limits: { replayLimit: 60 } });
    server = await startLive(deps);
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await server?.close();
    deps?.hub.stop();
    await database?.close();
  });

  async function trio() {
    const [ana, ben, cat] = [
      await signUp(deps, 'ana'),
      await signUp(deps, 'ben'),
      await signUp(deps, 'cat'),
    ];
    await befriend(ana, ben);
    await befriend(ana, cat);
    const group = await ana.api.groups.create({ name: 'Roommates', memberIds: [ben.id] });
    return { ana, ben, cat, group };
  }

  it('one message reaching several members is serialized once, and each of them reads it whole', async () => {
    const { ana, ben, cat, group } = await trio();
    await ana.api.groups.addMembers({ groupId: group.id, userIds: [cat.id] });
    const streams = [ana, ben, cat].map((u) => subscribeEvents(connect(u).client));
    for (const s of streams) await s.ready();
    const before = { ...frameStats };
    const sent = await ana.api.messages.send({
      groupId: group.id,
      clientId: cid(),
      body: 'to all three "quoted" \\ 👋🏽',
    });
    for (const s of streams) {
      const events = await s.until((e) => ofType(e, 'message.created').length > 0);
      expect(ofType(events, 'message.created')[0]?.payload).toEqual(sent);
    }
    expect(frameStats.frames - before.frames).toBeGreaterThanOrEqual(3);
    expect(frameStats.serialized - before.serialized).toBe(1);
  });

  it('a message, its edit, a reaction, a read receipt and typing reach the other member live', async () => {
    const { ana, ben, group } = await trio();
    const events = subscribeEvents(connect(ben).client);
    await events.ready();
    const sent = await ana.api.messages.send({
      groupId: group.id,
      clientId: cid(),
      body: 'look at this',
      atSeconds: 42,
    });
    await ana.api.messages.edit({ messageId: sent.id, body: 'look at this!' });
    await ana.api.messages.react({ messageId: sent.id, emoji: '🔥' });
    await ana.api.messages.typing({ groupId: group.id });
    await ben.api.messages.markRead({ groupId: group.id, seq: sent.seq });
    const got = await events.until((e) =>
      ['message.created', 'message.edited', 'reaction.changed', 'typing', 'read'].every(
        (t) => ofType(e, t).length > 0,
      ),
    );
    const created = ofType(got, 'message.created')[0]!;
    expect((created.payload as MessageView).body).toBe('look at this');
    expect((created.payload as MessageView).atSeconds).toBe(42);
    expect((ofType(got, 'message.edited')[0]!.payload as MessageView).body).toBe('look at this!');
    expect(ofType(got, 'typing')[0]).toMatchObject({ id: null, userId: ana.id });
    const ids = got.filter((e) => e.id !== null).map((e) => e.id!);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    events.unsubscribe();
  });

  it('a client that reconnects with its last id gets exactly what it missed, then live', async () => {
    const { ana, ben, group } = await trio();
    const first = subscribeEvents(connect(ben).client);
    await first.ready();
    await ana.api.messages.send({ groupId: group.id, clientId: cid(), body: 'one' });
    await first.until((e) => ofType(e, 'message.created').length === 1);
    const lastId = first.lastId();
    first.unsubscribe();
    for (const body of ['two', 'three', 'four'])
      await ana.api.messages.send({ groupId: group.id, clientId: cid(), body });
    const second = subscribeEvents(connect(ben).client, lastId);
    await second.until((e) => ofType(e, 'message.created').length === 3);
    await ana.api.messages.send({ groupId: group.id, clientId: cid(), body: 'five' });
    const got = await second.until((e) => ofType(e, 'message.created').length === 4);
    expect(ofType(got, 'message.created').map((e) => (e.payload as MessageView).body)).toEqual([
      'two',
      'three',
      'four',
      'five',
    ]);
    second.unsubscribe();
  });

  it('many concurrent senders and a subscriber that drops mid-stream: every message once, in seq order', async () => {
    const { ana, ben, cat, group } = await trio();
    await ana.api.groups.addMembers({ groupId: group.id, userIds: [cat.id] });
    const other = await ana.api.groups.create({ name: 'Other', memberIds: [ben.id, cat.id] });
    const watcher = await signUp(deps, 'watch');
    await befriend(ana, watcher);
    await ana.api.groups.addMembers({ groupId: group.id, userIds: [watcher.id] });
    await ana.api.groups.addMembers({ groupId: other.id, userIds: [watcher.id] });

    const seen: MessageView[] = [];
    let stream = subscribeEvents(connect(watcher).client);
    await stream.ready();
    const senders = [ana, ben, cat];
    const perSender = 15;
    const sending = Promise.all(
      senders.flatMap((u) =>
        Array.from({ length: perSender }, (_, i) =>
          u.api.messages.send({
            groupId: i % 2 ? group.id : other.id,
            clientId: cid(),
            body: `${u.handle} ${i}`,
          }),
        ),
      ),
    );
    // Drop the socket part-way through and come back with the last id received.
    await stream.until((e) => ofType(e, 'message.created').length >= 10);
    stream.unsubscribe();
    seen.push(...ofType(stream.received, 'message.created').map((e) => e.payload as MessageView));
    const resumeFrom = stream.lastId();
    await new Promise((r) => setTimeout(r, 50));
    stream = subscribeEvents(connect(watcher).client, resumeFrom);
    const acked = await sending;
    const total = senders.length * perSender;
    await stream.until((e) => seen.length + ofType(e, 'message.created').length >= total);
    await new Promise((r) => setTimeout(r, 300));
    seen.push(...ofType(stream.received, 'message.created').map((e) => e.payload as MessageView));
    stream.unsubscribe();

    expect(new Set(seen.map((m) => m.id)).size).toBe(seen.length);
    expect(new Set(seen.map((m) => m.id))).toEqual(new Set(acked.map((m) => m.id)));
    for (const g of [group.id, other.id]) {
      const seqs = seen.filter((m) => m.groupId === g).map((m) => m.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(seqs.length);
    }
  });

  it('joining mid-stream starts that group’s events at the join; removal stops them at once', async () => {
    const { ana, ben, cat, group } = await trio();
    await ana.api.messages.send({ groupId: group.id, clientId: cid(), body: 'before cat joined' });
    const events = subscribeEvents(connect(cat).client);
    await events.ready();
    await ana.api.groups.addMembers({ groupId: group.id, userIds: [cat.id] });
    await ben.api.messages.send({ groupId: group.id, clientId: cid(), body: 'hi cat' });
    await events.until((e) => ofType(e, 'message.created').length === 1);
    await ana.api.groups.removeMember({ groupId: group.id, userId: cat.id });
    await events.until((e) => ofType(e, 'member.removed').length === 1);
    await ben.api.messages.send({ groupId: group.id, clientId: cid(), body: 'cat is gone' });
    await ana.api.groups.rename({ groupId: group.id, name: 'Secret plans' });
    await new Promise((r) => setTimeout(r, 400));
    const bodies = ofType(events.received, 'message.created').map(
      (e) => (e.payload as MessageView).body,
    );
    expect(bodies).toEqual(['hi cat']);
    expect(ofType(events.received, 'group.renamed')).toHaveLength(0);
    expect(events.received.filter((e) => e.type !== 'ready')[0]).toMatchObject({
      type: 'member.added',
      userId: cat.id,
    });
    events.unsubscribe();

    // Replaying from the start after removal: the removal notice, and nothing of the group.
    const replay = subscribeEvents(connect(cat).client, '1');
    await replay.until((e) => ofType(e, 'member.removed').length === 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(replay.received.filter((e) => e.groupId === group.id).map((e) => e.type)).toEqual([
      'member.removed',
    ]);
    replay.unsubscribe();
  });

  it('a client too far behind gets a resync event instead of a silent hole', async () => {
    const { ana, ben, group } = await trio();
    const first = subscribeEvents(connect(ben).client);
    await first.ready();
    await ana.api.messages.send({ groupId: group.id, clientId: cid(), body: 'start' });
    await first.until((e) => ofType(e, 'message.created').length === 1);
    const lastId = first.lastId();
    first.unsubscribe();
    for (let i = 0; i < 65; i++)
      await ana.api.messages.send({ groupId: group.id, clientId: cid(), body: `m${i}` });
    const second = subscribeEvents(connect(ben).client, lastId);
    const got = await second.until((e) => ofType(e, 'resync').length === 1);
    expect(ofType(got, 'message.created')).toHaveLength(0);
    await ana.api.messages.send({ groupId: group.id, clientId: cid(), body: 'after resync' });
    const live = await second.until((e) => ofType(e, 'message.created').length === 1);
    expect((ofType(live, 'message.created')[0]!.payload as MessageView).body).toBe('after resync');
    second.unsubscribe();
  });

  it('a socket without a valid token cannot subscribe', async () => {
    const anon = socketClient(server.wsUrl);
    sockets.push(anon);
    const events = subscribeEvents(anon.client);
    await expect(events.until(() => false, 5000)).rejects.toMatchObject({
      data: { code: 'UNAUTHORIZED' },
    });
  });
});
