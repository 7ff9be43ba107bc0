import { Dexie } from 'dexie';
import { IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Cache } from '../../../extension/background/cache';
import {
  type ClipKey,
  clipActivity,
  localClipActivity,
} from '../../../extension/background/clip-index';
import type { GroupSummary, MessageView, SyncEvent } from '../../../extension/lib/protocol';
import { befriend, signUp } from '../../fixtures/deps';
import { newProfile, openDb, until, useBackgrounds, useKith } from './harness';

const ME = '00000000-0000-4000-8000-000000000001';
const ANA = '00000000-0000-4000-8000-000000000002';
const BEN = '00000000-0000-4000-8000-000000000003';
const ROOM = '00000000-0000-4000-8000-0000000000aa';
const DM = '00000000-0000-4000-8000-0000000000bb';

const CLIP: ClipKey = {
  site: 'tiktok',
  clipId: '7301234567890123451',
  url: 'https://www.tiktok.com/@_/video/7301234567890123451',
};
const OTHER = { site: 'tiktok', clipId: '7301234567890123452', url: 'https://x.test/2' };

const names: Record<string, string> = { [ME]: 'Me', [ANA]: 'Ana', [BEN]: 'Ben' };

function group(id: string, over: Partial<GroupSummary> = {}): GroupSummary {
  return {
    id,
    kind: 'group',
    name: 'Roommates',
    role: 'member',
    muted: false,
    lastSeq: 0,
    lastReadSeq: 0,
    memberCount: 3,
    unread: 0,
    peer: null,
    lastMessage: null,
    createdAt: '2026-11-01T10:00:00.000Z',
    ...over,
  };
}

