import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { transact } from '../../server/events';
import type { MessageView } from '../../server/messages/view';
import type { SyncEvent } from '../../server/sync/event-stream';
import type { Deps } from '../../server/trpc';
import { engines, openTestDatabase, type TestDatabase } from '../fixtures/db';
import { befriend, makeDeps, signUp, type TestUser } from '../fixtures/deps';
import { socketClient, startLive, subscribeEvents } from '../fixtures/live';
import { wireCall } from '../fixtures/wire';

const cid = () => `c_${randomUUID().replace(/-/g, '')}`;
const dataOf = (value: unknown) => (value as [string, SyncEvent])[1];

describe.each(engines)('a member sees what was said while they were a member, on %s', (engine) => {
  let database: TestDatabase;
  let deps: Deps;
  beforeAll(async () => {
    database = await openTestDatabase(engine);
    deps = makeDeps(database.db);
  });
  afterAll(() => database?.close());

  /**
   * Owner and Rae in a group: "before" is said before Rae joins, "during" while she is in,
   * "while out" after she is removed, "after" once she is back. The same clip is shared in each.
   */
  async function story() {
    const owner = await signUp(deps, 'owner');
    const rae = await signUp(deps, 'rae');
    const other = await signUp(deps, 'other');
    await befriend(owner, rae);
    await befriend(owner, other);
    const url = `https://www.youtube.com/shorts/${randomUUID().replace(/-/g, '').slice(0, 11)}`;
    const group = await owner.api.groups.create({ name: 'Club', memberIds: [other.id] });
    const say = (u: TestUser, body: string) =>
      u.api.clips.share({ groupIds: [group.id], url, note: body, clientId: cid() });
    await say(owner, 'before');
    await owner.api.groups.addMembers({ groupId: group.id, userIds: [rae.id] });
    const stream = await rae.api.sync.events({});
    const it0 = (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    const ready = dataOf((await it0.next()).value);
    await it0.return?.();
    await say(owner, 'during');
    await owner.api.groups.removeMember({ groupId: group.id, userId: rae.id });
    await say(owner, 'while out');
    await say(other, 'while out too');
    await owner.api.groups.addMembers({ groupId: group.id, userIds: [rae.id] });
    await say(owner, 'after');
    return { owner, rae, other, group, url, cursor: ready.id as number };
  }

  const bodies = (messages: { body: string | null }[]) => messages.map((m) => m.body);

  it('messages.list and clips.thread skip what was said before I joined and while I was out', async () => {
    const s = await story();
    const listed = await s.rae.api.messages.list({ groupId: s.group.id });
    expect(bodies(listed.messages)).toEqual(['during', 'after']);
    const forward = await s.rae.api.messages.list({ groupId: s.group.id, afterSeq: 0 });
    expect(bodies(forward.messages)).toEqual(['during', 'after']);
    const thread = await s.rae.api.clips.thread({ groupId: s.group.id, url: s.url });
    expect(bodies(thread.messages)).toEqual(['during', 'after']);
    // Over the wire too, and the owner still sees everything.
    const wire = await wireCall(deps, 'messages.list', { groupId: s.group.id }, s.rae.token);
    expect(JSON.stringify(wire)).not.toContain('while out');
    const all = await s.owner.api.messages.list({ groupId: s.group.id });
    expect(bodies(all.messages)).toEqual([
      'before',
      'during',
      'while out',
      'while out too',
      'after',
    ]);
  });

  it('my group list counts as unread and shows last only what was said while I was in', async () => {
    const s = await story();
    await s.other.api.groups
      .removeMember({ groupId: s.group.id, userId: s.rae.id })
      .catch(() => {});
    const [row] = (await s.rae.api.groups.list()).filter((g) => g.id === s.group.id);
    expect(row?.unread).toBe(2);
    // Removed again, the last message I may see is the last one from my time in.
    await s.owner.api.groups.removeMember({ groupId: s.group.id, userId: s.rae.id });
    await s.owner.api.clips.share({ groupIds: [s.group.id], url: s.url, note: 'gone again' });
    await s.owner.api.groups.addMembers({ groupId: s.group.id, userIds: [s.rae.id] });
    const [back] = (await s.rae.api.groups.list()).filter((g) => g.id === s.group.id);
    expect(back?.lastMessage?.body).toBe('after');
    expect(back?.unread).toBe(2);
  });

  it('clip activity counts only what I could see', async () => {
    const s = await story();
    const activity = await s.rae.api.clips.activity({ url: s.url });
    expect(activity.groups).toEqual([
      expect.objectContaining({ groupId: s.group.id, messageCount: 2 }),
    ]);
  });

  it('I cannot react to, reply to or report a message from my time out of the group', async () => {
    const s = await story();
    const all = await s.owner.api.messages.list({ groupId: s.group.id });
    const hidden = all.messages.find((m) => m.body === 'while out')!;
    const before = all.messages.find((m) => m.body === 'before')!;
    for (const m of [hidden, before]) {
      await expect(
        s.rae.api.messages.react({ messageId: m.id, emoji: '🔥' }),
      ).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      await expect(
        s.rae.api.messages.report({ messageId: m.id, reason: 'spam' }),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(
        s.rae.api.messages.send({ groupId: s.group.id, clientId: cid(), body: 'x', replyTo: m.id }),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    }
  });

  it('the event replay after reconnecting skips my time out, and keeps my time in', async () => {
    const s = await story();
    const stream = await s.rae.api.sync.events({ lastEventId: String(s.cursor) });
    const iterator = (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    const seen: SyncEvent[] = [];
    for (;;) {
      const event = dataOf((await iterator.next()).value);
      if (event.type === 'ready') break;
      seen.push(event);
    }
    await iterator.return?.();
    const said = seen
      .filter((e) => e.type === 'message.created')
      .map((e) => (e.payload as { body: string }).body);
    expect(said).toEqual(['during', 'after']);
    expect(seen.map((e) => e.type)).toContain('member.removed');
  });
});

describe.each(engines)('live events follow what a member may see, on %s', (engine) => {
  let database: TestDatabase;
  let deps: Deps;
  let server: RunningServer;
  const sockets: { close(): void }[] = [];
  const connect = (user: TestUser) => {
    const s = socketClient(server.wsUrl, user.token);
    sockets.push(s);
    return s.client;
  };
  beforeAll(async () => {
    database = await openTestDatabase(engine);
    deps = makeDeps(database.db);
    server = await startLive(deps);
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await server?.close();
    deps?.hub.stop();
    await database?.close();
  });

  /** The message an event is about (its id), for the events that are about one message. */
  const aboutMessage = (e: SyncEvent) =>
    e.type === 'reaction.changed'
      ? (e.payload as { messageId: string }).messageId
      : (e.payload as MessageView).id;
  const touches = (events: SyncEvent[], messageId: string) =>
    events
      .filter((e) => e.type.startsWith('message.') || e.type === 'reaction.changed')
      .filter((e) => aboutMessage(e) === messageId)
      .map((e) => e.type);

  /**
   * Rae's stream is open from before she is added. "before" is said before she joins, "during"
   * while she is in, "gap" after she is removed, "after" once she is back; then each of them is
   * edited, reacted to and deleted, and "end" closes the story.
   */
  async function story() {
    const owner = await signUp(deps, 'owner');
    const rae = await signUp(deps, 'rae');
    const other = await signUp(deps, 'other');
    await befriend(owner, rae);
    await befriend(owner, other);
    const group = await owner.api.groups.create({ name: 'Club', memberIds: [other.id] });
    const say = (body: string) =>
      owner.api.messages.send({ groupId: group.id, clientId: cid(), body });
    const live = subscribeEvents(connect(rae));
    await live.ready();
    const start = live.lastId();
    const before = await say('before');
    await owner.api.groups.addMembers({ groupId: group.id, userIds: [rae.id] });
    const during = await say('during');
    await owner.api.groups.removeMember({ groupId: group.id, userId: rae.id });
    const gap = await say('gap');
    await owner.api.groups.addMembers({ groupId: group.id, userIds: [rae.id] });
    const after = await say('after');
    // A second stream, opened once she is back, learns her spans from the database.
    const attached = subscribeEvents(connect(rae));
    await attached.ready();
    const middle = attached.lastId();
    for (const m of [before, during, gap, after]) {
      await owner.api.messages.edit({ messageId: m.id, body: `${m.body} (edited)` });
      await owner.api.messages.react({ messageId: m.id, emoji: '🔥' });
      await other.api.messages.react({ messageId: m.id, emoji: '👀' });
      await owner.api.messages.delete({ messageId: m.id });
    }
    const end = await say('end');
    const isEnd = (events: SyncEvent[]) =>
      events.some((e) => e.type === 'message.created' && (e.payload as MessageView).id === end.id);
    await live.until(isEnd);
    await attached.until(isEnd);
    return { rae, group, live, attached, start, middle, isEnd, before, during, gap, after };
  }

  const changes = ['message.edited', 'reaction.changed', 'reaction.changed', 'message.deleted'];

  it('a member added later gets no edit, reaction or deletion of a message from before they joined', async () => {
    const s = await story();
    for (const stream of [s.live, s.attached]) {
      expect(touches(stream.received, s.before.id)).toEqual([]);
      expect(touches(stream.received, s.after.id)).toEqual(
        stream === s.live ? ['message.created', ...changes] : changes,
      );
    }
    expect(touches(s.live.received, s.during.id)).toEqual(['message.created', ...changes]);
  });

  it('a member removed and re-added gets no edit, reaction or deletion of what was said while they were out', async () => {
    const s = await story();
    for (const stream of [s.live, s.attached]) {
      expect(touches(stream.received, s.gap.id)).toEqual([]);
    }
    // What was said during their first time in stays theirs, edits included.
    expect(touches(s.attached.received, s.during.id)).toEqual(changes);
    expect(JSON.stringify(s.live.received)).not.toContain('gap');
    expect(JSON.stringify(s.attached.received)).not.toContain('gap');
  });

  it('reconnecting with a last event id replays exactly what the live stream delivered', async () => {
    const s = await story();
    const key = (e: SyncEvent) => `${e.id} ${e.type}`;
    const liveAfter = (stream: typeof s.live, from: string | null) =>
      stream.received.filter((e) => e.type !== 'ready' && e.id! > Number(from)).map(key);
    for (const [stream, from] of [
      [s.live, s.start],
      [s.attached, s.middle],
    ] as const) {
      const replay = subscribeEvents(connect(s.rae), from);
      await replay.until(s.isEnd);
      expect(replay.received.filter((e) => e.type !== 'ready').map(key)).toEqual(
        liveAfter(stream, from),
      );
      expect(touches(replay.received, s.before.id)).toEqual([]);
      expect(touches(replay.received, s.gap.id)).toEqual([]);
      replay.unsubscribe();
    }
  });
});

describe.each(engines)('events stored by an older server, on %s', (engine) => {
  let database: TestDatabase;
  let deps: Deps;
  beforeAll(async () => {
    database = await openTestDatabase(engine);
    deps = makeDeps(database.db);
  });
  afterAll(() => database?.close());

  it('a replayed reaction stored without its message seq reaches me only for a message from my time in', async () => {
    const owner = await signUp(deps, 'owner');
    const rae = await signUp(deps, 'rae');
    await befriend(owner, rae);
    const group = await owner.api.groups.create({ name: 'Club', memberIds: [] });
    const say = (body: string) =>
      owner.api.messages.send({ groupId: group.id, clientId: cid(), body });
    const before = await say('before');
    await owner.api.groups.addMembers({ groupId: group.id, userIds: [rae.id] });
    const after = await say('after');
    const first = await rae.api.sync.events({});
    const it0 = (first as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    const cursor = dataOf((await it0.next()).value).id as number;
    await it0.return?.();
    // Reactions as they were stored before the payload named the message's seq.
    await transact(deps, async (_tx, emit) => {
      for (const m of [before, after])
        emit({
          groupId: group.id,
          type: 'reaction.changed',
          userId: owner.id,
          payload: { messageId: m.id, emoji: '🔥', userId: owner.id, active: true, reactions: [] },
        });
    });
    const stream = await rae.api.sync.events({ lastEventId: String(cursor) });
    const iterator = (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    const seen: SyncEvent[] = [];
    for (;;) {
      const event = dataOf((await iterator.next()).value);
      if (event.type === 'ready') break;
      seen.push(event);
    }
    await iterator.return?.();
    expect(seen.map((e) => (e.payload as { messageId: string }).messageId)).toEqual([after.id]);
  });
});
