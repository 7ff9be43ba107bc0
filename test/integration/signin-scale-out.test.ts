import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { startServer } from '../../server/app';
import { type Bus, createRedisBus } from '../../server/bus';
import { busChannel } from '../../server/db/client';
import { createLimits } from '../../server/limits';
import { SESSION_ENDED_CLOSE_CODE } from '../../server/sync/revocation';
import type { Deps } from '../../server/trpc';
import { openTestDatabase, type TestDatabase } from '../fixtures/db';
import { makeDeps } from '../fixtures/deps';
import { closeCodeOf, httpClient, socketClient, subscribeEvents } from '../fixtures/live';
import { requireEnv } from '../fixtures/process';
import { call, codeOf, countCodes, from, PASSWORD, type WireResult } from '../fixtures/wire-auth';

let n = 0;
const handle = (tag: string) => `${tag}_${process.pid % 1000}_${n++}`.slice(0, 24);
const FAILURES = 4;
const NEW_PASSWORD = 'a brand new passphrase';

/**
 * Two server instances on one PostgreSQL and one Redis, counting limits together, as
 * `server/main.ts` sets them up with REDIS_URL.
 */
describe('sign-in limits and password changes across instances', () => {
  let database: TestDatabase;
  let buses: Bus[] = [];
  let redises: Redis[] = [];
  let deps: Deps[] = [];
  let servers: RunningServer[] = [];

  beforeAll(async () => {
    const redisUrl = requireEnv('REDIS_URL');
    requireEnv('TEST_DATABASE_URL');
    database = await openTestDatabase('postgres');
    const channel = await busChannel(database.db);
    const prefix = `test-${randomUUID()}`;
    buses = [createRedisBus(redisUrl, { channel }), createRedisBus(redisUrl, { channel })];
    await Promise.all(buses.map((b) => b.ready()));
    redises = [0, 1].map(() => {
      const redis = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
      redis.on('error', () => {});
      return redis;
    });
    await Promise.all(
      redises.map((r) =>
        r.status === 'ready' ? null : new Promise((resolve) => r.once('ready', resolve)),
      ),
    );
    deps = buses.map((bus, i) => {
      const d = makeDeps(database.db, { bus, env: { TRUST_PROXY: '1' } });
      d.limits = createLimits(
        { loginFailures: FAILURES, loginHandleFailures: 50, registrations: 1000 },
        { redis: redises[i] as Redis, prefix },
      );
      return d;
    });
    servers = await Promise.all(deps.map((d) => startServer(d, { port: 0 })));
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    for (const d of deps) d.hub.stop();
    await Promise.all(buses.map((b) => b.close()));
    for (const r of redises) r.disconnect();
    await database?.close();
  });

  it('guesses spread over two instances at once get only the limit of passwords checked', async () => {
    const [a, b] = servers as [RunningServer, RunningServer];
    const name = handle('spread');
    await call(a.url, 'auth.register', [{ handle: name, password: PASSWORD }], from('192.0.2.1'));
    const attacker = '192.0.2.66';
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        call(
          (i % 2 ? a : b).url,
          'auth.login',
          [{ handle: name, password: i === 39 ? PASSWORD : `wrong ${i}` }],
          from(attacker),
        ),
      ),
    );
    const results = replies.flatMap((r) => r.results);
    const checked = results.filter((r) => ['OK', 'UNAUTHORIZED'].includes(codeOf(r))).length;
    expect(checked, JSON.stringify(countCodes(results))).toBeLessThanOrEqual(FAILURES);
    const after = await call(
      a.url,
      'auth.login',
      [{ handle: name, password: PASSWORD }],
      from(attacker),
    );
    expect(codeOf(after.results[0] as WireResult)).toBe('TOO_MANY_REQUESTS');
  });

  it('changing my password ends my other sessions on every instance and keeps this one', async () => {
    const [a, b] = servers as [RunningServer, RunningServer];
    const name = handle('change');
    const here = await httpClient(a.url).auth.register.mutate({ handle: name, password: PASSWORD });
    const there = await httpClient(b.url).auth.login.mutate({ handle: name, password: PASSWORD });
    const socket = socketClient(b.wsUrl, there.token);
    try {
      const events = subscribeEvents(socket.client);
      await events.ready();
      const closed = closeCodeOf(socket);

      const result = await httpClient(a.url, here.token).auth.changePassword.mutate({
        currentPassword: PASSWORD,
        newPassword: NEW_PASSWORD,
      });
      expect(result).toMatchObject({ ok: true, sessionsEnded: 1 });
      expect(await closed).toBe(SESSION_ENDED_CLOSE_CODE);
      for (const server of [a, b]) {
        await expect(httpClient(server.url, there.token).auth.me.query()).rejects.toMatchObject({
          data: { code: 'UNAUTHORIZED' },
        });
        expect((await httpClient(server.url, here.token).auth.me.query()).handle).toBe(name);
      }
      await expect(
        httpClient(b.url).auth.login.mutate({ handle: name, password: PASSWORD }),
      ).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
      const again = await httpClient(b.url).auth.login.mutate({
        handle: name,
        password: NEW_PASSWORD,
      });
      expect(again.user.handle).toBe(name);
    } finally {
      socket.close();
    }
  });

  it('a wrong current password changes nothing and counts as a failed sign-in', async () => {
    const [a, b] = servers as [RunningServer, RunningServer];
    const name = handle('guess');
    const me = await httpClient(a.url).auth.register.mutate({ handle: name, password: PASSWORD });
    const other = await httpClient(b.url).auth.login.mutate({ handle: name, password: PASSWORD });
    const where = '192.0.2.77';
    const replies = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        call(
          (i % 2 ? a : b).url,
          'auth.changePassword',
          [{ currentPassword: `not it ${i}`, newPassword: NEW_PASSWORD }],
          from(where, me.token),
        ),
      ),
    );
    const results = replies.flatMap((r) => r.results);
    expect(countCodes(results)).toEqual({ FORBIDDEN: FAILURES, TOO_MANY_REQUESTS: 12 - FAILURES });
    expect(results.find((r) => codeOf(r) === 'FORBIDDEN')?.error?.message).toMatch(
      /current password/,
    );
    // The right one is refused now too, and nothing changed: both sessions work, the old
    // password still signs in elsewhere.
    const right = await call(
      a.url,
      'auth.changePassword',
      [{ currentPassword: PASSWORD, newPassword: NEW_PASSWORD }],
      from(where, me.token),
    );
    expect(codeOf(right.results[0] as WireResult)).toBe('TOO_MANY_REQUESTS');
    expect((await httpClient(b.url, other.token).auth.me.query()).handle).toBe(name);
    const login = await httpClient(a.url).auth.login.mutate({ handle: name, password: PASSWORD });
    expect(login.user.handle).toBe(name);
  });

  it('a stranger without a session cannot change anyone’s password, and bad input is refused', async () => {
    const [a] = servers as [RunningServer];
    const stranger = await call(a.url, 'auth.changePassword', [
      { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
    ]);
    expect(stranger.status).toBe(401);
    expect(stranger.results[0]?.error?.message).toMatch(/Sign in first/);
    const me = await httpClient(a.url).auth.register.mutate({
      handle: handle('short'),
      password: PASSWORD,
    });
    const short = await call(
      a.url,
      'auth.changePassword',
      [{ currentPassword: PASSWORD, newPassword: 'short' }],
      from('192.0.2.90', me.token),
    );
    expect(short.status).toBe(400);
    expect(short.results[0]?.error?.message).toMatch(/newPassword: Passwords need at least 8/);
  });
});
