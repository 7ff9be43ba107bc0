import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../fixtures/db';
import { requireEnv, type ServerProcess, spawnServer } from '../fixtures/process';
import { startTcpProxy, type TcpProxy } from '../fixtures/proxy';
import { accountFor, type Group, sendSteadily, setUpGroups, sleep, Tally, until } from './harness';

/**
 * Two instances on one PostgreSQL database and one Redis behind a TCP load balancer; clients
 * reach them only through it. One instance is SIGKILLed under load: its clients reconnect
 * through the balancer to the other and carry on, and nothing acknowledged is lost or doubled.
 */
describe('an instance killed under load behind a load balancer', () => {
  let database: TestDatabase;
  const servers: ServerProcess[] = [];
  let proxy: TcpProxy | null = null;
  let groups: Group[] = [];

  beforeAll(async () => {
    requireEnv('TEST_DATABASE_URL');
    database = await openTestDatabase('postgres');
  });
  afterAll(async () => {
    for (const member of groups.flatMap((g) => g.members)) member.stream.close();
    await proxy?.close();
    await Promise.all(servers.map((s) => s.kill('SIGKILL')));
    await database?.close();
  });

  it('every acknowledged send is stored once and reaches every member once, in seq order', async () => {
    const env = { DATABASE_URL: database.url!, REDIS_URL: requireEnv('REDIS_URL') };
    // One after the other: the first start also migrates and seeds the fresh database.
    servers.push(await spawnServer(env));
    servers.push(await spawnServer(env));
    const [a, b] = servers as [ServerProcess, ServerProcess];
    proxy = await startTcpProxy([
      { host: '127.0.0.1', port: a.port },
      { host: '127.0.0.1', port: b.port },
    ]);

    // 32 clients in 4 groups of 8, HTTP and WebSocket through the balancer.
    groups = await setUpGroups({ baseUrl: proxy.url, wsUrl: proxy.wsUrl }, 4, 8);
    const members = groups.flatMap((g) => g.members);
    await Promise.all(members.map((m) => m.stream.ready()));
    const onA = proxy.openTo(a.port);
    expect(onA, 'the balancer spread connections over both instances').toBeGreaterThan(0);
    expect(proxy.openTo(b.port)).toBeGreaterThan(0);

    const perMember = 10;
    const tally = new Tally();
    const sending = sendSteadily(groups, perMember, 400, tally);
    const total = members.length * perMember;
    await until(
      () => tally.acks.length >= total / 3,
      60_000,
      () => `${tally.acks.length} acks`,
    );
    // Frozen first, so sends are surely in flight on it when it dies (some of them committed,
    // never answered: their retries on the other instance must return the stored message).
    a.child.kill('SIGSTOP');
    await sleep(300);
    const openOnAAtKill = proxy.openTo(a.port);
    const ackedAtKill = tally.acks.length;
    expect(await a.kill('SIGKILL')).toBe('SIGKILL');
    await sending;

    const figures = await accountFor(database.db, groups, tally);
    const reconnected = members.filter((m) => m.stream.readies > 1).length;
    console.log(
      `instance kill: ${JSON.stringify({ ...figures, ackedAtKill, openOnAAtKill, streamsResumed: reconnected, resyncs: members.reduce((s, m) => s + m.stream.resyncs, 0) })}`,
    );
    expect(figures.sent).toBe(total);
    expect(figures.delivered).toBe(figures.expected);
    expect(figures.expected).toBe(total * 8);
    // The kill did hit clients: sends were retried and streams resumed on the other instance.
    expect(openOnAAtKill).toBeGreaterThan(0);
    expect(tally.retried).toBeGreaterThan(0);
    expect(reconnected).toBeGreaterThan(0);
    expect(members.every((m) => m.stream.resyncs === 0)).toBe(true);
    expect(proxy.openTo(a.port)).toBe(0);
    expect(b.child.exitCode, b.output()).toBeNull();
  }, 110_000);
});
