import { describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { Cache } from '../../../extension/background/cache';
import type { GroupSummary, MessageView, SyncEvent } from '../../../extension/lib/protocol';
import { RECENT_PER_THREAD } from '../../../extension/store/db';
import { befriend, signUp } from '../../fixtures/deps';
import {
  newProfile,
  openDb,
  type Posted,
  startBackground,
  storeSession,
  until,
  useKith,
} from './harness';

const ME = '00000000-0000-4000-8000-000000000001';
const ANA = '00000000-0000-4000-8000-000000000002';
const GROUP = '00000000-0000-4000-8000-0000000000aa';

function group(over: Partial<GroupSummary> = {}): GroupSummary {
  return {
    id: GROUP,
    kind: 'group',
    name: 'Roommates',
    role: 'member',
    muted: false,
    lastSeq: 0,
    lastReadSeq: 0,
    memberCount: 2,
    unread: 0,
    peer: null,
    lastMessage: null,
    createdAt: '2026-11-01T10:00:00.000Z',
    ...over,
  };
}

function message(seq: number, senderId = ANA, over: Partial<MessageView> = {}): MessageView {
  return {
    id: `00000000-0000-4000-9000-${String(seq).padStart(12, '0')}`,
    groupId: GROUP,
    seq,
    clientId: `client-${seq}-xxxxxxxx`,
    kind: 'text',
    sender: {
      id: senderId,
      handle: senderId === ME ? 'me' : 'ana',
      displayName: senderId === ME ? 'Me' : 'Ana',
    },
    body: `message ${seq}`,
    clip: null,
    atSeconds: null,
    productId: null,
    replyTo: null,
    createdAt: new Date(Date.UTC(2026, 10, 2, 10, 0, seq)).toISOString(),
    editedAt: null,
    deletedAt: null,
    reactions: [],
    ...over,
  } as MessageView;
}

function event(type: string, payload: unknown, over: Partial<SyncEvent> = {}): SyncEvent {
  return {
    id: 1,
    type,
    groupId: GROUP,
    userId: null,
    payload,
    createdAt: new Date().toISOString(),
    ...over,
  } as SyncEvent;
}

describe('cache', () => {
  async function fresh() {
    const profile = newProfile();
    const cache = new Cache(openDb(profile));
    await cache.useAccount({ userId: ME, serverUrl: 'http://kith.test' });
    await cache.replaceGroups([group()]);
    return { cache, profile };
  }

  it('counts a message from someone else as unread once, even when it is replayed', async () => {
    const { cache } = await fresh();
    const created = event('message.created', message(1));
    const first = await cache.apply(created, '10', ME);
    expect(first.newMessage?.seq).toBe(1);
    const again = await cache.apply(created, '10', ME);
    expect(again.newMessage).toBeUndefined();
    expect((await cache.group(GROUP))?.unread).toBe(1);
    expect((await cache.group(GROUP))?.lastMessage?.body).toBe('message 1');
  });

  it('does not count my own messages as unread', async () => {
    const { cache } = await fresh();
    await cache.apply(event('message.created', message(1, ME)), '11', ME);
    expect((await cache.group(GROUP))?.unread).toBe(0);
    expect((await cache.group(GROUP))?.lastSeq).toBe(1);
  });

  it('keeps the last event id in IndexedDB, so a new worker resumes from it', async () => {
    const { cache, profile } = await fresh();
    expect(await cache.lastEventId()).toBeNull();
    await cache.apply(event('message.created', message(1)), '41', ME);
    await cache.apply(event('typing', { groupId: GROUP }), '41', ME);
    await cache.apply(event('ready', { message: 'Live.' }, { groupId: null }), '42', ME);
    const reopened = new Cache(openDb(profile));
    expect(await reopened.lastEventId()).toBe('42');
    expect(await reopened.recentMessages(GROUP)).toHaveLength(1);
  });

  it('a read up to the last message clears the group, a partial read counts what is left', async () => {
    const { cache } = await fresh();
    for (const seq of [1, 2, 3])
      await cache.apply(event('message.created', message(seq)), String(seq), ME);
    expect((await cache.group(GROUP))?.unread).toBe(3);
    const partial = await cache.apply(
      event('read', { groupId: GROUP, userId: ME, seq: 1 }, { userId: ME }),
      '4',
      ME,
    );
    expect(partial.refresh).toBe(false);
    expect((await cache.group(GROUP))?.unread).toBe(2);
    await cache.markRead(GROUP, 3);
    expect((await cache.group(GROUP))?.unread).toBe(0);
    // Someone else reading changes nothing of mine.
    await cache.apply(event('message.created', message(4)), '5', ME);
    await cache.apply(
      event('read', { groupId: GROUP, userId: ANA, seq: 4 }, { userId: ANA }),
      '6',
      ME,
    );
    expect((await cache.group(GROUP))?.unread).toBe(1);
  });

  it('a deleted unread message no longer counts', async () => {
    const { cache } = await fresh();
    await cache.apply(event('message.created', message(1)), '1', ME);
    await cache.apply(
      event(
        'message.deleted',
        message(1, ANA, { deletedAt: new Date().toISOString(), body: null }),
      ),
      '2',
      ME,
    );
    const g = await cache.group(GROUP);
    expect(g?.unread).toBe(0);
    expect(g?.lastMessage?.deleted).toBe(true);
  });

  it('leaving a group (or being removed) forgets it and its messages', async () => {
    const { cache } = await fresh();
    await cache.apply(event('message.created', message(1)), '1', ME);
    await cache.apply(
      event('member.left', { groupId: GROUP, userId: ME }, { userId: ME }),
      '2',
      ME,
    );
    expect(await cache.group(GROUP)).toBeUndefined();
    expect(await cache.recentMessages(GROUP)).toEqual([]);
  });

  it('joining a group or a resync asks for the group list again', async () => {
    const { cache } = await fresh();
    expect((await cache.apply(event('member.added', {}, { userId: ME }), '1', ME)).refresh).toBe(
      true,
    );
    await cache.apply(event('message.created', message(1)), '2', ME);
    const resync = await cache.apply(
      event('resync', { reason: 'pruned' }, { groupId: null }),
      '90',
      ME,
    );
    expect(resync.refresh).toBe(true);
    expect(await cache.recentMessages(GROUP)).toEqual([]);
    expect(await cache.lastEventId()).toBe('90');
  });

  it('renames follow the event; reactions update the cached message', async () => {
    const { cache } = await fresh();
    await cache.apply(event('message.created', message(1)), '1', ME);
    await cache.apply(event('group.renamed', { groupId: GROUP, name: 'Flat 4B' }), '2', ME);
    expect((await cache.group(GROUP))?.name).toBe('Flat 4B');
    const reactions = [{ emoji: '🔥', count: 1, userIds: [ANA] }];
    await cache.apply(event('reaction.changed', { messageId: message(1).id, reactions }), '3', ME);
    expect((await cache.recentMessages(GROUP))[0]?.reactions).toEqual(reactions);
  });

  it(`keeps the newest ${RECENT_PER_THREAD} messages of a thread`, async () => {
    const { cache } = await fresh();
    const list = Array.from({ length: RECENT_PER_THREAD + 20 }, (_, i) => message(i + 1));
    await cache.putMessages(list);
    const kept = await cache.recentMessages(GROUP);
    expect(kept).toHaveLength(RECENT_PER_THREAD);
    expect(kept[0]?.seq).toBe(21);
    expect(kept.at(-1)?.seq).toBe(RECENT_PER_THREAD + 20);
  });

  it('signing in as someone else starts from an empty cache', async () => {
    const { cache } = await fresh();
    await cache.apply(event('message.created', message(1)), '7', ME);
    await cache.useAccount({ userId: ME, serverUrl: 'http://kith.test' });
    expect(await cache.lastEventId()).toBe('7');
    await cache.useAccount({ userId: ANA, serverUrl: 'http://kith.test' });
    expect(await cache.lastEventId()).toBeNull();
    expect(await cache.groups()).toEqual([]);
  });
});

describe('resuming sync.events after the worker was stopped', () => {
  const kith = useKith();

  const created = (posts: Posted[]) =>
    posts
      .filter((p) => p.type === 'sync.event' && (p.data as SyncEvent).type === 'message.created')
      .map((p) => ((p.data as SyncEvent).payload as MessageView).body);

  it('a restarted worker gets exactly the events it missed, from the stored lastEventId', async () => {
    const ana = await signUp(kith.deps, 'ana');
    const ben = await signUp(kith.deps, 'ben');
    await befriend(ana, ben);
    const { id: groupId } = await ana.api.groups.create({ name: 'Roommates', memberIds: [ben.id] });
    await storeSession(ben, kith.url);
    const profile = newProfile();
    const TAB = 7;

    const first = startBackground(profile);
    await first.service.ready;
    await first.service.handle('view.presence', { visible: true }, { tabId: TAB });
    await until('the stream to be live', () =>
      first.posts.some((p) => (p.data as SyncEvent | undefined)?.type === 'ready'),
    );
    await ana.api.messages.send({ groupId, clientId: 'resume-test-0001', body: 'before' });
    await until('the first message', () => created(first.posts).includes('before'));
    const stored = await first.service.cache.lastEventId();
    expect(stored).not.toBeNull();
    await first.kill();

    // While the worker is suspended, the conversation goes on.
    await ana.api.messages.send({ groupId, clientId: 'resume-test-0002', body: 'while you slept' });
    await ana.api.messages.send({ groupId, clientId: 'resume-test-0003', body: 'wake up' });

    const second = startBackground(profile);
    await second.service.ready;
    await until('the missed messages', () => created(second.posts).length >= 2);
    await second.service.settled();
    // Only the missed ones, each once, in order, sent to the tab that shows the overlay.
    expect(created(second.posts)).toEqual(['while you slept', 'wake up']);
    expect(second.posts.filter((p) => p.type === 'sync.event').every((p) => p.tabId === TAB)).toBe(
      true,
    );
    const thread = await second.service.cache.recentMessages(groupId);
    expect(thread.map((m) => m.body)).toEqual(['before', 'while you slept', 'wake up']);
    expect(Number(await second.service.cache.lastEventId())).toBeGreaterThan(Number(stored));
    await until('the badge', async () => (await fakeBrowser.action.getBadgeText({})) === '3');
    await second.kill();
  });

  it('with nothing to do, the worker lets the stream close after catching up', async () => {
    const cat = await signUp(kith.deps, 'cat');
    await storeSession(cat, kith.url);
    const bg = startBackground(newProfile(), { timings: { catchUpMs: 30_000 } });
    try {
      await bg.service.ready;
      expect(bg.service.streamReasons).toEqual(['catch-up']);
      // The server says 'ready' once caught up: the catch-up ends there, not after 30 s.
      await until('the catch-up to end', () => bg.service.streamReasons.length === 0);
      await bg.service.handle('view.presence', { visible: true }, { tabId: 3 });
      expect(bg.service.streamReasons).toEqual(['overlay']);
      await bg.service.handle('view.presence', { visible: false }, { tabId: 3 });
      expect(bg.service.streamReasons).toEqual([]);
      bg.service.setPopupOpen(true);
      expect(bg.service.streamReasons).toEqual(['popup']);
      bg.service.setPopupOpen(false);
      await bg.service.tick();
      expect(bg.service.streamReasons).toEqual(['catch-up']);
    } finally {
      await bg.kill();
    }
  });
});
