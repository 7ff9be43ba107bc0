import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { RunningServer } from '../../server/app';
import { hashToken } from '../../server/auth/password';
import { openDatabase } from '../../server/db/client';
import { sessions } from '../../server/db/schema';
import type { Deps } from '../../server/deps';
import { makeDeps, signUp } from '../fixtures/deps';
import { startLive } from '../fixtures/live';
import { requireEnv } from '../fixtures/process';

/**
 * Many sockets connecting at once (a deploy, a network blip): each one's sign-in lookup must not
 * wait in the pool's queue past the pool's connect timeout. A small pool and a short timeout
 * make the queue the bottleneck on this machine, as 1,000+ sockets do on a full-size pool.
 */
const SOCKETS = 1200;

interface Answer {
  id?: unknown;
  result?: unknown;
  error?: { data?: { code?: string } };
}

/** One frame as JSON; the keep-alive's PING is not. */
function parse(raw: WebSocket.RawData): Answer {
  const text = String(raw);
  return text === 'PING' || text === 'PONG' ? {} : (JSON.parse(text) as Answer);
}

describe('a burst of signed-in sockets connecting at once (postgres)', () => {
  let close: () => Promise<void>;
  let deps: Deps;
  let server: RunningServer;
  const tokens: string[] = [];

  beforeAll(async () => {
    const admin = requireEnv('TEST_DATABASE_URL');
    const pg = (await import('pg')).default;
    const name = `kith_test_${randomBytes(6).toString('hex')}`;
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    await client.query(`create database ${name}`);
    await client.end();
    const url = new URL(admin);
    url.pathname = `/${name}`;
    const database = await openDatabase({
      url: url.toString(),
      poolSize: 2,
      timeouts: { connectMs: 300 },
    });
    close = async () => {
      await database.close();
      const cleanup = new pg.Client({ connectionString: admin });
      await cleanup.connect();
      await cleanup.query(`drop database if exists ${name} with (force)`);
      await cleanup.end();
    };
    deps = makeDeps(database.db, { limits: { socketsPerAddress: 100_000 } });
    const users = await Promise.all([0, 1, 2, 3].map((i) => signUp(deps, `burst${i}`)));
    // Each socket signs in with a session of its own, as separate browsers do.
    const rows = [];
    for (let i = 0; i < SOCKETS; i += 1) {
      const token = randomBytes(24).toString('base64url');
      tokens.push(token);
      rows.push({
        tokenHash: hashToken(token),
        userId: users[i % users.length]!.id,
        expiresAt: new Date(Date.now() + 3_600_000),
      });
    }
    for (let i = 0; i < rows.length; i += 500)
      await database.db.insert(sessions).values(rows.slice(i, i + 500));
    server = await startLive(deps);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    deps?.hub.stop();
    await close?.();
  });

  it('signs every socket in: no lookup times out waiting for a pool connection', async () => {
    const failures: string[] = [];
    const sockets = await Promise.all(
      tokens.map(
        () =>
          new Promise<WebSocket>((resolve) => {
            const ws = new WebSocket(`${server.wsUrl}?connectionParams=1`);
            ws.on('error', (e) => {
              failures.push(`error: ${e.message}`);
              resolve(ws);
            });
            ws.on('close', (code) => failures.push(`closed ${code}`));
            ws.on('message', (raw) => {
              const message = parse(raw);
              if (message.error)
                failures.push(`${String(message.id)} ${message.error.data?.code ?? 'error'}`);
            });
            ws.on('open', () => resolve(ws));
          }),
      ),
    );
    // Every socket is open; now all of them sign in at the same moment (a server restart's
    // reconnect wave).
    for (const [i, ws] of sockets.entries())
      ws.send(JSON.stringify({ method: 'connectionParams', data: { token: tokens[i] } }));
    // A lookup that waits in the pool's queue fails within its connect timeout (300 ms) and
    // says so on the socket; give every one of them time to answer.
    await new Promise((r) => setTimeout(r, 3000));
    // And each can act as its user: one call per socket, a few at a time.
    const answers: string[] = [];
    for (let i = 0; i < sockets.length && failures.length === 0; i += 4) {
      await Promise.all(
        sockets.slice(i, i + 4).map(
          (ws, j) =>
            new Promise<void>((resolve) => {
              const id = 1000 + i + j;
              if (ws.readyState !== ws.OPEN) {
                answers.push('closed');
                resolve();
                return;
              }
              const onMessage = (raw: WebSocket.RawData) => {
                const message = parse(raw);
                if (message.id !== id) return;
                ws.off('message', onMessage);
                answers.push(message.result ? 'OK' : (message.error?.data?.code ?? 'error'));
                resolve();
              };
              ws.on('message', onMessage);
              ws.send(
                JSON.stringify({
                  id,
                  jsonrpc: '2.0',
                  method: 'query',
                  params: { path: 'auth.me', input: undefined },
                }),
              );
            }),
        ),
      );
    }
    for (const ws of sockets) ws.terminate();
    expect(failures.slice(0, 5)).toEqual([]);
    expect(answers.filter((a) => a !== 'OK').slice(0, 5)).toEqual([]);
    expect(answers.length).toBe(SOCKETS);
  }, 120_000);
});
