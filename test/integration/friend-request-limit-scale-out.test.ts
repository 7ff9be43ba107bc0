import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import type { Deps } from '../../server/deps';
import { createLimits } from '../../server/limits';
import { openTestDatabase, type TestDatabase } from '../fixtures/db';
import { makeDeps, signUp } from '../fixtures/deps';
import { startLive } from '../fixtures/live';
import { requireEnv } from '../fixtures/process';

const LIMIT = 6;

/**
 * One user's friend requests, batched and in parallel, over two server instances that share
 * PostgreSQL and Redis: exactly the limit get through, whatever the handles (made-up, hidden or
 * real), and the refusals are the same TOO_MANY_REQUESTS either way.
 */
describe('the friend request limit over two instances, batched and in parallel', () => {
  let database: TestDatabase;
  const redises: Redis[] = [];
  const servers: RunningServer[] = [];
  let first: Deps;
  let second: Deps;

  beforeAll(async () => {
    requireEnv('TEST_DATABASE_URL');
    const url = requireEnv('REDIS_URL');
    database = await openTestDatabase('postgres');
    const prefix = `test-${randomUUID()}`;
    const instance = async () => {
      const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
      redis.on('error', () => {});
      redises.push(redis);
      if (redis.status !== 'ready') await new Promise((r) => redis.once('ready', r));
      const deps = makeDeps(database.db);
      const shared = createLimits(
        {
          ...deps.limits.settings,
          friendRequests: LIMIT,
          friendRequestWindowSeconds: 600,
        },
        { redis, prefix },
      );
      return { ...deps, limits: shared };
    };
    first = await instance();
    second = await instance();
    servers.push(await startLive(first), await startLive(second));
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    for (const r of redises) r.disconnect();
    await database?.close();
  });

  /** One HTTP batch of `friends.request` calls; the answer of each call. */
  async function batch(server: RunningServer, token: string, handles: string[]) {
    const paths = handles.map(() => 'friends.request').join(',');
    const input = Object.fromEntries(handles.map((handle, i) => [i, { handle }]));
    const res = await fetch(`${server.url}/trpc/${paths}?batch=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(input),
    });
    const body = (await res.json()) as {
      result?: unknown;
      error?: { data?: { code?: string } };
    }[];
    return body.map((r) => (r.error ? (r.error.data?.code ?? 'ERROR') : 'OK'));
  }

  it('lets exactly the limit through and refuses the rest alike', async () => {
    const asker = await signUp(first, 'asker');
    const real = await signUp(first, 'real');
    const hidden = await signUp(first, 'hidden');
    await hidden.api.auth.update({ findableByHandle: false });
    const made = (n: number) =>
      Array.from({ length: n }, (_, i) => `nobody_${i}_${randomUUID().slice(0, 8)}`);
    const [s1, s2] = servers as [RunningServer, RunningServer];
    const answers = (
      await Promise.all([
        batch(s1, asker.token, [real.handle, ...made(3)]),
        batch(s2, asker.token, [hidden.handle, ...made(3)]),
        batch(s1, asker.token, made(2)),
        batch(s2, asker.token, made(2)),
      ])
    ).flat();
    const refused = answers.filter((a) => a === 'TOO_MANY_REQUESTS');
    expect(answers.length).toBe(12);
    expect(refused.length).toBe(12 - LIMIT);
    // Whatever got through was answered, not refused for the limit.
    expect(answers.filter((a) => a === 'OK' || a === 'NOT_FOUND').length).toBe(LIMIT);
    // Another user on either instance is not held back by the asker's count.
    const other = await signUp(second, 'other');
    expect(await batch(s2, other.token, [real.handle])).toEqual(['OK']);
  });
});
