import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createTRPCClient,
  createWSClient,
  httpBatchLink,
  TRPCClientError,
  wsLink,
} from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_BODY_BYTES, type RunningServer, startServer } from '../../server/app';
import type { Deps } from '../../server/deps';
import type { AppRouter } from '../../server/router';
import { engines, openTestDatabase, type TestDatabase } from '../fixtures/db';
import { makeDeps } from '../fixtures/deps';

const root = path.resolve(import.meta.dirname, '../..');
const PASSWORD = 'correct horse battery';

function httpClient(url: string, token?: string) {
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${url}/trpc`,
        headers: token ? { authorization: `Bearer ${token}` } : {},
      }),
    ],
  });
}

function socketClient(wsUrl: string, token: string | null) {
  const socket = createWSClient({
    url: wsUrl,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    connectionParams: token ? { token } : {},
    retryDelayMs: () => 100,
  });
  const api = createTRPCClient<AppRouter>({ links: [wsLink({ client: socket })] });
  return { api, close: () => socket.close() };
}

/** The tRPC error code a client sees for a failed call. */
async function clientErrorCode(call: Promise<unknown>): Promise<string | undefined> {
  const error = await call.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, 'expected the call to be refused').toBeInstanceOf(TRPCClientError);
  return (error as TRPCClientError<AppRouter>).data?.code;
}

describe.each(engines)('the real server over HTTP and WebSocket on %s', (engine) => {
  let database: TestDatabase;
  let deps: Deps;
  let running: RunningServer;
  const sockets: { close: () => void }[] = [];

  beforeAll(async () => {
    database = await openTestDatabase(engine);
    deps = makeDeps(database.db);
    running = await startServer(deps, { port: 0 });
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await running?.close();
    deps?.hub.stop();
    await database?.close();
  });

  const handle = (name: string) => `${name}_${randomUUID().slice(0, 6)}`;

  it('GET /health answers ok, unknown paths 404', async () => {
    const health = await fetch(`${running.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true });
    const missing = await fetch(`${running.url}/no/such/page`);
    expect(missing.status).toBe(404);
    const noProcedure = await fetch(`${running.url}/trpc/nothing.here`);
    expect(noProcedure.status).toBe(404);
  });

  it('two friends chat in a group; a third user is refused everywhere', async () => {
    const anon = httpClient(running.url);
    const ana = await anon.auth.register.mutate({ handle: handle('ana'), password: PASSWORD });
    const ben = await anon.auth.register.mutate({ handle: handle('ben'), password: PASSWORD });
    const eve = await anon.auth.register.mutate({ handle: handle('eve'), password: PASSWORD });
    const anaApi = httpClient(running.url, ana.token);
    const benApi = httpClient(running.url, ben.token);
    const eveApi = httpClient(running.url, eve.token);

    expect(await anaApi.auth.me.query()).toMatchObject(ana.user);
    const invite = await anaApi.friends.createInvite.mutate();
    expect(invite.url).toContain(invite.code);
    await benApi.friends.acceptInvite.mutate({ code: invite.url });
    expect((await anaApi.friends.list.query()).map((f) => f.id)).toEqual([ben.user.id]);

    const group = await anaApi.groups.create.mutate({ name: 'Weekend', memberIds: [ben.user.id] });
    const first = await anaApi.messages.send.mutate({
      groupId: group.id,
      clientId: `c_${randomUUID()}`,
      body: 'anyone up for a film?',
    });
    expect(first.seq).toBe(1);
    // Batched: both queries travel in one request.
    const [page, groups] = await Promise.all([
      benApi.messages.list.query({ groupId: group.id }),
      benApi.groups.list.query(),
    ]);
    expect(page.messages.map((m) => m.body)).toEqual(['anyone up for a film?']);
    expect(groups).toEqual([
      expect.objectContaining({ id: group.id, unread: 1, lastMessage: expect.anything() }),
    ]);

    // Over the socket: Ben listens to his events and replies with a mutation.
    const benSocket = socketClient(running.wsUrl, ben.token);
    sockets.push(benSocket);
    const received: { type: string; payload?: unknown }[] = [];
    const gotReply = new Promise<void>((resolve, reject) => {
      const sub = benSocket.api.sync.events.subscribe(undefined, {
        onData: (envelope) => {
          received.push(envelope.data);
          if (envelope.data.type === 'message.created') {
            sub.unsubscribe();
            resolve();
          }
        },
        onError: reject,
      });
    });
    expect((await benSocket.api.auth.me.query()).id).toBe(ben.user.id);
    const reply = await benSocket.api.messages.send.mutate({
      groupId: group.id,
      clientId: `c_${randomUUID()}`,
      body: 'yes!',
    });
    expect(reply).toMatchObject({ seq: 2, body: 'yes!', sender: { id: ben.user.id } });
    await gotReply;
    expect(received.find((e) => e.type === 'message.created')?.payload).toMatchObject({
      id: reply.id,
      seq: 2,
    });
    const both = await anaApi.messages.list.query({ groupId: group.id });
    expect(both.messages.map((m) => [m.seq, m.body])).toEqual([
      [1, 'anyone up for a film?'],
      [2, 'yes!'],
    ]);

    // Eve is signed in but in nothing: every door is closed, over HTTP and over the socket.
    const groupId = group.id;
    const eveCalls = (api: typeof eveApi) => [
      () => api.groups.get.query({ groupId }),
      () => api.messages.list.query({ groupId }),
      () => api.messages.send.mutate({ groupId, clientId: `c_${randomUUID()}`, body: 'hi' }),
      () => api.messages.markRead.mutate({ groupId, seq: 2 }),
      () => api.messages.typing.mutate({ groupId }),
      () => api.groups.addMembers.mutate({ groupId, userIds: [eve.user.id] }),
      () => api.groups.rename.mutate({ groupId, name: 'Mine' }),
      () => api.groups.leave.mutate({ groupId }),
      () => api.messages.react.mutate({ messageId: first.id, emoji: '👍' }),
      () => api.messages.edit.mutate({ messageId: first.id, body: 'changed' }),
      () => api.messages.delete.mutate({ messageId: first.id }),
    ];
    for (const call of eveCalls(eveApi)) expect(await clientErrorCode(call())).toBe('NOT_FOUND');
    const eveSocket = socketClient(running.wsUrl, eve.token);
    sockets.push(eveSocket);
    for (const call of eveCalls(eveSocket.api))
      expect(await clientErrorCode(call())).toBe('NOT_FOUND');
    expect(await eveApi.groups.list.query()).toEqual([]);
    const after = await anaApi.messages.list.query({ groupId });
    expect(after).toEqual(both);
    expect((await anaApi.groups.get.query({ groupId })).name).toBe('Weekend');
  });

  it('no token, a bad token and a logged-out token are refused over both transports', async () => {
    const anon = httpClient(running.url);
    expect(await clientErrorCode(anon.auth.me.query())).toBe('UNAUTHORIZED');
    expect(await clientErrorCode(httpClient(running.url, 'made-up').groups.list.query())).toBe(
      'UNAUTHORIZED',
    );
    const raw = await fetch(`${running.url}/trpc/auth.me`);
    expect(raw.status).toBe(401);
    const { token } = await anon.auth.register.mutate({
      handle: handle('gone'),
      password: PASSWORD,
    });
    await httpClient(running.url, token).auth.logout.mutate();
    expect(await clientErrorCode(httpClient(running.url, token).auth.me.query())).toBe(
      'UNAUTHORIZED',
    );
    const socket = socketClient(running.wsUrl, 'made-up');
    sockets.push(socket);
    expect(await clientErrorCode(socket.api.auth.me.query())).toBe('UNAUTHORIZED');
    expect(
      await clientErrorCode(
        socket.api.messages.send.mutate({
          groupId: randomUUID(),
          clientId: `c_${randomUUID()}`,
          body: 'x',
        }),
      ),
    ).toBe('UNAUTHORIZED');
  });

  it('bad input over HTTP gets a 400 with a readable message, not a crash', async () => {
    const anon = httpClient(running.url);
    const { token } = await anon.auth.register.mutate({
      handle: handle('bad'),
      password: PASSWORD,
    });
    const res = await fetch(`${running.url}/trpc/messages.send`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{"groupId": "nope", "clientId": 1',
    });
    expect(res.status).toBe(400);
    const broken = await fetch(`${running.url}/trpc/messages.send`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ groupId: 'nope', clientId: 'x', body: '' }),
    });
    expect(broken.status).toBe(400);
    const body = (await broken.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/^Invalid input: groupId/);
    expect((await fetch(`${running.url}/health`)).status).toBe(200);
  });

  it('an oversized body is refused with 413 and the server carries on', async () => {
    const res = await fetch(`${running.url}/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ handle: 'someone', password: 'x'.repeat(MAX_BODY_BYTES + 10) }),
    });
    expect(res.status).toBe(413);
    expect((await fetch(`${running.url}/health`)).status).toBe(200);
    // Just under the cap is read and judged on its content.
    const under = await fetch(`${running.url}/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ handle: 'someone', password: 'x'.repeat(MAX_BODY_BYTES - 100) }),
    });
    expect(under.status).toBe(400);
  });
});

