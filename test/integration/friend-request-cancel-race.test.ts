import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../server/deps';
import { openTestDatabase, type TestDatabase } from '../fixtures/db';
import { makeDeps, signUp } from '../fixtures/deps';
import { requireEnv } from '../fixtures/process';

/**
 * Taking back a request while the other person's crossing request is turning it into a
 * friendship: either the take-back wins (no friendship) or it is told the request is gone (and
 * they are friends). Never "taken back" and friends. A second connection writes one of the
 * friendship rows without committing, so the crossing request is caught between reading the
 * request and writing the friendship; the take-back runs then.
 */
describe('taking back a request that a crossing request is answering', () => {
  let database: TestDatabase;
  let deps: Deps;
  beforeAll(async () => {
    requireEnv('TEST_DATABASE_URL');
    database = await openTestDatabase('postgres');
    deps = makeDeps(database.db);
  });
  afterAll(() => database?.close());

  /** Sessions waiting for a lock of `locktype` (a row's writer, or an advisory lock). */
  async function waiters(client: pg.Client, locktype: 'transactionid' | 'advisory') {
    const { rows } = await client.query<{ n: number }>(
      'select count(*)::int as n from pg_locks l join pg_stat_activity s on s.pid = l.pid where s.datname = current_database() and l.locktype = $1 and not l.granted',
      [locktype],
    );
    return rows[0]?.n ?? 0;
  }

  async function until(check: () => Promise<boolean>) {
    for (let i = 0; i < 400; i += 1) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('timed out waiting');
  }

  it('is never both taken back and made a friendship', async () => {
    const a = await signUp(deps, 'asker');
    const b = await signUp(deps, 'crosser');
    const asked = await a.api.friends.request({ handle: b.handle });
    if (asked.status !== 'requested') throw new Error('expected a pending request');

    const holder = new pg.Client({ connectionString: database.url });
    const watcher = new pg.Client({ connectionString: database.url });
    await Promise.all([holder.connect(), watcher.connect()]);
    try {
      await holder.query('begin');
      await holder.query('insert into friendships (user_id, friend_id) values ($1, $2)', [
        a.id,
        b.id,
      ]);
      const settle = (p: Promise<unknown>) =>
        p.then(
          (value) => ({ ok: true as const, value }),
          (error: unknown) => ({ ok: false as const, error }),
        );
      // b's request finds a's and stops at writing the friendship (the uncommitted row).
      const crossing = settle(b.api.friends.request({ handle: a.handle }));
      await until(async () => (await waiters(watcher, 'transactionid')) >= 1);
      let cancelDone = false;
      const cancelled = settle(a.api.friends.cancelRequest({ requestId: asked.request.id })).then(
        (r) => {
          cancelDone = true;
          return r;
        },
      );
      await until(async () => cancelDone || (await waiters(watcher, 'advisory')) >= 1);
      await holder.query('rollback');
      const [cross, cancel] = await Promise.all([crossing, cancelled]);
      const friends = (await a.api.friends.list()).map((f) => f.id);
      if (cancel.ok) {
        expect(friends).toEqual([]);
        expect(cross.ok && (cross.value as { status: string }).status).toBe('requested');
      } else {
        expect(friends).toEqual([b.id]);
        expect(String((cancel.error as Error).message)).toMatch(/no longer there/);
      }
      const left = await a.api.friends.requests();
      // Whoever won, the pair is consistent: friends with nothing pending, or one request.
      expect(left.incoming.length + left.outgoing.length).toBe(cancel.ok ? 1 : 0);
    } finally {
      await holder.end().catch(() => undefined);
      await watcher.end().catch(() => undefined);
    }
  });
});