let seq = 0;
function message(
  groupId: string,
  senderId: string,
  clip: { site: string; clipId: string; url: string } | null,
  over: Partial<MessageView> = {},
): MessageView {
  seq += 1;
  return {
    id: `00000000-0000-4000-9000-${String(seq).padStart(12, '0')}`,
    groupId,
    seq,
    clientId: `client-${seq}-xxxxxxxx`,
    kind: clip ? 'clip' : 'text',
    sender: { id: senderId, handle: names[senderId]!.toLowerCase(), displayName: names[senderId]! },
    body: `message ${seq}`,
    clip: clip ? { ...clip, title: null, thumbnailUrl: null } : null,
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

function created(m: MessageView, id: number): SyncEvent {
  return {
    id,
    type: 'message.created',
    groupId: m.groupId,
    userId: m.sender?.id ?? null,
    payload: m,
    createdAt: m.createdAt,
  } as SyncEvent;
}

describe('the local clip index', () => {
  it('says which groups and friends talked about a clip, and when last, from held messages only', () => {
    const groups = [group(ROOM), group(DM, { kind: 'direct', name: 'Ben' })];
    const first = message(ROOM, ANA, CLIP);
    const reply = message(ROOM, ME, CLIP);
    const latest = message(ROOM, ANA, CLIP);
    const inDm = message(DM, BEN, CLIP);
    const deleted = message(ROOM, BEN, CLIP, { deletedAt: '2026-11-03T00:00:00.000Z' });
    const elsewhere = message(ROOM, BEN, OTHER);
    const leftGroup = message('00000000-0000-4000-8000-0000000000cc', BEN, CLIP);
    const plain = message(ROOM, BEN, null);
    const result = clipActivity(
      CLIP,
      [first, reply, latest, inDm, deleted, elsewhere, leftGroup, plain],
      groups,
      ME,
    );
    expect(result.clip).toEqual(CLIP);
    expect(result.groups).toEqual([
      {
        groupId: DM,
        kind: 'direct',
        name: 'Ben',
        messageCount: 1,
        unread: 1,
        lastAt: inDm.createdAt,
        people: [{ id: BEN, handle: 'ben', displayName: 'Ben' }],
      },
      {
        groupId: ROOM,
        kind: 'group',
        name: 'Roommates',
        messageCount: 3,
        // Ana's two; the reader's own reply never counts.
        unread: 2,
        lastAt: latest.createdAt,
        people: [
          { id: ANA, handle: 'ana', displayName: 'Ana' },
          { id: ME, handle: 'me', displayName: 'Me' },
        ],
      },
    ]);
    // The reader is never their own friend.
    expect(result.friends.map((f) => f.id)).toEqual([BEN, ANA]);
    expect(clipActivity(CLIP, [], groups, ME)).toEqual({ clip: CLIP, groups: [], friends: [] });
  });

  it("counts as unread others' messages past the read position, and none in a muted thread", () => {
    const first = message(ROOM, ANA, CLIP);
    const mine = message(ROOM, ME, CLIP);
    const later = message(ROOM, ANA, CLIP);
    const inDm = message(DM, BEN, CLIP);
    const groups = [
      group(ROOM, { lastReadSeq: first.seq }),
      group(DM, { kind: 'direct', name: 'Ben', muted: true }),
    ];
    const result = clipActivity(CLIP, [first, mine, later, inDm], groups, ME);
    expect(result.groups.map((g) => [g.groupId, g.messageCount, g.unread])).toEqual([
      [DM, 1, 0],
      [ROOM, 3, 1],
    ]);
  });

  it('fills from live events as they arrive, and forgets a thread the user left', async () => {
    const db = openDb(newProfile());
    const cache = new Cache(db);
    await cache.useAccount({ userId: ME, serverUrl: 'http://kith.test' });
    await cache.replaceGroups([group(ROOM), group(DM, { kind: 'direct', name: 'Ben' })]);
    expect((await localClipActivity(db, CLIP, ME)).groups).toEqual([]);

    await cache.apply(created(message(ROOM, ANA, CLIP), 1), '1', ME);
    await cache.apply(created(message(DM, BEN, CLIP), 2), '2', ME);
    await cache.apply(created(message(DM, BEN, OTHER), 3), '3', ME);
    const both = await localClipActivity(db, CLIP, ME);
    expect(both.groups.map((g) => [g.groupId, g.messageCount])).toEqual([
      [DM, 1],
      [ROOM, 1],
    ]);

    await cache.apply(
      { id: 4, type: 'member.left', groupId: DM, userId: ME, payload: {} } as unknown as SyncEvent,
      '4',
      ME,
    );
    expect((await localClipActivity(db, CLIP, ME)).groups.map((g) => g.groupId)).toEqual([ROOM]);
    db.close();
  });

  it('indexes messages a cache from before the index already held', async () => {
    const profile = newProfile();
    const old = new Dexie(profile.name, { indexedDB: profile.idb, IDBKeyRange });
    old.version(1).stores({
      groups: 'id',
      messages: 'id, [groupId+seq]',
      meta: 'key',
      outbox: 'clientId, seq, [userId+serverUrl]',
    });
    await old.table('groups').put(group(ROOM));
    await old.table('messages').bulkPut([message(ROOM, ANA, CLIP), message(ROOM, BEN, null)]);
    old.close();

    const db = openDb(profile);
    const result = await localClipActivity(db, CLIP, ME);
    expect(result.groups.map((g) => [g.groupId, g.messageCount])).toEqual([[ROOM, 1]]);
    db.close();
  });
});

describe('the local clip index in the background', () => {
  const kith = useKith();
  const background = useBackgrounds();

  it('a user who just signed in sees what friends said about a clip before, without the clip reaching the server', async () => {
    const ana = await signUp(kith.deps, 'idxana');
    const ben = await signUp(kith.deps, 'idxben');
    await befriend(ana, ben);
    const group = await ana.api.groups.create({ name: 'Skaters', memberIds: [ben.id] });
    const url = 'https://www.youtube.com/shorts/aBcDeFgHiJk';
    await ben.api.messages.send({
      groupId: group.id,
      clientId: 'idx-seed-1',
      body: 'look',
      clip: { url },
    });
    await ben.api.messages.send({ groupId: group.id, clientId: 'idx-seed-2', body: 'plain words' });

    // Everything the background says to the server, over HTTP and over its socket.
    const asked: string[] = [];
    class RecordingSocket extends WebSocket {
      override send(data: Parameters<WebSocket['send']>[0], ...rest: unknown[]) {
        asked.push(String(data));
        (super.send as (...args: unknown[]) => void)(data, ...rest);
      }
    }
    const bg = background(newProfile(), {
      fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
        asked.push(`${String(input)} ${String(init?.body ?? '')}`);
        return fetch(input, init);
      }) as typeof fetch,
      WebSocket: RecordingSocket as unknown as typeof globalThis.WebSocket,
    });
    await bg.service.ready;
    await bg.service.handle('session.signIn', {
      handle: ana.handle,
      password: 'correct horse battery',
      serverUrl: kith.url,
    });
    const clip = { site: 'youtube', clipId: 'aBcDeFgHiJk', url };
    const activity = await until('the index to hold the earlier message', async () => {
      const answer = await bg.service.handle('clips.local', clip);
      return answer.groups.length > 0 ? answer : null;
    });
    expect(activity.groups).toMatchObject([
      { groupId: group.id, name: 'Skaters', messageCount: 1, people: [{ id: ben.id }] },
    ]);
    expect(activity.friends.map((f) => f.id)).toEqual([ben.id]);
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.join('\n')).not.toContain('aBcDeFgHiJk');
  });

  it('refuses what is not a clip', async () => {
    const bg = background();
    await bg.service.ready;
    await expect(
      bg.service.handle('clips.local', { site: 'myspace', clipId: 'x', url: '' }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
