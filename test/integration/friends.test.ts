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

const CODE = /^[ABCDEFGHJKMNPQRSTUVWXYZ2-9]{10}$/;
const DAY = 24 * 3600 * 1000;

describe.each(engines)('friends on %s', (engine) => {
  let database: TestDatabase;
  let deps: Deps;
  beforeAll(async () => {
    database = await openTestDatabase(engine);
    deps = makeDeps(database.db);
  });
  afterAll(() => database?.close());

  const refused = (
    call: () => Promise<unknown>,
    code: Parameters<typeof expectRefusedUnchanged>[2],
    message?: RegExp,
  ) => expectRefusedUnchanged(database.db, call, code, message);

  async function friendshipRows(a: string, b: string) {
    const result = await database.db.execute<{ user_id: string; friend_id: string }>(
      sql`select user_id, friend_id from friendships
          where (user_id = ${a} and friend_id = ${b}) or (user_id = ${b} and friend_id = ${a})
          order by user_id`,
    );
    return result.rows;
  }

  async function inviteRow(code: string) {
    const result = await database.db.execute<{
      inviter_id: string;
      uses: number;
      max_uses: number;
      expires_at: Date | string;
    }>(sql`select inviter_id, uses, max_uses, expires_at from invites where code = ${code}`);
    return result.rows[0];
  }

  const ids = (list: { id: string }[]) => list.map((f) => f.id).sort();

  describe('invites', () => {
    it('a user creates an invite: a readable code, a link under PUBLIC_URL and a week to use it', async () => {
      const ana = await signUp(deps, 'ana');
      const before = Date.now();
      const invite = await ana.api.friends.createInvite();
      expect(Object.keys(invite).sort()).toEqual(['code', 'expiresAt', 'maxUses', 'url']);
      expect(invite.code).toMatch(CODE);
      expect(invite.url).toBe(`http://kith.test/invite/${invite.code}`);
      expect(invite.maxUses).toBe(1);
      expect(new Date(invite.expiresAt).toISOString()).toBe(invite.expiresAt);
      const expires = Date.parse(invite.expiresAt);
      expect(expires).toBeGreaterThanOrEqual(before + 7 * DAY - 1000);
      expect(expires).toBeLessThanOrEqual(Date.now() + 7 * DAY + 1000);

      const row = await inviteRow(invite.code);
      expect(row).toMatchObject({ inviter_id: ana.id, uses: 0, max_uses: 1 });
      expect(new Date(row!.expires_at).toISOString()).toBe(invite.expiresAt);
    });

    it('each invite gets its own code', async () => {
      const ana = await signUp(deps, 'codes');
      const codes = new Set<string>();
      for (let i = 0; i < 5; i++) codes.add((await ana.api.friends.createInvite()).code);
      expect(codes.size).toBe(5);
    });

    it('an invite can be made for several people at once', async () => {
      const host = await signUp(deps, 'host');
      const invite = await host.api.friends.createInvite({ maxUses: 2 });
      expect(invite.maxUses).toBe(2);
      const [b, c, d] = await Promise.all([
        signUp(deps, 'b'),
        signUp(deps, 'c'),
        signUp(deps, 'd'),
      ]);
      await b.api.friends.acceptInvite({ code: invite.code });
      await c.api.friends.acceptInvite({ code: invite.code });
      await refused(
        () => d.api.friends.acceptInvite({ code: invite.code }),
        'PRECONDITION_FAILED',
        /already been used/,
      );
      expect(ids(await host.api.friends.list())).toEqual([b.id, c.id].sort());
    });

    it.each([
      ['zero uses', { maxUses: 0 }],
      ['too many uses', { maxUses: 21 }],
      ['a fractional count', { maxUses: 1.5 }],
      ['a string count', { maxUses: '2' }],
      ['a non-object', 'lots'],
    ])('an invite with %s is refused as bad input', async (_what, input) => {
      const ana = await signUp(deps, 'badinv');
      await refused(
        () => ana.api.friends.createInvite(input as unknown as { maxUses: number }),
        'BAD_REQUEST',
      );
    });

    it('a friend accepts with the bare code and both now see each other', async () => {
      const ana = await signUp(deps, 'ana');
      const bo = await signUp(deps, 'bo');
      const invite = await ana.api.friends.createInvite();
      const accepted = await bo.api.friends.acceptInvite({ code: invite.code });
      expect(accepted).toEqual({
        friend: { id: ana.id, handle: ana.handle, displayName: 'ana' },
      });
      expect(ids(await ana.api.friends.list())).toEqual([bo.id]);
      expect(ids(await bo.api.friends.list())).toEqual([ana.id]);
      expect(await friendshipRows(ana.id, bo.id)).toHaveLength(2);
      expect((await inviteRow(invite.code))?.uses).toBe(1);
    });

    it('a friend can paste the whole invite link instead of the code', async () => {
      const ana = await signUp(deps, 'ana');
      const bo = await signUp(deps, 'bo');
      const invite = await ana.api.friends.createInvite();
      await bo.api.friends.acceptInvite({ code: invite.url });
      expect(ids(await bo.api.friends.list())).toEqual([ana.id]);
    });

    it('a code or link typed in lowercase, with spaces around it, still works', async () => {
      const ana = await signUp(deps, 'ana');
      const [bo, cy] = await Promise.all([signUp(deps, 'bo'), signUp(deps, 'cy')]);
      const first = await ana.api.friends.createInvite();
      await bo.api.friends.acceptInvite({ code: `  ${first.code.toLowerCase()}\n` });
      const second = await ana.api.friends.createInvite();
      await cy.api.friends.acceptInvite({ code: ` ${second.url.toLowerCase()} ` });
      expect(ids(await ana.api.friends.list())).toEqual([bo.id, cy.id].sort());
    });

    it('accepting your own invite is refused with a clear message and changes nothing', async () => {
      const ana = await signUp(deps, 'self');
      const invite = await ana.api.friends.createInvite();
      await refused(
        () => ana.api.friends.acceptInvite({ code: invite.code }),
        'BAD_REQUEST',
        /your own invite/,
      );
      expect((await inviteRow(invite.code))?.uses).toBe(0);
    });

    it('an expired invite is refused with a clear message and changes nothing', async () => {
      const ana = await signUp(deps, 'old');
      const bo = await signUp(deps, 'late');
      const invite = await ana.api.friends.createInvite();
      await database.db.execute(
        sql`update invites set expires_at = now() - interval '1 minute' where code = ${invite.code}`,
      );
      await refused(
        () => bo.api.friends.acceptInvite({ code: invite.code }),
        'PRECONDITION_FAILED',
        /expired/,
      );
      expect(await friendshipRows(ana.id, bo.id)).toEqual([]);
    });

    it('a used-up invite is refused for the next person with a clear message', async () => {
      const ana = await signUp(deps, 'once');
      const bo = await signUp(deps, 'first');
      const cy = await signUp(deps, 'second');
      const invite = await ana.api.friends.createInvite({ maxUses: 1 });
      await bo.api.friends.acceptInvite({ code: invite.code });
      await refused(
        () => cy.api.friends.acceptInvite({ code: invite.code }),
        'PRECONDITION_FAILED',
        /already been used/,
      );
      expect(await friendshipRows(ana.id, cy.id)).toEqual([]);
      expect((await inviteRow(invite.code))?.uses).toBe(1);
    });

    it('two people racing for the last use of an invite: exactly one gets in', async () => {
      const ana = await signUp(deps, 'race');
      const [bo, cy] = await Promise.all([signUp(deps, 'r1'), signUp(deps, 'r2')]);
      const invite = await ana.api.friends.createInvite();
      const results = await Promise.allSettled([
        bo.api.friends.acceptInvite({ code: invite.code }),
        cy.api.friends.acceptInvite({ code: invite.code }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const failed = results.find((r) => r.status === 'rejected');
      expect((failed as PromiseRejectedResult).reason).toMatchObject({
        code: 'PRECONDITION_FAILED',
      });
      expect((await inviteRow(invite.code))?.uses).toBe(1);
      expect(await ana.api.friends.list()).toHaveLength(1);
    });

    it('accepting an invite from someone who is already a friend is refused as a conflict', async () => {
      const ana = await signUp(deps, 'again');
      const bo = await signUp(deps, 'again');
      await befriend(ana, bo);
      const second = await ana.api.friends.createInvite();
      await refused(
        () => bo.api.friends.acceptInvite({ code: second.code }),
        'CONFLICT',
        /already friends/,
      );
      const reverse = await bo.api.friends.createInvite();
      await refused(
        () => ana.api.friends.acceptInvite({ code: reverse.code }),
        'CONFLICT',
        /already friends/,
      );
      expect((await inviteRow(second.code))?.uses).toBe(0);
    });

    it('two people accepting each other’s invites at the same moment end up friends once', async () => {
      const ana = await signUp(deps, 'mutual');
      const bo = await signUp(deps, 'mutual');
      const [fromAna, fromBo] = await Promise.all([
        ana.api.friends.createInvite(),
        bo.api.friends.createInvite(),
      ]);
      const results = await Promise.allSettled([
        bo.api.friends.acceptInvite({ code: fromAna.code }),
        ana.api.friends.acceptInvite({ code: fromBo.code }),
      ]);
      // One wins; the other learns they are already friends (not an internal error).
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(lost.reason).toMatchObject({ code: 'CONFLICT', message: 'You are already friends.' });
      expect(await friendshipRows(ana.id, bo.id)).toHaveLength(2);
      // The losing acceptance is rolled back: its invite stays unused.
      const uses =
        ((await inviteRow(fromAna.code))?.uses ?? 0) + ((await inviteRow(fromBo.code))?.uses ?? 0);
      expect(uses).toBe(1);
    });

    it('an unknown code is refused as not found', async () => {
      const bo = await signUp(deps, 'guess');
      await refused(
        () => bo.api.friends.acceptInvite({ code: 'ABCDEFGHJK' }),
        'NOT_FOUND',
        /does not exist/,
      );
      await refused(
        () => bo.api.friends.acceptInvite({ code: 'http://kith.test/invite/ZZZZZZZZZZ' }),
        'NOT_FOUND',
      );
    });

    it.each([
      ['an empty code', ''],
      ['only spaces', '    '],
      ['a too-short code', 'ABC'],
      ['a very long code', 'A'.repeat(5000)],
      ['punctuation', 'ABC-DEF!GH'],
      ['a link without a code', 'http://kith.test/invite/'],
      ['a number', 12345678],
      ['null', null],
      ['an object', { code: 'ABCDEFGHJK' }],
    ])('accepting %s is refused as bad input and changes nothing', async (_what, code) => {
      const bo = await signUp(deps, 'badcode');
      await refused(
        () => bo.api.friends.acceptInvite({ code } as unknown as { code: string }),
        'BAD_REQUEST',
      );
    });

    it('accepting with no input at all is refused as bad input', async () => {
      const bo = await signUp(deps, 'noinput');
      await refused(
        () => bo.api.friends.acceptInvite(undefined as unknown as { code: string }),
        'BAD_REQUEST',
      );
    });

    it('an invite from someone who blocked you is refused, and so is one from someone you blocked', async () => {
      const ana = await signUp(deps, 'blocker');
      const bo = await signUp(deps, 'blocked');
      const fromAna = await ana.api.friends.createInvite();
      const fromBo = await bo.api.friends.createInvite();
      await ana.api.friends.block({ userId: bo.id });
      // The inviter blocked the person accepting.
      await refused(
        () => bo.api.friends.acceptInvite({ code: fromAna.code }),
        'FORBIDDEN',
        /cannot connect/,
      );
      // The person accepting blocked the inviter.
      await refused(
        () => ana.api.friends.acceptInvite({ code: fromBo.code }),
        'FORBIDDEN',
        /cannot connect/,
      );
      // A fresh invite made after the block does not get round it either.
      const fresh = await ana.api.friends.createInvite();
      await refused(() => bo.api.friends.acceptInvite({ code: fresh.code }), 'FORBIDDEN');
      expect(await friendshipRows(ana.id, bo.id)).toEqual([]);
    });
  });

  describe('the friend list', () => {
    it('shows friends on both sides, sorted by name, with only public fields', async () => {
      const me = await signUp(deps, 'middle');
      const zed = await signUp(deps, 'Zed');
      const amy = await signUp(deps, 'amy');
      await befriend(me, zed);
      await befriend(amy, me);

      const mine = await me.api.friends.list();
      expect(mine.map((f) => f.id)).toEqual([amy.id, zed.id]);
      for (const friend of mine) {
        expect(Object.keys(friend).sort()).toEqual(['displayName', 'handle', 'id', 'since']);
        expect(new Date(friend.since).toISOString()).toBe(friend.since);
      }
      expect(mine[0]).toMatchObject({ id: amy.id, handle: amy.handle, displayName: 'amy' });

      const theirs = await zed.api.friends.list();
      expect(theirs).toEqual([
        { id: me.id, handle: me.handle, displayName: 'middle', since: expect.any(String) },
      ]);

      const wire = JSON.stringify([mine, theirs]);
      for (const secret of [me.token, zed.token, amy.token, 'scrypt', 'password', 'token'])
        expect(wire).not.toContain(secret);
    });

    it('is empty for someone without friends', async () => {
      const lonely = await signUp(deps, 'lonely');
      expect(await lonely.api.friends.list()).toEqual([]);
    });

    it('does not show friends of friends', async () => {
      const [a, b, c] = await Promise.all([
        signUp(deps, 'a'),
        signUp(deps, 'b'),
        signUp(deps, 'c'),
      ]);
      await befriend(a, b);
      await befriend(b, c);
      expect(ids(await a.api.friends.list())).toEqual([b.id]);
      expect(ids(await c.api.friends.list())).toEqual([b.id]);
    });
  });

  describe('removing a friend', () => {
    it('ends the friendship on both sides; the two can become friends again with a new invite', async () => {
      const ana = await signUp(deps, 'rm');
      const bo = await signUp(deps, 'rm');
      await befriend(ana, bo);
      expect(await bo.api.friends.remove({ userId: ana.id })).toEqual({ ok: true });
      expect(await ana.api.friends.list()).toEqual([]);
      expect(await bo.api.friends.list()).toEqual([]);
      expect(await friendshipRows(ana.id, bo.id)).toEqual([]);
      await befriend(ana, bo);
      expect(ids(await bo.api.friends.list())).toEqual([ana.id]);
    });

    it('removing someone who is not a friend is refused as not found and changes nothing', async () => {
      const ana = await signUp(deps, 'rm');
      const bo = await signUp(deps, 'rm');
      const cy = await signUp(deps, 'rm');
      await befriend(ana, cy);
      await refused(() => ana.api.friends.remove({ userId: bo.id }), 'NOT_FOUND', /not friends/);
      await refused(() => ana.api.friends.remove({ userId: randomUUID() }), 'NOT_FOUND');
      await refused(() => ana.api.friends.remove({ userId: ana.id }), 'NOT_FOUND');
      // Removing twice: the second time there is nothing to remove.
      await ana.api.friends.remove({ userId: cy.id });
      await refused(() => cy.api.friends.remove({ userId: ana.id }), 'NOT_FOUND');
    });
  });

  describe('blocking', () => {
    async function friendsWithGroups() {
      const ana = await signUp(deps, 'blk');
      const bo = await signUp(deps, 'blk');
      const cy = await signUp(deps, 'blk');
      await befriend(ana, bo);
      await befriend(ana, cy);
      await befriend(bo, cy);
      return { ana, bo, cy };
    }

    it('ends the friendship on both sides and lists the person as blocked for the blocker only', async () => {
      const { ana, bo } = await friendsWithGroups();
      expect(await ana.api.friends.block({ userId: bo.id })).toEqual({ ok: true });
      expect(ids(await ana.api.friends.list())).not.toContain(bo.id);
      expect(ids(await bo.api.friends.list())).not.toContain(ana.id);
      expect(await friendshipRows(ana.id, bo.id)).toEqual([]);
      expect(await ana.api.friends.blocked()).toEqual([
        { id: bo.id, handle: bo.handle, displayName: 'blk' },
      ]);
      expect(await bo.api.friends.blocked()).toEqual([]);
    });

    it('blocking twice is harmless', async () => {
      const { ana, bo } = await friendsWithGroups();
      await ana.api.friends.block({ userId: bo.id });
      await ana.api.friends.block({ userId: bo.id });
      const rows = await database.db.execute<{ n: number }>(
        sql`select count(*)::int as n from blocks where blocker_id = ${ana.id}`,
      );
      expect(rows.rows[0]?.n).toBe(1);
    });

    it('stops direct threads both ways, new and existing', async () => {
      const { ana, bo } = await friendsWithGroups();
      const thread = await ana.api.groups.openDirect({ userId: bo.id });
      await bo.api.friends.block({ userId: ana.id });
      await refused(
        () => ana.api.groups.openDirect({ userId: bo.id }),
        'FORBIDDEN',
        /cannot message/,
      );
      await refused(
        () => bo.api.groups.openDirect({ userId: ana.id }),
        'FORBIDDEN',
        /cannot message/,
      );
      await refused(
        () => ana.api.messages.send({ groupId: thread.id, clientId: 'blocked-dm-1', body: 'hi?' }),
        'FORBIDDEN',
      );
      await refused(
        () => bo.api.messages.send({ groupId: thread.id, clientId: 'blocked-dm-2', body: 'hi?' }),
        'FORBIDDEN',
      );
    });

    it('stops either person adding the other to a group', async () => {
      const { ana, bo, cy } = await friendsWithGroups();
      const anasGroup = await ana.api.groups.create({ name: 'Ana’s', memberIds: [cy.id] });
      const bosGroup = await bo.api.groups.create({ name: 'Bo’s', memberIds: [cy.id] });
      await ana.api.friends.block({ userId: bo.id });
      await refused(
        () => ana.api.groups.create({ name: 'With Bo', memberIds: [bo.id] }),
        'FORBIDDEN',
        /only add your friends/,
      );
      await refused(
        () => bo.api.groups.create({ name: 'With Ana', memberIds: [ana.id] }),
        'FORBIDDEN',
      );
      await refused(
        () => ana.api.groups.addMembers({ groupId: anasGroup.id, userIds: [bo.id] }),
        'FORBIDDEN',
      );
      await refused(
        () => bo.api.groups.addMembers({ groupId: bosGroup.id, userIds: [ana.id] }),
        'FORBIDDEN',
      );
    });

    it('unblocking lifts the block but does not restore the friendship', async () => {
      const { ana, bo } = await friendsWithGroups();
      await ana.api.friends.block({ userId: bo.id });
      // Only the blocker can lift a block.
      await refused(() => bo.api.friends.unblock({ userId: ana.id }), 'NOT_FOUND', /not blocked/);
      expect(await ana.api.friends.unblock({ userId: bo.id })).toEqual({ ok: true });
      expect(await ana.api.friends.blocked()).toEqual([]);
      expect(ids(await ana.api.friends.list())).not.toContain(bo.id);
      // No longer friends, but they still share cy: a direct thread is only a message request.
      const request = await ana.api.groups.openDirect({ userId: bo.id });
      expect(request.request).toMatchObject({ pending: true, toUserId: bo.id });
      expect(request.members.map((m) => m.id)).toEqual([ana.id]);
      await befriend(bo, ana);
      expect(ids(await ana.api.friends.list())).toContain(bo.id);
      const thread = await ana.api.groups.openDirect({ userId: bo.id });
      expect(thread.kind).toBe('direct');
      expect(thread.request).toBeNull();
      expect(thread.members.map((m) => m.id).sort()).toEqual([ana.id, bo.id].sort());
    });

    it('unblocking someone who is not blocked is refused as not found', async () => {
      const { ana, bo } = await friendsWithGroups();
      await refused(() => ana.api.friends.unblock({ userId: bo.id }), 'NOT_FOUND', /not blocked/);
      await refused(() => ana.api.friends.unblock({ userId: randomUUID() }), 'NOT_FOUND');
    });

    it('blocking yourself is refused with a clear message and changes nothing', async () => {
      const ana = await signUp(deps, 'selfblk');
      await refused(() => ana.api.friends.block({ userId: ana.id }), 'BAD_REQUEST', /yourself/);
    });

    it('blocking an unknown user is refused as not found and changes nothing', async () => {
      const ana = await signUp(deps, 'ghostblk');
      await refused(
        () => ana.api.friends.block({ userId: randomUUID() }),
        'NOT_FOUND',
        /No such user/,
      );
    });
  });

  describe('bad input and strangers', () => {
    const badUserIds: [string, unknown][] = [
      ['not a uuid', 'not-a-uuid'],
      ['an empty id', ''],
      ['a number', 42],
      ['null', null],
      ['an oversized string', 'x'.repeat(10_000)],
      ['an SQL fragment', "' or 1=1 --"],
    ];
    const byUser = ['remove', 'block', 'unblock'] as const;

    for (const procedure of byUser) {
      it.each(badUserIds)(
        `friends.${procedure} with %s is refused as bad input`,
        async (_w, userId) => {
          const ana = await signUp(deps, 'bad');
          const call = ana.api.friends[procedure] as unknown as (
            input: unknown,
          ) => Promise<unknown>;
          const error = await refused(() => call({ userId }), 'BAD_REQUEST');
          expect(error.message).toMatch(/userId/);
          await refused(() => call({}), 'BAD_REQUEST');
          await refused(() => call(undefined), 'BAD_REQUEST');
        },
      );
    }

    it('every friends procedure refuses a caller who is not signed in', async () => {
      const anon = await callerFor(deps);
      const someone = randomUUID();
      const calls: [string, (api: Caller) => Promise<unknown>][] = [
        ['createInvite', (api) => api.friends.createInvite()],
        ['acceptInvite', (api) => api.friends.acceptInvite({ code: 'ABCDEFGHJK' })],
        ['list', (api) => api.friends.list()],
        ['blocked', (api) => api.friends.blocked()],
        ['remove', (api) => api.friends.remove({ userId: someone })],
        ['block', (api) => api.friends.block({ userId: someone })],
        ['unblock', (api) => api.friends.unblock({ userId: someone })],
      ];
      for (const [name, call] of calls) {
        const before = await dbState(database.db);
        const error = await refusal(call(anon));
        expect(error.code, name).toBe('UNAUTHORIZED');
        expect(await dbState(database.db)).toEqual(before);
      }
    });
  });

  it('no friends procedure ever returns a password hash or a session token', async () => {
    const ana = await signUp(deps, 'leak');
    const bo: TestUser = await signUp(deps, 'leak');
    const invite = await ana.api.friends.createInvite();
    const outputs = [
      invite,
      await bo.api.friends.acceptInvite({ code: invite.code }),
      await ana.api.friends.list(),
      await bo.api.friends.list(),
      await ana.api.friends.block({ userId: bo.id }),
      await ana.api.friends.blocked(),
    ];
    const wire = JSON.stringify(outputs);
    expect(wire).not.toMatch(/scrypt|passwordHash|password_hash|tokenHash|token_hash/);
    expect(wire).not.toContain(ana.token);
    expect(wire).not.toContain(bo.token);
  });
});