// ---------------------------------------------------------------------------------------------
// The server as its own process: `npx tsx server/main.ts`.

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

interface Child {
  process: ChildProcess;
  output: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnMain(env: Record<string, string>): Child {
  const child = spawn('npx', ['tsx', 'server/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      // The parent's test settings must not leak into the child.
      DATABASE_URL: '',
      REDIS_URL: '',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: the server under npx and tsx can be ended with the wrappers.
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { process: child, output: () => output, exit };
}

async function waitForHealth(child: Child, url: string, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void child.exit.then(() => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error(`server exited before it was ready:\n${child.output()}`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`server did not answer /health in ${timeoutMs} ms:\n${child.output()}`);
}

/**
 * Sends SIGTERM to the server itself. `npx` and `tsx` sit between us and it and npx does not
 * pass signals on, so the server's own pid is read from its log lines (pino logs `pid`); the
 * wrappers then exit with the server's exit code.
 */
async function stop(child: Child) {
  const pid = Number(/"pid":(\d+)/.exec(child.output())?.[1]);
  if (!pid) throw new Error(`no server pid in the output:\n${child.output()}`);
  process.kill(pid, 'SIGTERM');
  return child.exit;
}

async function post(url: string, procedure: string, input: unknown, token?: string) {
  const res = await fetch(`${url}/trpc/${procedure}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(input),
  });
  const body = (await res.json()) as {
    result?: { data: { token: string; user: { id: string; handle: string } } };
  };
  return { status: res.status, body };
}

describe('server/main.ts as a process', () => {
  const children: Child[] = [];
  const dataDir = mkdtempSync(path.join(tmpdir(), 'kith-main-'));
  afterAll(async () => {
    // The whole group: after a failed test the server may still run under its exited wrappers.
    for (const child of children) {
      try {
        if (child.process.pid) process.kill(-child.process.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps accounts on disk across a SIGTERM and a restart', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = { PORT: String(port), DATA_DIR: dataDir, PUBLIC_URL: url };

    const first = spawnMain(env);
    children.push(first);
    await waitForHealth(first, url);
    expect(first.output()).toContain(`Kith is running at ${url}`);
    const handle = `keeper_${randomUUID().slice(0, 6)}`;
    const registered = await post(url, 'auth.register', { handle, password: PASSWORD });
    expect(registered.status).toBe(200);
    const userId = registered.body.result?.data.user.id;
    const oldToken = registered.body.result?.data.token;

    const exited = await stop(first);
    expect(exited, first.output()).toEqual({ code: 0, signal: null });
    expect(first.output()).toMatch(/shutting down/);
    expect(first.output()).toMatch(/"msg":"stopped"/);

    // The restart also takes a rate limit from the environment.
    const second = spawnMain({ ...env, LIMIT_LOGIN_FAILURES: '1' });
    children.push(second);
    await waitForHealth(second, url);
    const login = await post(url, 'auth.login', { handle, password: PASSWORD });
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    expect(login.body.result?.data.user).toMatchObject({ id: userId, handle });
    // The session from before the restart is still valid too.
    const me = await fetch(`${url}/trpc/auth.me`, {
      headers: { authorization: `Bearer ${oldToken}` },
    });
    expect(me.status).toBe(200);
    // LIMIT_LOGIN_FAILURES=1: after one wrong password, the next attempt is refused outright.
    const wrong = { handle, password: `${PASSWORD}-wrong` };
    expect((await post(url, 'auth.login', wrong)).status).toBe(401);
    expect((await post(url, 'auth.login', wrong)).status).toBe(429);
    expect(await stop(second)).toEqual({ code: 0, signal: null });
    // A first start creates the database on disk; on a busy machine that takes a while.
  }, 180_000);

  it.each([
    ['PORT', { PORT: 'notaport' }, /PORT/],
    ['rate limit', { LIMIT_SENDS: '0' }, /LIMIT_SENDS: must be a whole number/],
  ])(
    'refuses to start with an invalid %s and names the variable',
    async (_, env, named) => {
      const child = spawnMain({ ...env, DATA_DIR: dataDir });
      children.push(child);
      const exited = await child.exit;
      expect(exited.code).not.toBe(0);
      expect(exited.code).not.toBeNull();
      expect(child.output()).toMatch(named);
      expect(child.output()).not.toMatch(/Kith is running/);
    },
    60_000,
  );
});
