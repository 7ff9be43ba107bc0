import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busChannel } from '../../server/db/client';
import { openTestDatabase, type TestDatabase } from '../fixtures/db';
import { httpClient } from '../fixtures/live';
import { requireEnv, type ServerProcess, spawnServer } from '../fixtures/process';
import { startTcpProxy, type TcpProxy } from '../fixtures/proxy';
import { sleep } from './harness';

const PASSWORD = 'correct horse battery';
let n = 0;
const handle = (tag: string) => `${tag}_${process.pid % 10_000}_${n++}`;

/** How long an answer may take while Redis stalls (its commands give up after 500 ms). */
const BOUND_MS = 4000;

/** Resolves with `promise`'s value, or fails saying what got no answer within `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function health(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/health`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/**
 * The instance's Redis stalls without refusing: its connections stay open but no byte passes
 * either way (a TCP proxy drops them). Sends, sign-ins and sign-ups do not wait for it: they
 * answer within seconds, counted by the instance alone, /health says Redis is not answering,
 * and once the stall ends the instance counts in Redis again.
 */
describe('Redis stalling under a running instance', () => {
  let database: TestDatabase;
  let proxy: TcpProxy | null = null;
  let server: ServerProcess | null = null;
  let direct: Redis | null = null;
  let redisPort: number;

  beforeAll(async () => {
    const redisUrl = requireEnv('REDIS_URL');
    requireEnv('TEST_DATABASE_URL');
    database = await openTestDatabase('postgres');
    const redis = new URL(redisUrl);
    redisPort = Number(redis.port || 6379);
    proxy = await startTcpProxy([{ host: redis.hostname, port: redisPort }]);
    redis.hostname = '127.0.0.1';
    redis.port = String(proxy.port);
    server = await spawnServer({ DATABASE_URL: database.url!, REDIS_URL: redis.toString() });
    direct = new Redis(redisUrl);
  });
  afterAll(async () => {
    proxy?.stall(redisPort, false);
    await proxy?.close();
    await server?.kill('SIGKILL');
    direct?.disconnect();
    await database?.close();
  });

  async function member(tag: string) {
    const name = handle(tag);
    const { token, user } = await httpClient(server!.url).auth.register.mutate({
      handle: name,
      password: PASSWORD,
    });
    return { id: user.id, handle: name, token, http: httpClient(server!.url, token) };
  }

  /** Sends, signs in and signs up once, each within the bound. */
  async function everyDoor(
    group: string,
    ana: { handle: string; http: ReturnType<typeof httpClient> },
    label: string,
  ) {
    const anonymous = httpClient(server!.url);
    const [sent, signedIn, signedUp] = await Promise.all([
      within(
        ana.http.messages.send.mutate({
          groupId: group,
          clientId: `${label}-client-${n++}`,
          body: `during ${label}`,
        }),
        BOUND_MS,
        `a send ${label}`,
      ),
      within(
        anonymous.auth.login.mutate({ handle: ana.handle, password: PASSWORD }),
        BOUND_MS,
        `a sign-in ${label}`,
      ),
      within(
        anonymous.auth.register.mutate({ handle: handle('new'), password: PASSWORD }),
        BOUND_MS,
        `a sign-up ${label}`,
      ),
    ]);
    expect(sent).toMatchObject({ body: `during ${label}` });
    expect(signedIn.token).toEqual(expect.any(String));
    expect(signedUp.token).toEqual(expect.any(String));
    return sent;
  }

  it('while Redis stalls, sends, sign-ins and sign-ups still answer within seconds, and everything works once it is back', async () => {
    const ana = await member('ana');
    const bo = await member('bo');
    const invite = await ana.http.friends.createInvite.mutate();
    await bo.http.friends.acceptInvite.mutate({ code: invite.code });
    const group = await ana.http.groups.create.mutate({ name: 'stall', memberIds: [bo.id] });
    expect((await health(server!.url)).body).toMatchObject({ ok: true, redis: 'ok' });

    proxy!.stall(redisPort);
    await sleep(200);
    await everyDoor(group.id, ana, 'stall');
    // A second round: an instance that noticed the stall does not wait on Redis again.
    await everyDoor(group.id, ana, 'stall-again');
    const started = Date.now();
    const during = await health(server!.url);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(during.body.db).toBe('ok');
    expect(['timeout', 'unreachable']).toContain(during.body.redis);

    proxy!.stall(redisPort, false);
    // Back: Redis is used again (its send count for Ana appears), with no restart.
    const channel = await busChannel(database.db);
    const sendKey = `kith:${channel}:send:${ana.id}`;
    await direct!.del(sendKey);
    const deadline = Date.now() + 10_000;
    for (;;) {
      await everyDoor(group.id, ana, 'after');
      if ((await direct!.exists(sendKey)) === 1) break;
      if (Date.now() > deadline) throw new Error('the instance never counted in Redis again');
      await sleep(500);
    }
    // /health says so too (polled: a loaded machine may still be dialling again).
    let after = await health(server!.url);
    while (after.body.redis !== 'ok' && Date.now() < deadline + 5000) {
      await sleep(200);
      after = await health(server!.url);
    }
    expect(after.body).toMatchObject({ ok: true, db: 'ok', redis: 'ok' });
    const messages = await bo.http.messages.list.query({ groupId: group.id });
    expect(JSON.stringify(messages)).toContain('during stall-again');
    expect(server!.child.exitCode, server!.output()).toBeNull();
  });
});
