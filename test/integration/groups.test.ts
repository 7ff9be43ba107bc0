import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../server/deps';
import { engines, openTestDatabase, type TestDatabase } from '../fixtures/db';
import {
  befriend,
  type Caller,
  callerFor,
  makeDeps,
  signUp,
  type TestUser,
} from '../fixtures/deps';
import { dbState, expectRefusedUnchanged, refusal } from '../fixtures/state';

const GROUP_KEYS = [
  'id',
  'kind',
  'lastReadSeq',
  'lastSeq',
  'members',
  'muted',
  'name',
  'request',
  'role',
];
const MEMBER_KEYS = ['displayName', 'handle', 'id', 'joinedAt', 'role'];
const LIST_KEYS = [
  'createdAt',
  'id',
  'kind',
  'lastMessage',
  'lastReadSeq',
  'lastSeq',
  'memberCount',
  'muted',
  'name',
  'peer',
  'role',
  'unread',
];
const LAST_MESSAGE_KEYS = [
  'atSeconds',
  'body',
  'clip',
  'createdAt',
  'deleted',
  'id',
  'kind',
  'sender',
  'senderId',
  'seq',
];

type Code = Parameters<typeof expectRefusedUnchanged>[2];

describe.each(engines)('groups on %s', (engine) => {
  let database: TestDatabase;
  let deps: Deps;
  beforeAll(async () => {
    database = await openTestDatabase(engine);
    deps = makeDeps(database.db);
  });
  afterAll(() => database?.close());

  const refused = (call: () => Promise<unknown>, code: Code, message?: RegExp) =>
    expectRefusedUnchanged(database.db, call, code, message);

  /** `n` new users, each a friend of `of`. */
  async function friendsOf(of: TestUser, n: number, prefix = 'pal'): Promise<TestUser[]> {
    const people = await Promise.all(Array.from({ length: n }, () => signUp(deps, prefix)));
    await Promise.all(people.map((p) => befriend(of, p)));
    return people;
  }

  /** An owner and `n` friends of theirs. */
  async function circle(n: number, prefix = 'grp') {
    const owner = await signUp(deps, `${prefix}o`);
    const friends = await friendsOf(owner, n, prefix);
    return { owner, friends };
  }

  async function send(user: TestUser, groupId: string, body: string) {
    return user.api.messages.send({ groupId, clientId: randomUUID(), body });
  }

  async function eventsOf(groupId: string) {
    const result = await database.db.execute<{
      id: number | string;
      type: string;
      user_id: string | null;
      payload: unknown;
    }>(sql`select id, type, user_id, payload from events where group_id = ${groupId} order by id`);
    return result.rows.map((r) => ({
      id: Number(r.id),
      type: r.type,
      userId: r.user_id,
      payload: typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload,
    }));
  }

  async function memberRow(groupId: string, userId: string) {
    const result = await database.db.execute<{ role: string; joined_event_id: number | string }>(
      sql`select role, joined_event_id from group_members
          where group_id = ${groupId} and user_id = ${userId}`,
    );
    const row = result.rows[0];
    return row ? { role: row.role, joinedEventId: Number(row.joined_event_id) } : undefined;
  }

  async function groupRow(groupId: string) {
    const result = await database.db.execute<{
      kind: string;
      name: string;
      archived_at: Date | string | null;
    }>(sql`select kind, name, archived_at from groups where id = ${groupId}`);
    return result.rows[0];
  }

  const roles = (group: { members: { id: string; role: string }[] }) =>
    Object.fromEntries(group.members.map((m) => [m.id, m.role]));

  async function expectLockedOut(user: TestUser, groupId: string) {
    await expect(user.api.groups.get({ groupId })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'No such group, or you are not in it.',
    });
    await expect(user.api.messages.list({ groupId })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await user.api.groups.list()).map((g) => g.id)).not.toContain(groupId);
  }

  describe('creating a group', () => {
    it('the creator becomes its owner and the chosen friends its members', async () => {
      const { owner, friends } = await circle(2);
      const [bo, cy] = friends as [TestUser, TestUser];
      const group = await owner.api.groups.create({ name: 'Hiking', memberIds: [bo.id, cy.id] });
      expect(Object.keys(group).sort()).toEqual(GROUP_KEYS);
      expect(group).toMatchObject({
        kind: 'group',
        name: 'Hiking',
        role: 'owner',
        muted: false,
        lastSeq: 0,
        lastReadSeq: 0,
      });
      expect(roles(group)).toEqual({ [owner.id]: 'owner', [bo.id]: 'member', [cy.id]: 'member' });
      for (const m of group.members) expect(Object.keys(m).sort()).toEqual(MEMBER_KEYS);
      expect(group.members[0]?.id).toBe(owner.id);

      const seenByBo = await bo.api.groups.get({ groupId: group.id });
      expect(seenByBo).toEqual({ ...group, role: 'member' });
      expect(await groupRow(group.id)).toMatchObject({ kind: 'group', archived_at: null });
    });

    it('a user may start a group with nobody else in it yet', async () => {
      const solo = await signUp(deps, 'solo');
      const group = await solo.api.groups.create({ name: 'Notes to self', memberIds: [] });
      expect(group.members.map((m) => m.id)).toEqual([solo.id]);
    });

    it('the group name is trimmed of surrounding spaces', async () => {
      const solo = await signUp(deps, 'trim');
      const group = await solo.api.groups.create({ name: '   Book club \n', memberIds: [] });
      expect(group.name).toBe('Book club');
      expect((await groupRow(group.id))?.name).toBe('Book club');
    });

    it('listing a friend twice, or listing yourself, adds each person once', async () => {
      const { owner, friends } = await circle(2);
      const [bo, cy] = friends as [TestUser, TestUser];
      const group = await owner.api.groups.create({
        name: 'Dupes',
        memberIds: [bo.id, bo.id, cy.id, owner.id, cy.id],
      });
      expect(group.members).toHaveLength(3);
      expect(roles(group)).toEqual({ [owner.id]: 'owner', [bo.id]: 'member', [cy.id]: 'member' });
      const added = (await eventsOf(group.id)).filter((e) => e.type === 'member.added');
      expect(added).toHaveLength(3);
    });

    it('choosing someone who is not a friend is refused and creates nothing', async () => {
      const { owner, friends } = await circle(1);
      const stranger = await signUp(deps, 'stranger');
      await refused(
        () => owner.api.groups.create({ name: 'Nope', memberIds: [stranger.id] }),
        'FORBIDDEN',
        /only add your friends.*1 of the people chosen is not/,
      );
      await refused(
        () =>
          owner.api.groups.create({
            name: 'Nope',
            memberIds: [friends[0]!.id, stranger.id, randomUUID()],
          }),
        'FORBIDDEN',
        /2 of the people chosen are not/,
      );
    });

    it('a friend who was removed can no longer be put in a new group', async () => {
      const { owner, friends } = await circle(1);
      const [bo] = friends as [TestUser];
      await owner.api.friends.remove({ userId: bo.id });
      await refused(() => owner.api.groups.create({ name: 'Ex', memberIds: [bo.id] }), 'FORBIDDEN');
    });

    describe('the 32-member cap', () => {
      let owner: TestUser;
      let friends: TestUser[];
      beforeAll(async () => {
        ({ owner, friends } = await circle(32, 'cap'));
      });

      it('a group of the creator and 31 friends is full but allowed', async () => {
        const group = await owner.api.groups.create({
          name: 'Full house',
          memberIds: friends.slice(0, 31).map((f) => f.id),
        });
        expect(group.members).toHaveLength(32);
      });

      it('a group of the creator and 32 friends is refused and nothing is created', async () => {
        await refused(
          () => owner.api.groups.create({ name: 'Too many', memberIds: friends.map((f) => f.id) }),
          'BAD_REQUEST',
          /at most 32 members/,
        );
      });

      it('listing yourself among 31 friends still makes a group of 32', async () => {
        const group = await owner.api.groups.create({
          name: 'Me too',
          memberIds: [owner.id, ...friends.slice(0, 31).map((f) => f.id)],
        });
        expect(group.members).toHaveLength(32);
      });

      it('31 friends each listed twice still make a group of 32', async () => {
        const ids = friends.slice(0, 31).map((f) => f.id);
        const group = await owner.api.groups.create({ name: 'Twice', memberIds: [...ids, ...ids] });
        expect(group.members).toHaveLength(32);
      });

      it('adding past the cap is refused, naming how much room is left', async () => {
        const group = await owner.api.groups.create({
          name: 'Almost',
          memberIds: friends.slice(0, 30).map((f) => f.id),
        });
        await refused(
          () =>
            owner.api.groups.addMembers({
              groupId: group.id,
              userIds: [friends[30]!.id, friends[31]!.id],
            }),
          'BAD_REQUEST',
          /at most 32 members; there is room for 1 more/,
        );
        const full = await owner.api.groups.addMembers({
          groupId: group.id,
          userIds: [friends[30]!.id],
        });
        expect(full.members).toHaveLength(32);
        await refused(
          () => owner.api.groups.addMembers({ groupId: group.id, userIds: [friends[31]!.id] }),
          'BAD_REQUEST',
          /room for 0 more/,
        );
        // Re-adding people already in a full group is still fine: nothing changes.
        const same = await owner.api.groups.addMembers({
          groupId: group.id,
          userIds: [friends[0]!.id],
        });
        expect(same.members).toHaveLength(32);
      });
    });

    it('a name of 80 characters is fine', async () => {
      const solo = await signUp(deps, 'long');
      const group = await solo.api.groups.create({ name: 'n'.repeat(80), memberIds: [] });
      expect(group.name).toHaveLength(80);
    });

    it.each([
      ['an empty name', { name: '', memberIds: [] }, /empty/],
      ['a name of only spaces', { name: '    ', memberIds: [] }, /empty/],
      ['a name of 81 characters', { name: 'n'.repeat(81), memberIds: [] }, /at most 80/],
      ['a huge name', { name: 'n'.repeat(100_000), memberIds: [] }, /at most 80/],
      ['a numeric name', { name: 42, memberIds: [] }, undefined],
      ['no name', { memberIds: [] }, undefined],
      ['memberIds as a string', { name: 'G', memberIds: 'everyone' }, undefined],
      ['a member id that is not a uuid', { name: 'G', memberIds: ['bob'] }, /user id/],
      ['a numeric member id', { name: 'G', memberIds: [7] }, undefined],
      ['no memberIds', { name: 'G' }, undefined],
      [
        'a thousand member ids',
        { name: 'G', memberIds: Array.from({ length: 1000 }, () => randomUUID()) },
        undefined,
      ],
      ['no input', undefined, undefined],
    ])(
      'creating a group with %s is refused as bad input and creates nothing',
      async (_w, input, message) => {
        const solo = await signUp(deps, 'badgrp');
        await refused(
          () => solo.api.groups.create(input as unknown as { name: string; memberIds: string[] }),
          'BAD_REQUEST',
          message,
        );
      },
    );
  });

  describe('the group list', () => {
    it('shows unread counts and the last message of each group', async () => {
      const { owner: ana, friends } = await circle(2, 'unr');
      const [bo, cy] = friends as [TestUser, TestUser];
      const group = await ana.api.groups.create({ name: 'Chat', memberIds: [bo.id, cy.id] });

      const quiet = (await ana.api.groups.list()).find((g) => g.id === group.id)!;
      expect(Object.keys(quiet).sort()).toEqual(LIST_KEYS);
      expect(quiet).toMatchObject({
        kind: 'group',
        name: 'Chat',
        role: 'owner',
        unread: 0,
        lastMessage: null,
        memberCount: 3,
        peer: null,
      });

      await send(bo, group.id, 'first');
      await send(bo, group.id, 'second');
      const last = await send(cy, group.id, 'third');

      const forAna = (await ana.api.groups.list()).find((g) => g.id === group.id)!;
      expect(forAna.unread).toBe(3);
      expect(forAna.lastSeq).toBe(3);
      expect(Object.keys(forAna.lastMessage!).sort()).toEqual(LAST_MESSAGE_KEYS);
      expect(forAna.lastMessage).toEqual({
        id: last.id,
        seq: 3,
        kind: 'text',
        senderId: cy.id,
        sender: { id: cy.id, handle: cy.handle, displayName: expect.any(String) },
        body: 'third',
        clip: null,
        atSeconds: null,
        deleted: false,
        createdAt: last.createdAt,
      });
      // Your own messages are never unread.
      expect((await bo.api.groups.list()).find((g) => g.id === group.id)?.unread).toBe(1);
      expect((await cy.api.groups.list()).find((g) => g.id === group.id)?.unread).toBe(2);

      await ana.api.messages.markRead({ groupId: group.id, seq: 2 });
      expect((await ana.api.groups.list()).find((g) => g.id === group.id)).toMatchObject({
        unread: 1,
        lastReadSeq: 2,
      });
      await ana.api.messages.markRead({ groupId: group.id, seq: 3 });
      expect((await ana.api.groups.list()).find((g) => g.id === group.id)?.unread).toBe(0);

      // A deleted last message keeps its place but not its text.
      await cy.api.messages.delete({ messageId: last.id });
      expect((await bo.api.groups.list()).find((g) => g.id === group.id)).toMatchObject({
        unread: 0,
        lastMessage: { id: last.id, body: null, deleted: true },
      });
    });

    it('never counts my own messages as unread, even after someone else reads', async () => {
      const { owner: ana, friends } = await circle(1, 'own');
      const [bo] = friends as [TestUser];
      const group = await ana.api.groups.create({ name: 'Mine', memberIds: [bo.id] });
      await send(ana, group.id, 'one');
      await send(ana, group.id, 'two');
      const unreadOf = async (user: TestUser) =>
        (await user.api.groups.list()).find((g) => g.id === group.id)!;
      expect((await unreadOf(ana)).unread).toBe(0);
      expect((await unreadOf(bo)).unread).toBe(2);
      await send(bo, group.id, 'three');
      // Ana's read position is still 0: only Bo's message counts for her.
      expect(await unreadOf(ana)).toMatchObject({ unread: 1, lastReadSeq: 0 });
      expect((await unreadOf(bo)).unread).toBe(2);
      await bo.api.messages.markRead({ groupId: group.id, seq: 3 });
      expect((await unreadOf(bo)).unread).toBe(0);
      expect((await unreadOf(ana)).unread).toBe(1);
    });

    it("gives a share's clip, its moment and its sender as the last message", async () => {
      const { owner: ana, friends } = await circle(1, 'shr');
      const [bo] = friends as [TestUser];
      const group = await ana.api.groups.create({ name: 'Clips', memberIds: [bo.id] });
      const url = 'https://www.tiktok.com/@scout2015/video/7301234567890123999';
      const shared = await ana.api.clips.share({
        groupIds: [group.id],
        url,
        title: 'Scout does a kickflip',
        thumbnailUrl: 'https://p16-sign.tiktokcdn.com/thumb.jpeg',
        atSeconds: 12,
        note: 'watch the end',
      });
      const row = (await bo.api.groups.list()).find((g) => g.id === group.id)!;
      expect(row.unread).toBe(1);
      expect(row.lastMessage).toEqual({
        id: shared.messages[0]!.id,
        seq: 1,
        kind: 'clip',
        senderId: ana.id,
        sender: { id: ana.id, handle: ana.handle, displayName: expect.any(String) },
        body: 'watch the end',
        clip: {
          site: 'tiktok',
          clipId: '7301234567890123999',
          url,
          title: 'Scout does a kickflip',
          thumbnailUrl: 'https://p16-sign.tiktokcdn.com/thumb.jpeg',
        },
        atSeconds: 12,
        deleted: false,
        createdAt: shared.messages[0]!.createdAt,
      });
      // The sharer sees the same clip and no unread.
      expect((await ana.api.groups.list()).find((g) => g.id === group.id)).toMatchObject({
        unread: 0,
        lastMessage: { kind: 'clip', clip: { title: 'Scout does a kickflip' }, atSeconds: 12 },
      });
      // A deleted share shows neither its note nor its clip.
      await ana.api.messages.delete({ messageId: shared.messages[0]!.id });
      expect((await bo.api.groups.list()).find((g) => g.id === group.id)).toMatchObject({
        unread: 0,
        lastMessage: { kind: 'clip', body: null, clip: null, deleted: true },
      });
    });

    it('lists nothing of a group to a stranger, and refuses a caller without a session', async () => {
      const { owner: ana, friends } = await circle(1, 'str');
      const [bo] = friends as [TestUser];
      const group = await ana.api.groups.create({ name: 'Private', memberIds: [bo.id] });
      await ana.api.clips.share({
        groupIds: [group.id],
        url: 'https://www.tiktok.com/@scout2015/video/7301234567890123998',
        title: 'Not for strangers',
      });
      const stranger = await signUp(deps, 'strng');
      const listed = await stranger.api.groups.list();
      expect(listed.map((g) => g.id)).not.toContain(group.id);
      expect(JSON.stringify(listed)).not.toContain('Not for strangers');
      const anonymous = await callerFor(deps, null);
      await expect(anonymous.groups.list()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    });

    it('names a direct thread after the other person, for each of the two', async () => {
      const ana = await signUp(deps, 'Anabel');
      const [bo] = await friendsOf(ana, 1, 'Bodhi');
      const thread = await ana.api.groups.openDirect({ userId: bo!.id });
      const forAna = (await ana.api.groups.list()).find((g) => g.id === thread.id)!;
      expect(forAna).toMatchObject({
        kind: 'direct',
        name: 'Bodhi',
        memberCount: 2,
        peer: { id: bo!.id, handle: bo!.handle, displayName: 'Bodhi' },
      });
      const forBo = (await bo!.api.groups.list()).find((g) => g.id === thread.id)!;
      expect(forBo).toMatchObject({
        kind: 'direct',
        name: 'Anabel',
        peer: { id: ana.id, handle: ana.handle, displayName: 'Anabel' },
      });
    });

    it('puts the group with the latest activity first', async () => {
      const solo = await signUp(deps, 'order');
      const older = await solo.api.groups.create({ name: 'Older', memberIds: [] });
      const newer = await solo.api.groups.create({ name: 'Newer', memberIds: [] });
      expect((await solo.api.groups.list()).map((g) => g.id)).toEqual([newer.id, older.id]);
      await send(solo, older.id, 'bump');
      expect((await solo.api.groups.list()).map((g) => g.id)).toEqual([older.id, newer.id]);
    });

    it('shows only the groups the user is in', async () => {
      const { owner, friends } = await circle(1, 'only');
      const mine = await owner.api.groups.create({ name: 'Mine', memberIds: [] });
      const shared = await owner.api.groups.create({ name: 'Shared', memberIds: [friends[0]!.id] });
      expect((await owner.api.groups.list()).map((g) => g.id).sort()).toEqual(
        [mine.id, shared.id].sort(),
      );
      expect((await friends[0]!.api.groups.list()).map((g) => g.id)).toEqual([shared.id]);
      const outsider = await signUp(deps, 'outsider');
      expect(await outsider.api.groups.list()).toEqual([]);
    });
  });

  describe('reading a group', () => {
    it('a stranger cannot tell a group they are not in from one that does not exist', async () => {
      const { owner } = await circle(0, 'sec');
      const group = await owner.api.groups.create({ name: 'Secret', memberIds: [] });
      const stranger = await signUp(deps, 'peek');
      const real = await refusal(stranger.api.groups.get({ groupId: group.id }));
      const fake = await refusal(stranger.api.groups.get({ groupId: randomUUID() }));
      expect(real.code).toBe('NOT_FOUND');
      expect(fake.code).toBe('NOT_FOUND');
      expect(real.message).toBe(fake.message);
      expect(real.message).not.toContain('Secret');
    });
  });

  describe('adding members', () => {
    it('the owner adds a friend, who then sees the group; the addition is stored as an event', async () => {
      const { owner, friends } = await circle(2, 'add');
      const [bo, cy] = friends as [TestUser, TestUser];
      const group = await owner.api.groups.create({ name: 'Grow', memberIds: [bo.id] });
      await expectLockedOut(cy, group.id);
      const after = await owner.api.groups.addMembers({ groupId: group.id, userIds: [cy.id] });
      expect(roles(after)).toEqual({ [owner.id]: 'owner', [bo.id]: 'member', [cy.id]: 'member' });
      expect((await cy.api.groups.get({ groupId: group.id })).role).toBe('member');
      const added = (await eventsOf(group.id)).filter((e) => e.type === 'member.added').at(-1)!;
      expect(added).toMatchObject({
        userId: cy.id,
        payload: {
          groupId: group.id,
          user: { id: cy.id, handle: cy.handle, displayName: 'add' },
          role: 'member',
          by: owner.id,
        },
      });
      expect((await memberRow(group.id, cy.id))?.joinedEventId).toBe(added.id);
    });

    it('an admin can add their own friends; a plain member cannot add anyone', async () => {
      const { owner, friends } = await circle(2, 'adm');
      const [admin, member] = friends as [TestUser, TestUser];
      const group = await owner.api.groups.create({
        name: 'Roles',
        memberIds: [admin.id, member.id],
      });
      await owner.api.groups.setRole({ groupId: group.id, userId: admin.id, role: 'admin' });
      const [adminsFriend] = await friendsOf(admin, 1, 'adf');
      await befriend(member, adminsFriend!);

      await refused(
        () => member.api.groups.addMembers({ groupId: group.id, userIds: [adminsFriend!.id] }),
        'FORBIDDEN',
        /owner or an admin/,
      );
      const after = await admin.api.groups.addMembers({
        groupId: group.id,
        userIds: [adminsFriend!.id],
      });
      expect(roles(after)[adminsFriend!.id]).toBe('member');
    });

    it('nobody can add someone who is not their own friend, even a friend of the owner', async () => {
      const { owner, friends } = await circle(3, 'own');
      const [admin, ownersFriend] = friends as [TestUser, TestUser];
      const group = await owner.api.groups.create({ name: 'Mine', memberIds: [admin.id] });
      await owner.api.groups.setRole({ groupId: group.id, userId: admin.id, role: 'admin' });
      await refused(
        () => admin.api.groups.addMembers({ groupId: group.id, userIds: [ownersFriend.id] }),
        'FORBIDDEN',
        /only add your friends/,
      );
      const stranger = await signUp(deps, 'nobody');
      await refused(
        () =>
          owner.api.groups.addMembers({
            groupId: group.id,
            userIds: [friends[2]!.id, stranger.id],
          }),
        'FORBIDDEN',
        /1 of the people chosen is not/,
      );
      await refused(
        () => owner.api.groups.addMembers({ groupId: group.id, userIds: [randomUUID()] }),
        'FORBIDDEN',
      );
    });

    it('adding people who are already in the group changes nothing', async () => {
      const { owner, friends } = await circle(1, 'idem');
      const [bo] = friends as [TestUser];
      const group = await owner.api.groups.create({ name: 'Same', memberIds: [bo.id] });
      const before = await dbState(database.db);
      const again = await owner.api.groups.addMembers({
        groupId: group.id,
        userIds: [bo.id, owner.id, bo.id],
      });
      expect(again).toEqual(group);
      expect(await dbState(database.db)).toEqual(before);
    });

    it('a stranger cannot add people to a group and learns nothing about it', async () => {
      const { owner } = await circle(0, 'strg');
      const group = await owner.api.groups.create({ name: 'Closed', memberIds: [] });
      const stranger = await signUp(deps, 'crash');
      const [pal] = await friendsOf(stranger, 1, 'crashpal');
      await refused(
        () => stranger.api.groups.addMembers({ groupId: group.id, userIds: [pal!.id] }),
        'NOT_FOUND',
        /No such group/,
      );
    });

    it('nobody can be added to a direct thread', async () => {
      const { owner: ana, friends } = await circle(2, 'dadd');
      const [bo, cy] = friends as [TestUser, TestUser];
      const thread = await ana.api.groups.openDirect({ userId: bo.id });
      await refused(
        () => ana.api.groups.addMembers({ groupId: thread.id, userIds: [cy.id] }),
        'BAD_REQUEST',
        /not in direct threads/,
      );
    });

    it('a removed member can be added back and sees the group again', async () => {
      const { owner, friends } = await circle(1, 'back');
      const [bo] = friends as [TestUser];
      const group = await owner.api.groups.create({ name: 'Return', memberIds: [bo.id] });
      const firstJoin = (await memberRow(group.id, bo.id))!.joinedEventId;
      await owner.api.groups.removeMember({ groupId: group.id, userId: bo.id });
      await expectLockedOut(bo, group.id);
      await owner.api.groups.addMembers({ groupId: group.id, userIds: [bo.id] });
      expect((await bo.api.groups.get({ groupId: group.id })).role).toBe('member');
      expect((await memberRow(group.id, bo.id))!.joinedEventId).toBeGreaterThan(firstJoin);
    });
  });

  describe('removing members', () => {
    async function staffedGroup() {
      const { owner, friends } = await circle(4, 'rmv');
      const [admin, admin2, member, member2] = friends as [TestUser, TestUser, TestUser, TestUser];
      const group = await owner.api.groups.create({
        name: 'Staffed',
        memberIds: friends.map((f) => f.id),
      });
      await owner.api.groups.setRole({ groupId: group.id, userId: admin.id, role: 'admin' });
      await owner.api.groups.setRole({ groupId: group.id, userId: admin2.id, role: 'admin' });
      await send(owner, group.id, 'welcome');
      return { owner, admin, admin2, member, member2, groupId: group.id };
    }

    it('the owner removes an admin and a member, who then cannot see the group or its messages', async () => {
      const { owner, admin, member, groupId } = await staffedGroup();
      const afterAdmin = await owner.api.groups.removeMember({ groupId, userId: admin.id });
      expect(roles(afterAdmin)[admin.id]).toBeUndefined();
      const afterMember = await owner.api.groups.removeMember({ groupId, userId: member.id });
      expect(afterMember.members).toHaveLength(3);
      await expectLockedOut(admin, groupId);
      await expectLockedOut(member, groupId);
      await expect(
        member.api.messages.send({ groupId, clientId: randomUUID(), body: 'still here?' }),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
      const removed = (await eventsOf(groupId)).filter((e) => e.type === 'member.removed');
      expect(removed.map((e) => e.userId)).toEqual([admin.id, member.id]);
      expect(removed[0]?.payload).toEqual({
        groupId,
        userId: admin.id,
        by: owner.id,
        toSeq: expect.any(Number),
      });
    });

    it('an admin can remove a member but not another admin or the owner', async () => {
      const { owner, admin, admin2, member, groupId } = await staffedGroup();
      await refused(
        () => admin.api.groups.removeMember({ groupId, userId: admin2.id }),
        'FORBIDDEN',
        /Only the owner can remove an admin/,
      );
      await refused(
        () => admin.api.groups.removeMember({ groupId, userId: owner.id }),
        'FORBIDDEN',
        /nobody can remove the owner/,
      );
      const after = await admin.api.groups.removeMember({ groupId, userId: member.id });
      expect(roles(after)[member.id]).toBeUndefined();
    });

    it('a plain member cannot remove anyone', async () => {
      const { owner, admin, member, member2, groupId } = await staffedGroup();
      for (const target of [member2, admin, owner]) {
        await refused(
          () => member.api.groups.removeMember({ groupId, userId: target.id }),
          'FORBIDDEN',
          /owner or an admin/,
        );
      }
    });

    it('removing yourself is refused with a pointer to leaving instead', async () => {
      const { owner, groupId } = await staffedGroup();
      await refused(
        () => owner.api.groups.removeMember({ groupId, userId: owner.id }),
        'BAD_REQUEST',
        /leave the group instead/,
      );
    });

    it('removing someone who is not in the group is refused as not found', async () => {
      const { owner, groupId } = await staffedGroup();
      const outsider = await signUp(deps, 'notin');
      await refused(
        () => owner.api.groups.removeMember({ groupId, userId: outsider.id }),
        'NOT_FOUND',
        /not in this group/,
      );
      await refused(
        () => owner.api.groups.removeMember({ groupId, userId: randomUUID() }),
        'NOT_FOUND',
      );
    });

    it('a stranger cannot remove anyone and learns nothing about the group', async () => {
      const { member, groupId } = await staffedGroup();
      const stranger = await signUp(deps, 'evict');
      await refused(
        () => stranger.api.groups.removeMember({ groupId, userId: member.id }),
        'NOT_FOUND',
        /No such group/,
      );
    });

    it('nobody can be removed from a direct thread', async () => {
      const { owner: ana, friends } = await circle(1, 'drm');
      const thread = await ana.api.groups.openDirect({ userId: friends[0]!.id });
      await refused(
        () => ana.api.groups.removeMember({ groupId: thread.id, userId: friends[0]!.id }),
        'BAD_REQUEST',
        /not in direct threads/,
      );
    });
  });

  describe('leaving', () => {
    it('when the owner leaves, an admin becomes owner even if a member joined earlier', async () => {
      const { owner, friends } = await circle(2, 'heir');
      const [early, admin] = friends as [TestUser, TestUser];
      const group = await owner.api.groups.create({ name: 'Heirs', memberIds: [early.id] });
      await owner.api.groups.addMembers({ groupId: group.id, userIds: [admin.id] });
      await owner.api.groups.setRole({ groupId: group.id, userId: admin.id, role: 'admin' });
      const result = await owner.api.groups.leave({ groupId: group.id });
      expect(result).toEqual({ ok: true, archived: false, newOwnerId: admin.id });
      const view = await early.api.groups.get({ groupId: group.id });
      expect(roles(view)).toEqual({ [early.id]: 'member', [admin.id]: 'owner' });
      await expectLockedOut(owner, group.id);
    });

    it('when the owner leaves and there is no admin, the earliest member becomes owner', async () => {
      const { owner, friends } = await circle(3, 'eldest');
      const [first, second, third] = friends as [TestUser, TestUser, TestUser];
      const group = await owner.api.groups.create({ name: 'Eldest', memberIds: [first.id] });
      await owner.api.groups.addMembers({ groupId: group.id, userIds: [second.id] });
      await owner.api.groups.addMembers({ groupId: group.id, userIds: [third.id] });
      const result = await owner.api.groups.leave({ groupId: group.id });
      expect(result.newOwnerId).toBe(first.id);
      expect(roles(await third.api.groups.get({ groupId: group.id }))).toEqual({
        [first.id]: 'owner',
        [second.id]: 'member',
        [third.id]: 'member',
      });
      const events = await eventsOf(group.id);
      expect(events.slice(-2).map((e) => [e.type, e.userId])).toEqual([
        ['member.left', owner.id],
        ['member.role', first.id],
      ]);
      // The new owner can manage the group.
      await first.api.groups.rename({ groupId: group.id, name: 'Renamed by heir' });
    });

    it('among members added together, the one added first becomes owner', async () => {
      const { owner, friends } = await circle(3, 'tie');
      // Handles sort the other way round from the order chosen, so a tie broken by handle shows.
      const chosen = [...friends].sort((a, b) => b.handle.localeCompare(a.handle));
      const group = await owner.api.groups.create({
        name: 'Together',
        memberIds: chosen.map((f) => f.id),
      });
      expect(group.members.map((m) => m.id)).toEqual([owner.id, ...chosen.map((f) => f.id)]);
      const result = await owner.api.groups.leave({ groupId: group.id });
      expect(result.newOwnerId).toBe(chosen[0]!.id);
    });

    it('among several admins, the earliest admin becomes owner', async () => {
      const { owner, friends } = await circle(3, 'admins');
      const [member, firstAdmin, laterAdmin] = friends as [TestUser, TestUser, TestUser];
      const group = await owner.api.groups.create({ name: 'Admins', memberIds: [member.id] });
      await owner.api.groups.addMembers({ groupId: group.id, userIds: [firstAdmin.id] });
      await owner.api.groups.addMembers({ groupId: group.id, userIds: [laterAdmin.id] });
      await owner.api.groups.setRole({ groupId: group.id, userId: laterAdmin.id, role: 'admin' });
      await owner.api.groups.setRole({ groupId: group.id, userId: firstAdmin.id, role: 'admin' });
      expect((await owner.api.groups.leave({ groupId: group.id })).newOwnerId).toBe(firstAdmin.id);
      expect(roles(await member.api.groups.get({ groupId: group.id }))).toEqual({
        [member.id]: 'member',
        [firstAdmin.id]: 'owner',
        [laterAdmin.id]: 'admin',
      });
    });

    it('a member who leaves loses access and the owner stays owner', async () => {
      const { owner, friends } = await circle(2, 'quit');
      const [bo, cy] = friends as [TestUser, TestUser];
      const group = await owner.api.groups.create({ name: 'Quit', memberIds: [bo.id, cy.id] });
      expect(await bo.api.groups.leave({ groupId: group.id })).toEqual({
        ok: true,
        archived: false,
        newOwnerId: null,
      });
      await expectLockedOut(bo, group.id);
      expect(roles(await owner.api.groups.get({ groupId: group.id }))).toEqual({
        [owner.id]: 'owner',
        [cy.id]: 'member',
      });
      // Leaving twice: the second time there is no group to leave.
      await refused(() => bo.api.groups.leave({ groupId: group.id }), 'NOT_FOUND', /No such group/);
    });

    it('when the last member leaves, the group is archived and disappears for everyone', async () => {
      const { owner, friends } = await circle(1, 'last');
      const [bo] = friends as [TestUser];
      const group = await owner.api.groups.create({ name: 'Last', memberIds: [bo.id] });
      await send(bo, group.id, 'bye all');
      await owner.api.groups.leave({ groupId: group.id });
      expect((await groupRow(group.id))?.archived_at).toBeNull();
      expect(await bo.api.groups.leave({ groupId: group.id })).toEqual({
        ok: true,
        archived: true,
        newOwnerId: null,
      });
      expect((await groupRow(group.id))?.archived_at).not.toBeNull();
      expect((await bo.api.groups.list()).map((g) => g.id)).not.toContain(group.id);
      expect((await owner.api.groups.list()).map((g) => g.id)).not.toContain(group.id);
      await expectLockedOut(bo, group.id);
      expect((await eventsOf(group.id)).at(-1)).toMatchObject({
        type: 'group.archived',
        payload: { groupId: group.id },
      });
    });

    it('a direct thread cannot be left', async () => {
      const { owner: ana, friends } = await circle(1, 'dleave');
      const thread = await ana.api.groups.openDirect({ userId: friends[0]!.id });
      await refused(
        () => ana.api.groups.leave({ groupId: thread.id }),
        'BAD_REQUEST',
        /not in direct threads/,
      );
    });
  });

  describe('renaming', () => {
    it('the owner and admins can rename a group; a plain member cannot', async () => {
      const { owner, friends } = await circle(2, 'ren');
      const [admin, member] = friends as [TestUser, TestUser];
      const group = await owner.api.groups.create({
        name: 'Before',
        memberIds: [admin.id, member.id],
      });
      await owner.api.groups.setRole({ groupId: group.id, userId: admin.id, role: 'admin' });
      expect((await owner.api.groups.rename({ groupId: group.id, name: ' After ' })).name).toBe(
        'After',
      );
      expect((await admin.api.groups.rename({ groupId: group.id, name: 'Later' })).name).toBe(
        'Later',
      );
      await refused(
        () => member.api.groups.rename({ groupId: group.id, name: 'Mine now' }),
        'FORBIDDEN',
        /owner or an admin/,
      );
      expect((await member.api.groups.get({ groupId: group.id })).name).toBe('Later');
      const renames = (await eventsOf(group.id)).filter((e) => e.type === 'group.renamed');
      expect(renames.map((e) => e.payload)).toEqual([
        { groupId: group.id, name: 'After', by: owner.id },
        { groupId: group.id, name: 'Later', by: admin.id },
      ]);
    });

    it('a direct thread cannot be renamed', async () => {
      const { owner: ana, friends } = await circle(1, 'dren');
      const thread = await ana.api.groups.openDirect({ userId: friends[0]!.id });
      await refused(
        () => ana.api.groups.rename({ groupId: thread.id, name: 'Us' }),
        'BAD_REQUEST',
        /not in direct threads/,
      );
    });

    it('a stranger cannot rename a group', async () => {
      const { owner } = await circle(0, 'sren');
      const group = await owner.api.groups.create({ name: 'Keep', memberIds: [] });
      const stranger = await signUp(deps, 'vandal');
      await refused(
        () => stranger.api.groups.rename({ groupId: group.id, name: 'Pwned' }),
        'NOT_FOUND',
      );
    });
  });

  describe('roles', () => {
    it('the owner makes a member admin and back; the change is stored as an event', async () => {
      const { owner, friends } = await circle(1, 'role');
      const [bo] = friends as [TestUser];
      const group = await owner.api.groups.create({ name: 'Roles', memberIds: [bo.id] });
      const promoted = await owner.api.groups.setRole({
        groupId: group.id,
        userId: bo.id,
        role: 'admin',
      });
      expect(roles(promoted)[bo.id]).toBe('admin');
      expect((await bo.api.groups.get({ groupId: group.id })).role).toBe('admin');
      const demoted = await owner.api.groups.setRole({
        groupId: group.id,
        userId: bo.id,
        role: 'member',
      });
      expect(roles(demoted)[bo.id]).toBe('member');
      const changes = (await eventsOf(group.id)).filter((e) => e.type === 'member.role');
      expect(changes.map((e) => e.payload)).toEqual([
        { groupId: group.id, userId: bo.id, role: 'admin' },
        { groupId: group.id, userId: bo.id, role: 'member' },
      ]);
    });

    it('only the owner changes roles, and the owner’s own role cannot be changed this way', async () => {
      const { owner, friends } = await circle(2, 'rolex');
      const [admin, member] = friends as [TestUser, TestUser];
      const group = await owner.api.groups.create({
        name: 'Ranks',
        memberIds: [admin.id, member.id],
      });
      await owner.api.groups.setRole({ groupId: group.id, userId: admin.id, role: 'admin' });
      await refused(
        () => admin.api.groups.setRole({ groupId: group.id, userId: member.id, role: 'admin' }),
        'FORBIDDEN',
        /Only the group owner/,
      );
      await refused(
        () => member.api.groups.setRole({ groupId: group.id, userId: member.id, role: 'admin' }),
        'FORBIDDEN',
      );
      await refused(
        () => owner.api.groups.setRole({ groupId: group.id, userId: owner.id, role: 'member' }),
        'NOT_FOUND',
        /role can change/,
      );
      await refused(
        () => owner.api.groups.setRole({ groupId: group.id, userId: randomUUID(), role: 'admin' }),
        'NOT_FOUND',
      );
      await refused(
        () =>
          owner.api.groups.setRole({
            groupId: group.id,
            userId: member.id,
            role: 'owner' as 'admin',
          }),
        'BAD_REQUEST',
      );
    });

    it('roles cannot be set in a direct thread', async () => {
      const { owner: ana, friends } = await circle(1, 'drole');
      const thread = await ana.api.groups.openDirect({ userId: friends[0]!.id });
      await refused(
        () => ana.api.groups.setRole({ groupId: thread.id, userId: friends[0]!.id, role: 'admin' }),
        'BAD_REQUEST',
      );
    });
  });

  describe('muting', () => {
    it('a member mutes and unmutes a group for themself only', async () => {
      const { owner, friends } = await circle(1, 'mute');
      const [bo] = friends as [TestUser];
      const group = await owner.api.groups.create({ name: 'Loud', memberIds: [bo.id] });
      expect(await bo.api.groups.mute({ groupId: group.id, muted: true })).toEqual({
        groupId: group.id,
        muted: true,
      });
      expect((await bo.api.groups.get({ groupId: group.id })).muted).toBe(true);
      expect((await bo.api.groups.list()).find((g) => g.id === group.id)?.muted).toBe(true);
      expect((await owner.api.groups.get({ groupId: group.id })).muted).toBe(false);
      await bo.api.groups.mute({ groupId: group.id, muted: false });
      expect((await bo.api.groups.get({ groupId: group.id })).muted).toBe(false);
    });

    it('a direct thread can be muted too', async () => {
      const { owner: ana, friends } = await circle(1, 'dmute');
      const thread = await ana.api.groups.openDirect({ userId: friends[0]!.id });
      await ana.api.groups.mute({ groupId: thread.id, muted: true });
      expect((await ana.api.groups.get({ groupId: thread.id })).muted).toBe(true);
      expect((await friends[0]!.api.groups.get({ groupId: thread.id })).muted).toBe(false);
    });

    it('a stranger cannot mute a group they are not in', async () => {
      const { owner } = await circle(0, 'smute');
      const group = await owner.api.groups.create({ name: 'Hush', memberIds: [] });
      const stranger = await signUp(deps, 'hush');
      await refused(
        () => stranger.api.groups.mute({ groupId: group.id, muted: true }),
        'NOT_FOUND',
      );
    });
  });

  describe('direct threads', () => {
    it('the same two people always get the same thread, whoever opens it', async () => {
      const { owner: ana, friends } = await circle(1, 'dm');
      const [bo] = friends as [TestUser];
      const fromAna = await ana.api.groups.openDirect({ userId: bo.id });
      expect(Object.keys(fromAna).sort()).toEqual(GROUP_KEYS);
      expect(fromAna).toMatchObject({ kind: 'direct', role: 'member' });
      expect(fromAna.members.map((m) => m.id).sort()).toEqual([ana.id, bo.id].sort());
      const fromBo = await bo.api.groups.openDirect({ userId: ana.id });
      expect(fromBo.id).toBe(fromAna.id);
      const before = await dbState(database.db);
      const again = await ana.api.groups.openDirect({ userId: bo.id });
      expect(again.id).toBe(fromAna.id);
      expect(await dbState(database.db)).toEqual(before);
      const added = (await eventsOf(fromAna.id)).filter((e) => e.type === 'member.added');
      expect(added.map((e) => e.userId).sort()).toEqual([ana.id, bo.id].sort());
    });

    it('both people opening the thread at the same moment get one thread', async () => {
      for (let round = 0; round < 3; round++) {
        const { owner: ana, friends } = await circle(1, 'race');
        const [bo] = friends as [TestUser];
        const [a, b, a2] = await Promise.all([
          ana.api.groups.openDirect({ userId: bo.id }),
          bo.api.groups.openDirect({ userId: ana.id }),
          ana.api.groups.openDirect({ userId: bo.id }),
        ]);
        expect(b.id).toBe(a.id);
        expect(a2.id).toBe(a.id);
        const key = [ana.id, bo.id].sort().join(':');
        const threads = await database.db.execute<{ id: string }>(
          sql`select id from groups where direct_key = ${key}`,
        );
        expect(threads.rows).toEqual([{ id: a.id }]);
        expect(a.members).toHaveLength(2);
        expect((await eventsOf(a.id)).filter((e) => e.type === 'member.added')).toHaveLength(2);
      }
    });

    it('a direct thread with yourself is refused', async () => {
      const solo = await signUp(deps, 'mirror');
      await refused(
        () => solo.api.groups.openDirect({ userId: solo.id }),
        'BAD_REQUEST',
        /another person/,
      );
    });

    it('a direct thread with an unknown user is refused as not found', async () => {
      const solo = await signUp(deps, 'ghostdm');
      await refused(
        () => solo.api.groups.openDirect({ userId: randomUUID() }),
        'NOT_FOUND',
        /No such user/,
      );
    });

    it('a direct thread with someone who is not a friend is refused', async () => {
      const ana = await signUp(deps, 'cold');
      const bo = await signUp(deps, 'cold');
      await refused(
        () => ana.api.groups.openDirect({ userId: bo.id }),
        'FORBIDDEN',
        /only message your friends/,
      );
    });

    it('a direct thread is refused when either person blocked the other', async () => {
      const { owner: ana, friends } = await circle(2, 'dmblk');
      const [bo, cy] = friends as [TestUser, TestUser];
      await ana.api.friends.block({ userId: bo.id });
      await cy.api.friends.block({ userId: ana.id });
      for (const [from, to] of [
        [ana, bo],
        [bo, ana],
        [ana, cy],
        [cy, ana],
      ] as const) {
        await refused(
          () => from.api.groups.openDirect({ userId: to.id }),
          'FORBIDDEN',
          /cannot message this person/,
        );
      }
    });
  });

  it('membership changes are stored as events with increasing ids, and each member row records where its member joined', async () => {
    const { owner, friends } = await circle(2, 'evt');
    const [bo, cy] = friends as [TestUser, TestUser];
    const group = await owner.api.groups.create({ name: 'Timeline', memberIds: [bo.id] });
    await owner.api.groups.addMembers({ groupId: group.id, userIds: [cy.id] });
    await owner.api.groups.setRole({ groupId: group.id, userId: cy.id, role: 'admin' });
    await owner.api.groups.rename({ groupId: group.id, name: 'Timeline 2' });

    const joinedBefore = {
      owner: (await memberRow(group.id, owner.id))!.joinedEventId,
      bo: (await memberRow(group.id, bo.id))!.joinedEventId,
      cy: (await memberRow(group.id, cy.id))!.joinedEventId,
    };

    await owner.api.groups.removeMember({ groupId: group.id, userId: bo.id });
    await owner.api.groups.leave({ groupId: group.id });
    await cy.api.groups.leave({ groupId: group.id });

    const events = await eventsOf(group.id);
    expect(events.map((e) => [e.type, e.userId])).toEqual([
      ['member.added', owner.id],
      ['member.added', bo.id],
      ['member.added', cy.id],
      ['member.role', cy.id],
      ['group.renamed', null],
      ['member.removed', bo.id],
      ['member.left', owner.id],
      ['member.role', cy.id],
      ['member.left', cy.id],
      ['group.archived', null],
    ]);
    for (let i = 1; i < events.length; i++)
      expect(events[i]!.id).toBeGreaterThan(events[i - 1]!.id);

    expect(joinedBefore).toEqual({
      owner: events[0]!.id,
      bo: events[1]!.id,
      cy: events[2]!.id,
    });
    expect(events[0]!.payload).toEqual({
      groupId: group.id,
      user: { id: owner.id, handle: owner.handle, displayName: 'evto' },
      role: 'owner',
      by: owner.id,
      fromSeq: 0,
    });
    expect(events[7]!.payload).toEqual({ groupId: group.id, userId: cy.id, role: 'owner' });
  });

  describe('bad input and strangers', () => {
    let owner: TestUser;
    let member: TestUser;
    let groupId: string;
    beforeAll(async () => {
      ({ owner } = await circle(0, 'bad'));
      [member] = (await friendsOf(owner, 1, 'badm')) as [TestUser];
      groupId = (await owner.api.groups.create({ name: 'Fixture', memberIds: [member.id] })).id;
    });

    type Call = (api: Caller) => Promise<unknown>;
    const call =
      (procedure: string, input: () => unknown): Call =>
      (api) =>
        (
          (api.groups as unknown as Record<string, (i: unknown) => Promise<unknown>>)[
            procedure
          ] as (i: unknown) => Promise<unknown>
        )(input());

    const bad: [string, Call][] = [
      ['get without input', call('get', () => undefined)],
      ['get with a non-uuid group id', call('get', () => ({ groupId: 'general' }))],
      ['get with a numeric group id', call('get', () => ({ groupId: 1 }))],
      ['get with an oversized group id', call('get', () => ({ groupId: 'g'.repeat(100_000) }))],
      ['addMembers with nobody', call('addMembers', () => ({ groupId, userIds: [] }))],
      [
        'addMembers with a non-uuid person',
        call('addMembers', () => ({ groupId, userIds: ['x'] })),
      ],
      [
        'addMembers with userIds as a string',
        call('addMembers', () => ({ groupId, userIds: member.id })),
      ],
      [
        'addMembers with a thousand people',
        call('addMembers', () => ({
          groupId,
          userIds: Array.from({ length: 1000 }, () => randomUUID()),
        })),
      ],
      [
        'addMembers with a bad group id',
        call('addMembers', () => ({ groupId: 'x', userIds: [member.id] })),
      ],
      [
        'removeMember with a non-uuid person',
        call('removeMember', () => ({ groupId, userId: 'bob' })),
      ],
      ['removeMember without a person', call('removeMember', () => ({ groupId }))],
      ['leave with a non-uuid group id', call('leave', () => ({ groupId: '' }))],
      ['leave with a null group id', call('leave', () => ({ groupId: null }))],
      ['rename to an empty name', call('rename', () => ({ groupId, name: '' }))],
      ['rename to spaces', call('rename', () => ({ groupId, name: '   ' }))],
      ['rename to 81 characters', call('rename', () => ({ groupId, name: 'x'.repeat(81) }))],
      ['rename to a number', call('rename', () => ({ groupId, name: 81 }))],
      ['setRole to owner', call('setRole', () => ({ groupId, userId: member.id, role: 'owner' }))],
      [
        'setRole to a made-up role',
        call('setRole', () => ({ groupId, userId: member.id, role: 'boss' })),
      ],
      [
        'setRole with a non-uuid person',
        call('setRole', () => ({ groupId, userId: 'x', role: 'admin' })),
      ],
      ['mute with a string', call('mute', () => ({ groupId, muted: 'yes' }))],
      ['mute without a value', call('mute', () => ({ groupId }))],
      ['openDirect with a non-uuid person', call('openDirect', () => ({ userId: 'friend' }))],
      ['openDirect without input', call('openDirect', () => undefined)],
    ];

    it.each(bad)('%s is refused as bad input and changes nothing', async (_what, fn) => {
      await refused(() => fn(owner.api), 'BAD_REQUEST');
    });

    const unknownGroup: [string, Call][] = [
      ['get', call('get', () => ({ groupId: randomUUID() }))],
      ['addMembers', call('addMembers', () => ({ groupId: randomUUID(), userIds: [member.id] }))],
      ['removeMember', call('removeMember', () => ({ groupId: randomUUID(), userId: member.id }))],
      ['leave', call('leave', () => ({ groupId: randomUUID() }))],
      ['rename', call('rename', () => ({ groupId: randomUUID(), name: 'Ghost' }))],
      [
        'setRole',
        call('setRole', () => ({ groupId: randomUUID(), userId: member.id, role: 'admin' })),
      ],
      ['mute', call('mute', () => ({ groupId: randomUUID(), muted: true }))],
    ];

    it.each(unknownGroup)(
      '%s on a group that does not exist is refused as not found',
      async (_w, fn) => {
        await refused(() => fn(owner.api), 'NOT_FOUND', /No such group, or you are not in it/);
      },
    );

    it('a stranger is refused everywhere in the group exactly as if it did not exist', async () => {
      const stranger = await signUp(deps, 'strangr');
      const [pal] = await friendsOf(stranger, 1, 'strpal');
      const attempts: [string, Call][] = [
        ['get', call('get', () => ({ groupId }))],
        ['addMembers', call('addMembers', () => ({ groupId, userIds: [pal!.id] }))],
        ['removeMember', call('removeMember', () => ({ groupId, userId: member.id }))],
        ['leave', call('leave', () => ({ groupId }))],
        ['rename', call('rename', () => ({ groupId, name: 'Mine' }))],
        ['setRole', call('setRole', () => ({ groupId, userId: member.id, role: 'admin' }))],
        ['mute', call('mute', () => ({ groupId, muted: true }))],
      ];
      for (const [name, fn] of attempts) {
        const error = await refused(() => fn(stranger.api), 'NOT_FOUND');
        expect(error.message, name).toBe('No such group, or you are not in it.');
      }
    });

    it('every groups procedure refuses a caller who is not signed in', async () => {
      const anon = await callerFor(deps);
      const attempts: [string, Call][] = [
        ['create', call('create', () => ({ name: 'Anon', memberIds: [] }))],
        ['list', (api) => api.groups.list()],
        ['get', call('get', () => ({ groupId }))],
        ['addMembers', call('addMembers', () => ({ groupId, userIds: [member.id] }))],
        ['removeMember', call('removeMember', () => ({ groupId, userId: member.id }))],
        ['leave', call('leave', () => ({ groupId }))],
        ['rename', call('rename', () => ({ groupId, name: 'Anon' }))],
        ['setRole', call('setRole', () => ({ groupId, userId: member.id, role: 'admin' }))],
        ['mute', call('mute', () => ({ groupId, muted: true }))],
        ['openDirect', call('openDirect', () => ({ userId: member.id }))],
      ];
      for (const [name, fn] of attempts) {
        const error = await refused(() => fn(anon), 'UNAUTHORIZED');
        expect(error.code, name).toBe('UNAUTHORIZED');
      }
    });
  });
});
