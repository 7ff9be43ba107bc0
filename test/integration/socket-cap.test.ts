import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type RunningServer, startServer } from '../../server/app';
import { EnvError, parseEnv } from '../../server/env';
import { limitSettingsFromEnv } from '../../server/limits';
import type { Deps } from '../../server/trpc';
import { openTestDatabase, type TestDatabase } from '../fixtures/db';
import { makeDeps } from '../fixtures/deps';

/**
 * One address may hold at most `LIMIT_SOCKETS_PER_ADDRESS` open WebSockets on an instance,
 * signed in or not: past that the upgrade is answered 429 before any WebSocket is made.
 */

const CAP = 3;

type Outcome = { opened: WebSocket } | { refused: number; body: string };

/** Opens a WebSocket as a client would (no token: nobody signs in), or reports the refusal. */
function openSocket(url: string, headers: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve({ opened: ws }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ refused: res.statusCode ?? 0, body }));
    });
    ws.once('error', reject);
  });
}

const waitClosed = (ws: WebSocket) =>
  new Promise<void>((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) resolve();
    else ws.once('close', () => resolve());
  });

describe('open WebSockets per client address', () => {
  let database: TestDatabase;
  const servers: { running: RunningServer; deps: Deps }[] = [];
  const open: WebSocket[] = [];

  async function serve(env: Record<string, string> = {}) {
    const deps = makeDeps(database.db, { limits: { socketsPerAddress: CAP }, env });
    const running = await startServer(deps, { port: 0 });
    servers.push({ running, deps });
    return running;
  }

  async function expectOpened(outcome: Promise<Outcome>) {
    const result = await outcome;
    expect(result, JSON.stringify(result)).toHaveProperty('opened');
    const ws = (result as { opened: WebSocket }).opened;
    open.push(ws);
    return ws;
  }

  beforeAll(async () => {
    database = await openTestDatabase('pglite');
  });
  afterEach(async () => {
    for (const ws of open.splice(0)) ws.terminate();
  });
  afterAll(async () => {
    for (const { running, deps } of servers) {
      await running.close();
      deps.hub.stop();
    }
    await database?.close();
  });

  it('refuses one more socket than the cap from one address with 429, and frees a slot when one closes', async () => {
    const running = await serve();
    const sockets = await Promise.all(
      Array.from({ length: CAP }, () => expectOpened(openSocket(running.wsUrl))),
    );
    const refused = await openSocket(running.wsUrl);
    expect(refused).toMatchObject({ refused: 429 });
    expect((refused as { body: string }).body).toMatch(/Too many open connections/);

    sockets[0]?.close();
    await waitClosed(sockets[0] as WebSocket);
    // The server sees the close a moment after the client does: a bounded wait for the slot.
    const deadline = Date.now() + 2000;
    let again = await openSocket(running.wsUrl);
    while ('refused' in again && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      again = await openSocket(running.wsUrl);
    }
    await expectOpened(Promise.resolve(again));
    expect(await openSocket(running.wsUrl)).toMatchObject({ refused: 429 });
  });

  it('frees the slot of a socket whose handshake failed', async () => {
    const running = await serve();
    // Upgrades that never become a WebSocket (no Sec-WebSocket-Key), each closed by the server.
    for (let i = 0; i < CAP * 2; i++) {
      await new Promise<void>((resolve, reject) => {
        const raw = connect(running.port, '127.0.0.1', () => {
          raw.write(
            'GET /trpc HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
          );
        });
        raw.on('data', () => {});
        raw.once('close', () => resolve());
        raw.once('error', reject);
      });
    }
    const deadline = Date.now() + 2000;
    const sockets: Outcome[] = [];
    while (sockets.filter((s) => 'opened' in s).length < CAP && Date.now() < deadline) {
      const outcome = await openSocket(running.wsUrl);
      if ('opened' in outcome) open.push(outcome.opened);
      sockets.push(outcome);
    }
    expect(sockets.filter((s) => 'opened' in s)).toHaveLength(CAP);
  });

  it('counts each address on its own behind a trusted proxy', async () => {
    const running = await serve({ TRUST_PROXY: '1' });
    const from = (ip: string) => openSocket(running.wsUrl, { 'x-forwarded-for': ip });
    for (let i = 0; i < CAP; i++) await expectOpened(from('203.0.113.7'));
    expect(await from('203.0.113.7')).toMatchObject({ refused: 429 });
    // Another client behind the same proxy is not affected.
    await expectOpened(from('198.51.100.2'));
  });

  it('reads LIMIT_SOCKETS_PER_ADDRESS from the environment and names it when it is wrong', () => {
    expect(limitSettingsFromEnv(parseEnv({ LIMIT_SOCKETS_PER_ADDRESS: '5' }))).toMatchObject({
      socketsPerAddress: 5,
    });
    expect(limitSettingsFromEnv(parseEnv({})).socketsPerAddress).toBe(64);
    for (const bad of ['0', '-1', 'many', '2.5']) {
      expect(() => parseEnv({ LIMIT_SOCKETS_PER_ADDRESS: bad })).toThrow(EnvError);
      expect(() => parseEnv({ LIMIT_SOCKETS_PER_ADDRESS: bad })).toThrow(
        /LIMIT_SOCKETS_PER_ADDRESS: must be a whole number/,
      );
    }
  });
});
