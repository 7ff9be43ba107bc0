import { TRPCClientError } from '@trpc/client';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../server/db/client';
import { openTestDatabase, type TestDatabase } from '../fixtures/db';
import { httpClient } from '../fixtures/live';
import { requireEnv, type ServerProcess, spawnServer } from '../fixtures/process';
import { startTcpProxy, type TcpProxy } from '../fixtures/proxy';
import { type Member, sendUntilAcked, sleep, Tally, until } from './harness';

const PASSWORD = 'correct horse battery';
const CONNECT_MS = 1000;
const STATEMENT_MS = 1000;
/** The client waits this much longer than the statement timeout (QUERY_TIMEOUT_MARGIN_MS). */
const MARGIN_MS = 1000;
let n = 0;
const handle = (tag: string) => `${tag}_${process.pid % 10_000}_${n++}`;

/**
 * PostgreSQL stalls without refusing: the server's connections stay open but nothing comes back
 * (a TCP proxy in front of it drops every byte both ways). /health says so within a second, a
 * send is told to try again within the database timeouts, and once the stall ends the server
 * recovers and every acknowledged send, retried ones included, is stored exactly once.
 */
describe('PostgreSQL stalling under load', () => {
  let database: TestDatabase;
  let proxy: TcpProxy | null = null;
  let server: ServerProcess | null = null;
  let pgPort: number;

  beforeAll(async () => {
    requireEnv('TEST_DATABASE_URL');
    database = await openTestDatabase('postgres');
    const url = new URL(database.url!);
    pgPort = Number(url.port || 5432);
    proxy = await startTcpProxy([{ host: url.hostname, port: pgPort }]);
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    server = await spawnServer({
      DATABASE_URL: url.toString(),
      DATABASE_CONNECT_TIMEOUT_MS: String(CONNECT_MS),
      DATABASE_STATEMENT_TIMEOUT_MS: String(STATEMENT_MS),
      DATABASE_IDLE_TX_TIMEOUT_MS: '3000',
      // Retries during the stall must not run into the send limit.
      LIMIT_SENDS: '100000',
    });
  });
  afterAll(async () => {
    proxy?.stall(pgPort, false);
    await proxy?.close();
    await server?.kill('SIGKILL');
    await database?.close();
  });

  async function member(baseUrl: string, tag: string): Promise<Member> {
    const { token, user } = await httpClient(baseUrl).auth.register.mutate({
      handle: handle(tag),
      password: PASSWORD,
    });
    // No stream: only the stored rows are accounted for here.
    return { id: user.id, handle: user.handle, token, http: httpClient(baseUrl, token) } as Member;
  }

  async function health(url: string) {
    const started = Date.now();
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(10_000) });
    return { status: res.status, body: await res.json(), ms: Date.now() - started };
  }

  it('health says so within a second, sends are told to try again, and nothing acknowledged is lost or doubled', async () => {
    const running = server!;
    const ana = await member(running.url, 'ana');
    const bo = await member(running.url, 'bo');
    const invite = await ana.http.friends.createInvite.mutate();
    await bo.http.friends.acceptInvite.mutate({ code: invite.code });
    const group = await ana.http.groups.create.mutate({ name: 'stall', memberIds: [bo.id] });

    // Both send steadily, each send retried with its clientId until acknowledged.
    const tally = new Tally();
    const perMember = 25;
    const sending = Promise.all(
      [ana, bo].map(async (m, i) => {
        for (let k = 0; k < perMember; k++) {
          await sendUntilAcked(m, group.id, `load-${i}-${k}-${process.pid}`, tally);
          await sleep(100);
        }
      }),
    );
    await until(
      () => tally.acks.length >= 6,
      30_000,
      () => `${tally.acks.length} acks`,
    );

    proxy!.stall(pgPort);
    let stalledFor: number;
    const probeId = `probe-${process.pid}-${Date.now()}`;
    try {
      const stalledAt = Date.now();
      const during = await health(running.url);
      expect(during.status).toBe(503);
      expect(during.body).toEqual({ ok: false, db: 'timeout', redis: 'ok' });
      expect(during.ms).toBeLessThan(1000 + 250);

      const started = Date.now();
      const refused = await ana.http.messages.send
        .mutate({ groupId: group.id, clientId: probeId, body: 'probe' })
        .then(
          () => null,
          (e: unknown) => e,
        );
      const waited = Date.now() - started;
      expect(refused).toBeInstanceOf(TRPCClientError);
      const error = refused as TRPCClientError<never>;
      expect(error.data).toMatchObject({ code: 'SERVICE_UNAVAILABLE', httpStatus: 503 });
      expect(error.message).toMatch(/try again/i);
      // The answer comes once the timeouts run out: waiting for a connection, or for a statement.
      expect(waited).toBeLessThan(CONNECT_MS + STATEMENT_MS + MARGIN_MS + 1000);

      await sleep(Math.max(0, 4000 - (Date.now() - stalledAt)));
      expect(running.child.exitCode, running.output()).toBeNull();
      stalledFor = Date.now() - stalledAt;
    } finally {
      proxy!.stall(pgPort, false);
    }

    // The server recovers by itself, and the refused send, sent again as it was, goes in once.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const after = await health(running.url);
      if (after.status === 200) break;
      if (Date.now() > deadline) throw new Error(`still unhealthy: ${JSON.stringify(after.body)}`);
      await sleep(200);
    }
    const retried = await ana.http.messages.send.mutate({
      groupId: group.id,
      clientId: probeId,
      body: 'probe',
    });
    const again = await ana.http.messages.send.mutate({
      groupId: group.id,
      clientId: probeId,
      body: 'probe',
    });
    expect(again.id).toBe(retried.id);

    await sending;
    const rows = await database.db.execute<{ id: string; client_id: string; seq: number }>(
      sql`select id, client_id, seq from messages where group_id = ${group.id} order by seq`,
    );
    const byClientId = new Map(rows.rows.map((r) => [r.client_id, r]));
    expect(byClientId.size, 'one row per clientId').toBe(rows.rows.length);
    expect(rows.rows.map((r) => Number(r.seq))).toEqual(
      Array.from({ length: rows.rows.length }, (_, i) => i + 1),
    );
    // Every acknowledged send is stored, as acknowledged; nothing else was stored.
    expect(tally.acks).toHaveLength(2 * perMember);
    for (const ack of tally.acks) expect(byClientId.get(ack.clientId)?.id).toBe(ack.id);
    expect(byClientId.get(probeId)?.id).toBe(retried.id);
    expect(rows.rows).toHaveLength(2 * perMember + 1);
    console.log(
      `postgres stall: ${JSON.stringify({ stalledFor, acks: tally.acks.length, retried: tally.retried, failures: Object.fromEntries(tally.failures) })}`,
    );
    // The stall was felt by the senders, and only ever as "unavailable, try again".
    expect(tally.failures.get('SERVICE_UNAVAILABLE') ?? 0).toBeGreaterThan(0);
    expect([...tally.failures.keys()]).toEqual(['SERVICE_UNAVAILABLE']);
    expect(running.child.exitCode, running.output()).toBeNull();
  }, 110_000);
});

