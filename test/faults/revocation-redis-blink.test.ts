import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_ENDED_CLOSE_CODE } from '../../server/sync/revocation';
import { openTestDatabase, type TestDatabase } from '../fixtures/db';
import { closeCodeOf, httpClient, socketClient, subscribeEvents } from '../fixtures/live';
import { requireEnv, type ServerProcess, spawnServer } from '../fixtures/process';
import { startTcpProxy, type TcpProxy } from '../fixtures/proxy';
import { sleep } from './harness';

const PASSWORD = 'correct horse battery';
let n = 0;
const handle = (tag: string) => `${tag}_${process.pid % 10_000}_${n++}`;

/** Resolves with `promise`'s value, or fails saying what did not happen within `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms),
    ),
  ]);
}

const unauthorized = { data: { code: 'UNAUTHORIZED' } };

/**
 * Instances share PostgreSQL and Redis; instances B and C reach Redis through TCP proxies the
 * test can cut (B: connections drop, B notices and reconnects) or stall (C: the bytes of the
 * revocation signal are dropped and C never notices). A sign-out everywhere made on instance A
 * at that moment must still end the user's sockets on B and C within seconds, and a socket on
 * B must be able to do nothing at all in the meantime.
 */
describe('signing out everywhere while Redis blinks', () => {
  let database: TestDatabase;
  const servers: ServerProcess[] = [];
  const proxies: TcpProxy[] = [];
  const sockets: ReturnType<typeof socketClient>[] = [];
  let redisPort: number;
  let a: ServerProcess;
  let b: ServerProcess;
  let c: ServerProcess;
  let redisForB: TcpProxy;
  let redisForC: TcpProxy;

  beforeAll(async () => {
    const redisUrl = requireEnv('REDIS_URL');
    requireEnv('TEST_DATABASE_URL');
    database = await openTestDatabase('postgres');
    const redis = new URL(redisUrl);
    redisPort = Number(redis.port || 6379);
    const through = (proxy: TcpProxy) => {
      const url = new URL(redisUrl);
      url.hostname = '127.0.0.1';
      url.port = String(proxy.port);
      return url.toString();
    };
    redisForB = await startTcpProxy([{ host: redis.hostname, port: redisPort }]);
    redisForC = await startTcpProxy([{ host: redis.hostname, port: redisPort }]);
    proxies.push(redisForB, redisForC);
    const env = { DATABASE_URL: database.url!, REDIS_URL: redisUrl };
    // One after the other: the first start also migrates and seeds the fresh database.
    a = await spawnServer(env);
    servers.push(a);
    // B checks open sessions only once an hour: only hearing Redis come back can save it.
    b = await spawnServer({
      ...env,
      REDIS_URL: through(redisForB),
      SESSION_RECHECK_SECONDS: '3600',
    });
    servers.push(b);
    // C keeps the default periodic check.
    c = await spawnServer({ ...env, REDIS_URL: through(redisForC) });
    servers.push(c);
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await Promise.all(proxies.map((p) => p.close()));
    await Promise.all(servers.map((s) => s.kill('SIGKILL')));
    await database?.close();
  });

  async function register(tag: string) {
    const { token, user } = await httpClient(a.url).auth.register.mutate({
      handle: handle(tag),
      password: PASSWORD,
    });
    return { id: user.id, handle: user.handle, token, http: httpClient(a.url, token) };
  }

  function socketOn(server: ServerProcess, token: string) {
    const socket = socketClient(server.wsUrl, token);
    sockets.push(socket);
    return socket;
  }

  it('a socket on an instance cut off from Redis is closed as soon as Redis is back, and can do nothing before', async () => {
    const ana = await register('ana');
    const bo = await register('bo');
    const invite = await ana.http.friends.createInvite.mutate();
    await bo.http.friends.acceptInvite.mutate({ code: invite.code });
    const group = await ana.http.groups.create.mutate({ name: 'blink', memberIds: [bo.id] });

    // Ana's socket on B follows her events; another will try to act in the gap.
    const watching = socketOn(b, ana.token);
    const events = subscribeEvents(watching.client);
    await events.ready();
    const closed = closeCodeOf(watching);
    // Signed in a second time (another session, ended by the same sign-out everywhere), so
    // what the probe finds out about its own session tells B nothing about the first one.
    const second = await httpClient(a.url).auth.login.mutate({
      handle: ana.handle,
      password: PASSWORD,
    });
    const probe = socketOn(b, second.token);
    expect((await probe.client.auth.me.query()).id).toBe(ana.id);

    redisForB.cut(redisPort);
    await sleep(300);
    await ana.http.auth.logoutAll.mutate();

    // B has heard nothing, yet the stolen socket cannot read, send or start a stream.
    await expect(probe.client.auth.me.query()).rejects.toMatchObject(unauthorized);
    await expect(
      probe.client.messages.send.mutate({
        groupId: group.id,
        clientId: 'gap-0001',
        body: 'in the gap',
      }),
    ).rejects.toMatchObject(unauthorized);
    const late = subscribeEvents(probe.client, '0');
    await expect(late.until(() => false, 5000)).rejects.toMatchObject(unauthorized);
    await sleep(500);

    redisForB.cut(redisPort, false);
    expect(await within(closed, 5000, 'closing the socket after Redis came back')).toBe(
      SESSION_ENDED_CLOSE_CODE,
    );
    // The client reconnects as nobody: its stream is refused and so is everything else, and
    // what Bo writes now never reaches it.
    await expect(events.until(() => false, 5000)).rejects.toMatchObject(unauthorized);
    await expect(watching.client.auth.me.query()).rejects.toMatchObject(unauthorized);
    const seen = events.received.length;
    await bo.http.messages.send.mutate({ groupId: group.id, clientId: 'after-0001', body: 'x' });
    await sleep(1500);
    expect(events.received.length).toBe(seen);
    expect(late.received).toEqual([]);
    expect(b.child.exitCode, b.output()).toBeNull();
  });

  it('a revocation signal lost without any disconnect still closes the socket within seconds', async () => {
    const cy = await register('cy');
    const socket = socketOn(c, cy.token);
    const events = subscribeEvents(socket.client);
    await events.ready();
    const closed = closeCodeOf(socket);

    // C's Redis connections stay open, but what Redis sends (the signal) never arrives.
    redisForC.stall(redisPort);
    await sleep(200);
    const signedOut = Date.now();
    await cy.http.auth.logoutAll.mutate();
    await sleep(500);
    redisForC.stall(redisPort, false);

    expect(await within(closed, 6000 - (Date.now() - signedOut), 'closing the socket')).toBe(
      SESSION_ENDED_CLOSE_CODE,
    );
    await expect(events.until(() => false, 5000)).rejects.toMatchObject(unauthorized);
    await expect(socket.client.auth.me.query()).rejects.toMatchObject(unauthorized);
    expect(c.child.exitCode, c.output()).toBeNull();
  });
});
