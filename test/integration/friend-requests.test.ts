import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import type { Deps } from '../../server/deps';
import { NO_SUCH_HANDLE } from '../../server/friends/requests';
import { engines, openTestDatabase, type TestDatabase } from '../fixtures/db';
import { befriend, callerFor, makeDeps, signUp, type TestUser } from '../fixtures/deps';
import { ofType, socketClient, startLive, subscribeEvents } from '../fixtures/live';
import { tableCounts } from '../fixtures/snapshot';
import { refusal } from '../fixtures/state';

/**
 * Friend requests by handle: asking, a mutual request making friends at once, answering and
 * taking back; who cannot be asked and that they all look like nobody; the per-user limit that
 * counts made-up handles too; the findable-by-handle setting; sign-up through an invite; and the
 * live signals the other person gets.
 */
describe.each(engines)('friend requests on %s', (engine) => {
  let database: TestDatabase;
  let deps: Deps;
  beforeAll(async () => {
    database = await openTestDatabase(engine);
    deps = makeDeps(database.db);
  });
  afterAll(() => database?.close());

  const friendIds = async (u: TestUser) => (await u.api.friends.list()).map((f) => f.id).sort();

  async function requestRows(a: string, b: string) {
    const result = await database.db.execute<{ from_id: string; to_id: string }>(
      sql`select from_id, to_id from friend_requests
          where (from_id = ${a} and to_id = ${b}) or (from_id = ${b} and to_id = ${a})`,
    );
    return result.rows;
  }

  /** A refused request: its code, message and what the refusal carries, minus the stack. */
  async function refusedRequest(u: TestUser, handle: string) {
    const error = await refusal(u.api.friends.request({ handle }));
    return { code: error.code, message: error.message, cause: error.cause?.message ?? null };
  }

  it('a request shows as outgoing for the asker and incoming for the other; accepting makes friends', async () => {
    const ana = await signUp(deps, 'ana');
    const ben = await signUp(deps, 'ben');
    const sent = await ana.api.friends.request({ handle: `@${ben.handle.toUpperCase()}` });
    expect(sent).toMatchObject({
      status: 'requested',
      request: { to: { id: ben.id, handle: ben.handle, displayName: 'ben' } },
    });
    if (sent.status !== 'requested') throw new Error('expected a request');

    const anas = await ana.api.friends.requests();
    expect(anas.incoming).toEqual([]);
    expect(anas.outgoing.map((r) => [r.id, r.to.id])).toEqual([[sent.request.id, ben.id]]);
    const bens = await ben.api.friends.requests();
    expect(bens.outgoing).toEqual([]);
    expect(bens.incoming).toEqual([
      {
        id: sent.request.id,
        from: { id: ana.id, handle: ana.handle, displayName: 'ana' },
        createdAt: sent.request.createdAt,
      },
    ]);

    // Asking again while it is pending answers with the same request, stored once.
    const again = await ana.api.friends.request({ handle: ben.handle });
    expect(again).toMatchObject({ status: 'requested', request: { id: sent.request.id } });
    expect(await requestRows(ana.id, ben.id)).toHaveLength(1);

    const answer = await ben.api.friends.respond({ requestId: sent.request.id, accept: true });
    expect(answer).toEqual({
      accepted: true,
      friend: { id: ana.id, handle: ana.handle, displayName: 'ana' },
    });
    expect(await friendIds(ana)).toEqual([ben.id]);
    expect(await friendIds(ben)).toEqual([ana.id]);
    expect(await requestRows(ana.id, ben.id)).toEqual([]);
    expect(await ben.api.friends.requests()).toEqual({ incoming: [], outgoing: [] });

    const error = await refusal(ana.api.friends.request({ handle: ben.handle }));
    expect(error.code).toBe('CONFLICT');
  });

  it('asking someone who already asked me makes us friends at once', async () => {
    const ana = await signUp(deps, 'ana');
    const ben = await signUp(deps, 'ben');
    await ana.api.friends.request({ handle: ben.handle });
    const answer = await ben.api.friends.request({ handle: ana.handle });
    expect(answer).toEqual({
      status: 'friends',
      friend: { id: ana.id, handle: ana.handle, displayName: 'ana' },
    });
    expect(await friendIds(ana)).toEqual([ben.id]);
    expect(await friendIds(ben)).toEqual([ana.id]);
    expect(await requestRows(ana.id, ben.id)).toEqual([]);
  });

  it('two people asking each other at the same moment end up friends, once', async () => {
    const ana = await signUp(deps, 'ana');
    const ben = await signUp(deps, 'ben');
    const answers = await Promise.all([
      ana.api.friends.request({ handle: ben.handle }),
      ben.api.friends.request({ handle: ana.handle }),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual(['friends', 'requested']);
    expect(await friendIds(ana)).toEqual([ben.id]);
    expect(await friendIds(ben)).toEqual([ana.id]);
    expect(await requestRows(ana.id, ben.id)).toEqual([]);
  });

  it('declining ends the request without friendship; the asker may ask again later', async () => {
    const ana = await signUp(deps, 'ana');
    const ben = await signUp(deps, 'ben');
    const sent = await ana.api.friends.request({ handle: ben.handle });
    if (sent.status !== 'requested') throw new Error('expected a request');
    expect(await ben.api.friends.respond({ requestId: sent.request.id, accept: false })).toEqual({
      accepted: false,
    });
    expect(await friendIds(ben)).toEqual([]);
    expect(await requestRows(ana.id, ben.id)).toEqual([]);
    // Answered: answering again, or taking it back, finds nothing.
    expect(
      (await refusal(ben.api.friends.respond({ requestId: sent.request.id, accept: true }))).code,
    ).toBe('NOT_FOUND');
    expect(
      (await refusal(ana.api.friends.cancelRequest({ requestId: sent.request.id }))).code,
    ).toBe('NOT_FOUND');
    expect(await ana.api.friends.request({ handle: ben.handle })).toMatchObject({
      status: 'requested',
    });
  });

  it('the asker takes a request back; it leaves the other person’s list', async () => {
    const ana = await signUp(deps, 'ana');
    const ben = await signUp(deps, 'ben');
    const sent = await ana.api.friends.request({ handle: ben.handle });
    if (sent.status !== 'requested') throw new Error('expected a request');
    expect(await ana.api.friends.cancelRequest({ requestId: sent.request.id })).toEqual({
      ok: true,
    });
    expect(await ben.api.friends.requests()).toEqual({ incoming: [], outgoing: [] });
    expect(
      (await refusal(ben.api.friends.respond({ requestId: sent.request.id, accept: true }))).code,
    ).toBe('NOT_FOUND');
    expect(await friendIds(ben)).toEqual([]);
  });

  it('only the one asked may answer, only the asker may take back; strangers learn nothing', async () => {
    const ana = await signUp(deps, 'ana');
    const ben = await signUp(deps, 'ben');
    const eve = await signUp(deps, 'eve');
    const sent = await ana.api.friends.request({ handle: ben.handle });
    if (sent.status !== 'requested') throw new Error('expected a request');
    const before = await tableCounts(database.db);
    const tries = [
      () => eve.api.friends.respond({ requestId: sent.request.id, accept: true }),
      // The asker cannot accept their own request for the other person.
      () => ana.api.friends.respond({ requestId: sent.request.id, accept: true }),
      () => eve.api.friends.cancelRequest({ requestId: sent.request.id }),
      // The one asked declines with respond, not by cancelling the asker's request.
      () => ben.api.friends.cancelRequest({ requestId: sent.request.id }),
      () => eve.api.friends.respond({ requestId: randomUUID(), accept: true }),
    ];
    const errors = [];
    for (const attempt of tries) errors.push(await refusal(attempt()));
    // Someone else's request and one that never existed get the same answer.
    expect(new Set(errors.map((e) => `${e.code} ${e.message}`)).size).toBe(1);
    expect(errors[0]?.code).toBe('NOT_FOUND');
    expect(await tableCounts(database.db)).toEqual(before);
    expect((await eve.api.friends.requests()).incoming).toEqual([]);
    expect(await requestRows(ana.id, ben.id)).toHaveLength(1);
  });

  it('a handle nobody has, someone not findable and someone blocked either way get one answer', async () => {
    const asker = await signUp(deps, 'asker');
    const hidden = await signUp(deps, 'hidden');
    const blocker = await signUp(deps, 'blocker');
    const blockedOne = await signUp(deps, 'blockee');
    const open = await signUp(deps, 'open');
    expect((await hidden.api.auth.me()).settings.findableByHandle).toBe(true);
    const changed = await hidden.api.auth.update({ findableByHandle: false });
    expect(changed.settings.findableByHandle).toBe(false);
    await blocker.api.friends.block({ userId: asker.id });
    await asker.api.friends.block({ userId: blockedOne.id });

    const before = await tableCounts(database.db);
    const published: unknown[] = [];
    const stop = deps.bus.subscribe((e) => published.push(e));
    const answers = [];
    try {
      for (const handle of ['nobody_here_x1', hidden.handle, blocker.handle, blockedOne.handle])
        answers.push(await refusedRequest(asker, handle));
    } finally {
      stop();
    }
    expect(answers[0]).toEqual({ code: 'NOT_FOUND', message: NO_SUCH_HANDLE, cause: null });
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect(await tableCounts(database.db)).toEqual(before);
    expect(published).toEqual([]);
    for (const u of [hidden, blocker, blockedOne])
      expect((await u.api.friends.requests()).incoming).toEqual([]);

    // Findable people are asked as usual, and turning it back on makes the hidden one askable.
    expect(await asker.api.friends.request({ handle: open.handle })).toMatchObject({
      status: 'requested',
    });
    await hidden.api.auth.update({ findableByHandle: true });
    expect(await asker.api.friends.request({ handle: hidden.handle })).toMatchObject({
      status: 'requested',
    });
  });

  it('someone not findable who asked me first can still be asked back, which makes friends', async () => {
    const shy = await signUp(deps, 'shy');
    const ben = await signUp(deps, 'ben');
    await shy.api.auth.update({ findableByHandle: false });
    await shy.api.friends.request({ handle: ben.handle });
    expect(await ben.api.friends.request({ handle: shy.handle })).toMatchObject({
      status: 'friends',
      friend: { id: shy.id },
    });
    expect(await friendIds(shy)).toEqual([ben.id]);
  });

  it('a block drops pending requests both ways, and a request from then on looks like nobody', async () => {
    const ana = await signUp(deps, 'ana');
    const ben = await signUp(deps, 'ben');
    const sent = await ana.api.friends.request({ handle: ben.handle });
    if (sent.status !== 'requested') throw new Error('expected a request');
    await ben.api.friends.block({ userId: ana.id });
    expect(await requestRows(ana.id, ben.id)).toEqual([]);
    expect(await ben.api.friends.requests()).toEqual({ incoming: [], outgoing: [] });
    expect(await ana.api.friends.requests()).toEqual({ incoming: [], outgoing: [] });
    expect(await refusedRequest(ana, ben.handle)).toMatchObject({
      code: 'NOT_FOUND',
      message: NO_SUCH_HANDLE,
    });
    expect(await refusedRequest(ben, ana.handle)).toMatchObject({
      code: 'NOT_FOUND',
      message: NO_SUCH_HANDLE,
    });
  });

  it('bad input is refused clearly and changes nothing', async () => {
    const ana = await signUp(deps, 'ana');
    const before = await tableCounts(database.db);
    for (const input of [
      { handle: '' },
      { handle: 'a' },
      { handle: 'has space' },
      { handle: 'x'.repeat(5000) },
      { handle: 42 },
      {},
    ]) {
      const error = await refusal(ana.api.friends.request(input as { handle: string }));
      expect(error.code, JSON.stringify(input).slice(0, 40)).toBe('BAD_REQUEST');
    }
    for (const input of [{ requestId: 'nope', accept: true }, { requestId: randomUUID() }]) {
      const error = await refusal(
        ana.api.friends.respond(input as { requestId: string; accept: boolean }),
      );
      expect(error.code).toBe('BAD_REQUEST');
    }
    expect((await refusal(ana.api.friends.cancelRequest({ requestId: '1' }))).code).toBe(
      'BAD_REQUEST',
    );
    expect((await refusal(ana.api.friends.request({ handle: ana.handle }))).code).toBe(
      'BAD_REQUEST',
    );
    expect(
      (await refusal(ana.api.auth.update({ findableByHandle: 'no' as unknown as boolean }))).code,
    ).toBe('BAD_REQUEST');
    expect(await tableCounts(database.db)).toEqual(before);
  });

  it('anonymous callers are refused every friend request procedure', async () => {
    const anon = await callerFor(deps);
    const calls = [
      () => anon.friends.request({ handle: 'someone' }),
      () => anon.friends.requests(),
      () => anon.friends.respond({ requestId: randomUUID(), accept: true }),
      () => anon.friends.cancelRequest({ requestId: randomUUID() }),
    ];
    for (const attempt of calls) expect((await refusal(attempt())).code).toBe('UNAUTHORIZED');
  });

  describe('the rate limit', () => {
    it('counts requests to handles that do not exist, so it cannot tell who is on Kith', async () => {
      const limited = makeDeps(database.db, {
        limits: { friendRequests: 3, friendRequestWindowSeconds: 3600 },
      });
      const ana = await signUp(limited, 'ana');
      const ben = await signUp(limited, 'ben');
      const api = await callerFor(limited, ana.token);
      for (const handle of ['nobody_a_1', 'nobody_b_2', 'nobody_c_3']) {
        const error = await refusal(api.friends.request({ handle }));
        expect(error.code).toBe('NOT_FOUND');
      }
      // The fourth, to someone real, is over the limit like any other.
      const before = await tableCounts(database.db);
      const over = await refusal(api.friends.request({ handle: ben.handle }));
      expect(over.code).toBe('TOO_MANY_REQUESTS');
      expect(over.message).toMatch(/too many friend requests.*Try again in \d+ s/i);
      expect(await tableCounts(database.db)).toEqual(before);
      expect((await ben.api.friends.requests()).incoming).toEqual([]);
      // Per user: someone else still may ask.
      const benApi = await callerFor(limited, ben.token);
      expect(await benApi.friends.request({ handle: ana.handle })).toMatchObject({
        status: 'requested',
      });
    });
  });

  describe('signing up through an invite', () => {
    const register = async (inviteCode: string, prefix = 'newbie') => {
      const anon = await callerFor(deps);
      return anon.auth.register({
        handle: `${prefix}_${randomUUID().slice(0, 8)}`,
        password: 'correct horse battery',
        inviteCode,
      });
    };

    it('makes the new account friends with the inviter at once (code or link)', async () => {
      const ana = await signUp(deps, 'ana');
      const invite = await ana.api.friends.createInvite({ maxUses: 2 });
      const byCode = await register(invite.code);
      expect(byCode.invite).toEqual({
        accepted: true,
        friend: { id: ana.id, handle: ana.handle, displayName: 'ana' },
      });
      const byLink = await register(invite.url);
      expect(byLink.invite).toMatchObject({ accepted: true, friend: { id: ana.id } });
      expect(await friendIds(ana)).toEqual([byCode.user.id, byLink.user.id].sort());
      const newbie = await callerFor(deps, byCode.token);
      expect((await newbie.friends.list()).map((f) => f.id)).toEqual([ana.id]);
    });

    it('an unknown, used or expired code still signs up, and says why no friendship was made', async () => {
      const ana = await signUp(deps, 'ana');
      const used = await ana.api.friends.createInvite({ maxUses: 1 });
      await register(used.code);
      const expired = await ana.api.friends.createInvite({ maxUses: 1 });
      await database.db.execute(
        sql`update invites set expires_at = now() - interval '1 minute' where code = ${expired.code}`,
      );
      const friendsBefore = await friendIds(ana);
      for (const [code, reason] of [
        ['ZZZZZZZZZZ', 'unknown'],
        ['not a code at all!', 'unknown'],
        [used.code, 'used'],
        [expired.url, 'expired'],
      ] as const) {
        const answer = await register(code);
        expect(answer.invite, code).toEqual({ accepted: false, reason });
        expect(answer.token).toBeTruthy();
        const me = await callerFor(deps, answer.token);
        expect(await me.friends.list()).toEqual([]);
      }
      expect(await friendIds(ana)).toEqual(friendsBefore);
    });

    it('without an invite code the answer has no invite part', async () => {
      const anon = await callerFor(deps);
      const answer = await anon.auth.register({
        handle: `plain_${randomUUID().slice(0, 8)}`,
        password: 'correct horse battery',
      });
      expect('invite' in answer).toBe(false);
    });

    it('a taken handle stores nothing and uses no invite', async () => {
      const ana = await signUp(deps, 'ana');
      const invite = await ana.api.friends.createInvite({ maxUses: 1 });
      const anon = await callerFor(deps);
      const before = await tableCounts(database.db);
      const error = await refusal(
        anon.auth.register({
          handle: ana.handle,
          password: 'correct horse battery',
          inviteCode: invite.code,
        }),
      );
      expect(error.code).toBe('CONFLICT');
      expect(await tableCounts(database.db)).toEqual(before);
      expect((await register(invite.code)).invite).toMatchObject({ accepted: true });
    });
  });

  describe('live', () => {
    let server: RunningServer;
    beforeAll(async () => {
      server = await startLive(deps);
    });
    afterAll(() => server?.close());

    it('the other person hears of a request, a take-back and an acceptance as they happen', async () => {
      const ana = await signUp(deps, 'ana');
      const ben = await signUp(deps, 'ben');
      const eve = await signUp(deps, 'eve');
      const benSocket = socketClient(server.wsUrl, ben.token);
      const anaSocket = socketClient(server.wsUrl, ana.token);
      const eveSocket = socketClient(server.wsUrl, eve.token);
      try {
        const benEvents = subscribeEvents(benSocket.client);
        const anaEvents = subscribeEvents(anaSocket.client);
        const eveEvents = subscribeEvents(eveSocket.client);
        await Promise.all([benEvents.ready(), anaEvents.ready(), eveEvents.ready()]);

        const first = await ana.api.friends.request({ handle: ben.handle });
        if (first.status !== 'requested') throw new Error('expected a request');
        await benEvents.until((e) => ofType(e, 'friend.requested').length === 1);
        expect(ofType(benEvents.received, 'friend.requested')[0]).toMatchObject({
          id: null,
          groupId: '',
          userId: ben.id,
          payload: { requestId: first.request.id, from: { id: ana.id, handle: ana.handle } },
        });

        await ana.api.friends.cancelRequest({ requestId: first.request.id });
        await benEvents.until((e) => ofType(e, 'friend.cancelled').length === 1);

        const second = await ana.api.friends.request({ handle: ben.handle });
        if (second.status !== 'requested') throw new Error('expected a request');
        await ben.api.friends.respond({ requestId: second.request.id, accept: true });
        await anaEvents.until((e) => ofType(e, 'friend.accepted').length === 1);
        expect(ofType(anaEvents.received, 'friend.accepted')[0]).toMatchObject({
          userId: ana.id,
          payload: { friend: { id: ben.id, handle: ben.handle } },
        });

        // An invite sign-up tells the inviter too.
        const invite = await eve.api.friends.createInvite();
        const anon = await callerFor(deps);
        const joined = await anon.auth.register({
          handle: `joiner_${randomUUID().slice(0, 8)}`,
          password: 'correct horse battery',
          inviteCode: invite.code,
        });
        await eveEvents.until((e) => ofType(e, 'friend.accepted').length === 1);
        expect(ofType(eveEvents.received, 'friend.accepted')[0]?.payload).toMatchObject({
          friend: { id: joined.user.id },
        });

        // Nobody else hears about it.
        expect(ofType(anaEvents.received, 'friend.requested')).toEqual([]);
        expect(ofType(eveEvents.received, 'friend.requested')).toEqual([]);
        expect(ofType(eveEvents.received, 'friend.cancelled')).toEqual([]);
        expect(ofType(benEvents.received, 'friend.accepted')).toEqual([]);
        benEvents.unsubscribe();
        anaEvents.unsubscribe();
        eveEvents.unsubscribe();
      } finally {
        benSocket.close();
        anaSocket.close();
        eveSocket.close();
      }
    });
  });

  it('an invite taken while signed in still works and also ends pending requests between the two', async () => {
    const ana = await signUp(deps, 'ana');
    const ben = await signUp(deps, 'ben');
    await ben.api.friends.request({ handle: ana.handle });
    await befriend(ana, ben);
    expect(await requestRows(ana.id, ben.id)).toEqual([]);
    expect(await friendIds(ben)).toEqual([ana.id]);
  });
});