describe('a transaction caught in a PostgreSQL stall', () => {
  let database: TestDatabase;
  let proxy: TcpProxy | null = null;
  let opened: Database | null = null;

  beforeAll(async () => {
    requireEnv('TEST_DATABASE_URL');
    database = await openTestDatabase('postgres');
  });
  afterAll(async () => {
    await proxy?.close();
    await opened?.close().catch(() => {});
    await database?.close();
  });

  it('leaves no stuck connection behind: the first query after the stall is answered', async () => {
    const url = new URL(database.url!);
    const pgPort = Number(url.port || 5432);
    proxy = await startTcpProxy([{ host: url.hostname, port: pgPort }]);
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    // One connection, so whatever the transaction leaves behind is what the next query gets.
    opened = await openDatabase({
      url: url.toString(),
      poolSize: 1,
      timeouts: { connectMs: CONNECT_MS, statementMs: 500, idleInTransactionMs: 3000 },
    });
    const { db } = opened;
    await db.execute(sql`select 1`);

    const stallingProxy = proxy;
    const stall = (on: boolean) => stallingProxy.stall(pgPort, on);
    const answered = async () => {
      const rows = await db.execute<{ one: number }>(sql`select 1 as one`);
      return rows.rows;
    };

    // The stall starts in the middle of a transaction.
    const midway = await db
      .transaction(async (tx) => {
        await tx.execute(sql`select 1`);
        stall(true);
        await tx.execute(sql`select 2`);
      })
      .then(
        () => null,
        (e: unknown) => e,
      );
    stall(false);
    expect(midway).toBeInstanceOf(Error);
    expect(await answered()).toEqual([{ one: 1 }]);

    // The stall is already on when a transaction begins.
    stall(true);
    const atBegin = await db
      .transaction(async (tx) => {
        await tx.execute(sql`select 1`);
      })
      .then(
        () => null,
        (e: unknown) => e,
      );
    stall(false);
    expect(atBegin).toBeInstanceOf(Error);
    expect(await answered()).toEqual([{ one: 1 }]);
  });
});
