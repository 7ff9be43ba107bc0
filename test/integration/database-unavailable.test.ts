import { randomUUID } from 'node:crypto';
import { TRPCClientError } from '@trpc/client';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../server/app';
import { type Database, isDatabaseUnavailable, openDatabase } from '../../server/db/client';
import type { Deps } from '../../server/deps';
import { openTestDatabase, type TestDatabase } from '../fixtures/db';
import { makeDeps } from '../fixtures/deps';
import { httpClient, socketClient } from '../fixtures/live';
import { requireEnv } from '../fixtures/process';
import { startTcpProxy, type TcpProxy } from '../fixtures/proxy';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a failed call told the client. */
async function failure(call: Promise<unknown>) {
  const error = await call.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, 'expected the call to fail').toBeInstanceOf(TRPCClientError);
  const e = error as TRPCClientError<never>;
  return { code: (e.data as { code?: string } | null)?.code, message: e.message };
}

describe('telling a lost database connection apart from a refusal', () => {
  it('connection errors and shutdown states count as unavailable; query errors do not', () => {
    const wrapped = (cause: unknown) =>
      Object.assign(new Error('Failed query: select 1'), { cause });
    expect(isDatabaseUnavailable(wrapped(Object.assign(new Error('x'), { code: '57P01' })))).toBe(
      true,
    );
    expect(isDatabaseUnavailable(wrapped(Object.assign(new Error('x'), { code: '08006' })))).toBe(
      true,
    );
    expect(
      isDatabaseUnavailable(
        new AggregateError([Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })]),
      ),
    ).toBe(true);
    expect(isDatabaseUnavailable(wrapped(new Error('Connection terminated unexpectedly')))).toBe(
      true,
    );
    expect(isDatabaseUnavailable(wrapped(Object.assign(new Error('dup'), { code: '23505' })))).toBe(
      false,
    );
    expect(isDatabaseUnavailable(new Error('boom'))).toBe(false);
    expect(isDatabaseUnavailable(null)).toBe(false);
  });
});

describe('the server when PostgreSQL goes away', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let viaProxy: Database;
  let deps: Deps;
  let running: RunningServer;
  let admin: pg.Client;
  const sockets: { close(): void }[] = [];

  beforeAll(async () => {
    requireEnv('TEST_DATABASE_URL');
    database = await openTestDatabase('postgres');
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    // The server reaches PostgreSQL through a TCP relay this test can cut.
    const target = new URL(database.url!);
    proxy = await startTcpProxy([{ host: target.hostname, port: Number(target.port || 5432) }]);
    const url = new URL(database.url!);
    url.host = `127.0.0.1:${proxy.port}`;
    viaProxy = await openDatabase({ url: url.toString() });
    deps = makeDeps(viaProxy.db);
    await deps.hub.start();
    running = await startServer(deps, { port: 0 });
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await running?.close();
    deps?.hub.stop();
    await proxy?.close();
    await viaProxy?.close().catch(() => {});
    await admin?.end();
    await database?.close();
  });

  it('a connection dropped while a transaction holds it fails that transaction, not the process', async () => {
    // pg-pool stops listening for a lent-out client's errors; the server must listen instead,
    // or the 'error' event of a connection terminated between two queries kills the process.
    const attempt = viaProxy.db.transaction(async (tx) => {
      const { rows } = await tx.execute<{ pid: number }>(sql`select pg_backend_pid() as pid`);
      await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
      await sleep(200);
      await tx.execute(sql`select 1`);
    });
    const error = await attempt.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeTruthy();
    expect(isDatabaseUnavailable(error)).toBe(true);
    // The broken connection was dropped from the pool; the next query gets a fresh one.
    const { rows } = await viaProxy.db.execute<{ one: number }>(sql`select 1 as one`);
    expect(rows[0]?.one).toBe(1);
  });

  it('while it is unreachable every call answers 503 SERVICE_UNAVAILABLE with a message to try again', async () => {
    const anon = httpClient(running.url);
    const { token, user } = await anon.auth.register.mutate({
      handle: `down_${randomUUID().slice(0, 6)}`,
      password: 'correct horse battery',
    });
    const api = httpClient(running.url, token);
    const group = await api.groups.create.mutate({ name: 'Before the outage', memberIds: [] });
    const socket = socketClient(running.wsUrl, token);
    sockets.push(socket);
    expect((await socket.client.auth.me.query()).id).toBe(user.id);

    await proxy.close();

    // Signed in over HTTP: the session lookup itself cannot run.
    const send = await failure(
      api.messages.send.mutate({ groupId: group.id, clientId: `c_${randomUUID()}`, body: 'hi' }),
    );
    expect(send.code).toBe('SERVICE_UNAVAILABLE');
    expect(send.message).toMatch(/cannot reach its database.*try again/i);
    const raw = await fetch(`${running.url}/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ handle: 'someone', password: 'correct horse battery' }),
    });
    expect(raw.status).toBe(503);
    expect(await raw.json()).toMatchObject({ error: { data: { code: 'SERVICE_UNAVAILABLE' } } });
    // Over a socket opened before the outage, a send and a new stream say the same.
    const overSocket = await failure(
      socket.client.messages.send.mutate({
        groupId: group.id,
        clientId: `c_${randomUUID()}`,
        body: 'hi',
      }),
    );
    expect(overSocket.code).toBe('SERVICE_UNAVAILABLE');
    const stream = await new Promise<unknown>((resolve) => {
      const sub = socket.client.sync.events.subscribe(
        { lastEventId: '0' },
        { onData: () => {}, onError: resolve, onComplete: () => resolve(null) },
      );
      setTimeout(() => sub.unsubscribe(), 10_000);
    });
    expect(stream).toBeInstanceOf(TRPCClientError);
    expect((stream as TRPCClientError<never>).data).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });

    const health = await fetch(`${running.url}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({ ok: false, db: 'unreachable' });
  });
});
