import { type AnyColumn, and, eq, or } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { friendRequests, friendships } from '../../server/db/schema';
import type { Deps } from '../../server/deps';
import { openTestDatabase, type TestDatabase } from '../fixtures/db';
import { makeDeps, signUp, type TestUser } from '../fixtures/deps';
import { requireEnv } from '../fixtures/process';

/**
 * A block that lands while a friend request (or an acceptance, or an invite) between the same
 * two people is on its way: afterwards there is no request and no friendship between them,
 * whichever finished first. A second connection holds the pair's lock so the request is caught
 * between its lookup and its write, then the block runs, then the lock is let go.
 */
describe('a block racing a friend request between the same two people', () => {
  let database: TestDatabase;
  let deps: Deps;
  beforeAll(async () => {
    requireEnv('TEST_DATABASE_URL');
    database = await openTestDatabase('postgres');
    deps = makeDeps(database.db);
  });
  afterAll(() => database?.close());

  /** Holds the advisory lock friend requests take for the pair of `a` and `b`. */
  async function holdPair(a: string, b: string) {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query('begin');
    const key = a < b ? `${a}:${b}` : `${b}:${a}`;
    await client.query('select pg_advisory_xact_lock(hashtext($1))', [`friends:${key}`]);
    return {
      async release() {
        await client.query('commit');
        await client.end();
      },
    };
  }

  /** Waits until `count` sessions wait for an advisory lock, or `settled()` says so. */
  async function waitForLockWaiters(count: number, settled: () => boolean) {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      for (let i = 0; i < 400; i += 1) {
        const { rows } = await client.query<{ n: number }>(
          "select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted and database = (select oid from pg_database where datname = current_database())",
        );
        if ((rows[0]?.n ?? 0) >= count || settled()) return;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error('nothing waited for the pair lock');
    } finally {
      await client.end();
    }
  }

  async function between(a: TestUser, b: TestUser) {
    const pair = (x: AnyColumn, y: AnyColumn) =>
      or(and(eq(x, a.id), eq(y, b.id)), and(eq(x, b.id), eq(y, a.id)));
    const requests = await database.db
      .select()
      .from(friendRequests)
      .where(pair(friendRequests.fromId, friendRequests.toId));
    const friends = await database.db
      .select()
      .from(friendships)
      .where(pair(friendships.userId, friendships.friendId));
    return { requests: requests.length, friendships: friends.length };
  }

  /** Runs `racer` against the pair while its lock is held, blocks, lets go, and waits for both. */
  async function race(a: TestUser, b: TestUser, racer: () => Promise<unknown>) {
    const held = await holdPair(a.id, b.id);
    let racerDone = false;
    const raced = racer().then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    void raced.then(() => {
      racerDone = true;
    });
    await waitForLockWaiters(1, () => racerDone);
    let blockDone = false;
    const blocked = b.api.friends.block({ userId: a.id }).finally(() => {
      blockDone = true;
    });
    // The block either finishes at once or queues behind the racer for the same lock.
    await waitForLockWaiters(2, () => blockDone);
    await held.release();
    await blocked;
    return raced;
  }

  it('a request caught in flight by the block leaves no request behind', async () => {
    const a = await signUp(deps, 'racer');
    const b = await signUp(deps, 'blocker');
    await race(a, b, () => a.api.friends.request({ handle: b.handle }));
    expect(await between(a, b)).toEqual({ requests: 0, friendships: 0 });
    expect((await b.api.friends.requests()).incoming).toEqual([]);
  });

  it('a request answering theirs, caught in flight by the block, makes no friendship', async () => {
    const a = await signUp(deps, 'racer');
    const b = await signUp(deps, 'blocker');
    // b asked a first; a's request would make them friends at once.
    await b.api.friends.request({ handle: a.handle });
    await race(a, b, () => a.api.friends.request({ handle: b.handle }));
    expect(await between(a, b)).toEqual({ requests: 0, friendships: 0 });
    expect(await b.api.friends.list()).toEqual([]);
  });

  it('an acceptance caught in flight by the block makes no friendship', async () => {
    const a = await signUp(deps, 'racer');
    const b = await signUp(deps, 'blocker');
    const asked = await b.api.friends.request({ handle: a.handle });
    if (asked.status !== 'requested') throw new Error('expected a pending request');
    await race(a, b, () => a.api.friends.respond({ requestId: asked.request.id, accept: true }));
    expect(await between(a, b)).toEqual({ requests: 0, friendships: 0 });
  });

  it('an invite taken while the inviter blocks makes no friendship', async () => {
    const a = await signUp(deps, 'racer');
    const b = await signUp(deps, 'blocker');
    const invite = await b.api.friends.createInvite();
    await race(a, b, () => a.api.friends.acceptInvite({ code: invite.code }));
    expect(await between(a, b)).toEqual({ requests: 0, friendships: 0 });
  });
});
