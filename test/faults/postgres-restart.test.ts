import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../fixtures/db';
import { requireEnv, type ServerProcess, spawnServer } from '../fixtures/process';
import {
  accountFor,
  type Group,
  Stream,
  sendSteadily,
  setUpGroups,
  sleep,
  Tally,
  until,
} from './harness';
import { type Cluster, clusterFor, ensureRunning, pgCtl } from './postgres';

/**
 * PostgreSQL goes away under load and comes back. While it is down the server stays up, says
 * so on /health, and answers sends with SERVICE_UNAVAILABLE and a message to try again; the
 * clients retry with the same clientIds, and afterwards everything acknowledged is stored once
 * and delivered once, and a stream opened during the outage recovers.
 */
describe('PostgreSQL restarting under load', () => {
  let adminUrl: string;
  let cluster: Cluster;
  let database: TestDatabase;
  let server: ServerProcess | null = null;
  let groups: Group[] = [];
  let late: Stream | null = null;

  beforeAll(async () => {
    adminUrl = requireEnv('TEST_DATABASE_URL');
    cluster = await clusterFor(adminUrl);
    await ensureRunning(cluster, adminUrl);
    database = await openTestDatabase('postgres');
  });
  afterAll(async () => {
    // Whatever happened above, the shared PostgreSQL is running again before anything else.
    await ensureRunning(cluster, adminUrl);
    for (const member of groups.flatMap((g) => g.members)) member.stream.close();
    late?.close();
    await server?.kill('SIGKILL');
    await database?.close();
  });

  it('sends fail with a retryable 503 while it is down; afterwards nothing is lost or doubled', async () => {
    server = await spawnServer({
      DATABASE_URL: database.url!,
      REDIS_URL: requireEnv('REDIS_URL'),
    });
    const running = server;
    groups = await setUpGroups({ baseUrl: running.url, wsUrl: running.wsUrl }, 2, 8);
    const members = groups.flatMap((g) => g.members);
    await Promise.all(members.map((m) => m.stream.ready()));

    const perMember = 12;
    const tally = new Tally();
    // 20 sends per 10 s per member: retries stay within the server's 30 per 10 s limit.
    const sending = sendSteadily(groups, perMember, 500, tally);
    const total = members.length * perMember;
    await until(
      () => tally.acks.length >= total / 4,
      60_000,
      () => `${tally.acks.length} acks`,
    );

    await pgCtl(cluster, 'stop');
    const ackedAtStop = tally.acks.length;
    let downFor: number;
    try {
      const downSince = Date.now();
      // /health checks the database, so it reports the outage.
      const health = await fetch(`${running.url}/health`);
      expect(health.status).toBe(503);
      expect(await health.json()).toEqual({ ok: false, db: 'unreachable', redis: 'ok' });

      // A send is told, in so many words, to try again; over HTTP that is a 503.
      const [member] = members as [(typeof members)[0]];
      const refused = await member.http.messages.send
        .mutate({ groupId: groups[0]!.id, clientId: `probe-${Date.now()}`, body: 'probe' })
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(refused).toBeInstanceOf(TRPCClientError);
      const error = refused as TRPCClientError<never>;
      expect(error.data).toMatchObject({ code: 'SERVICE_UNAVAILABLE', httpStatus: 503 });
      expect(error.message).toMatch(/database.*try again/i);

      // A second device of the first member opens its stream from the start during the outage.
      late = new Stream(running.wsUrl, member.token, '0');
      await sleep(Math.max(0, 2500 - (Date.now() - downSince)));
      expect(running.child.exitCode, running.output()).toBeNull();
      expect(late.readies).toBe(0);
      downFor = Date.now() - downSince;
    } finally {
      await ensureRunning(cluster, adminUrl);
    }

    await sending;
    const figures = await accountFor(database.db, groups, tally, [
      { groupId: groups[0]!.id, stream: late },
    ]);
    console.log(
      `postgres restart: ${JSON.stringify({ ...figures, ackedAtStop, downForMs: downFor, lateStreamErrors: late.errors })}`,
    );
    expect(figures.sent).toBe(total);
    expect(figures.delivered).toBe(figures.expected);
    // The outage was felt, and only ever as "unavailable, try again".
    expect(tally.failures.get('SERVICE_UNAVAILABLE') ?? 0).toBeGreaterThan(0);
    expect([...tally.failures.keys()]).toEqual(['SERVICE_UNAVAILABLE']);
    expect(tally.messages.get('SERVICE_UNAVAILABLE')).toMatch(/try again/i);
    // Streams open before the outage never broke; the late one was refused, then recovered.
    expect(members.every((m) => m.stream.errors.length === 0 && m.stream.readies === 1)).toBe(true);
    expect(late.readies).toBeGreaterThanOrEqual(1);
    expect((await fetch(`${running.url}/health`)).status).toBe(200);
    expect(running.child.exitCode, running.output()).toBeNull();
  }, 110_000);
});
