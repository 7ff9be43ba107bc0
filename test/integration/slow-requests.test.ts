import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../server/app';
import type { Deps } from '../../server/trpc';
import { openTestDatabase, type TestDatabase } from '../fixtures/db';
import { makeDeps } from '../fixtures/deps';

/** Whole-request and header timeouts for the test server (production: 30 s and 10 s). */
const REQUEST_MS = 2000;
const HEADERS_MS = 1000;
const CAP = 6;

interface Held {
  socket: Socket;
  /** Resolves with how long after opening the server closed it, and what it said. */
  closed: Promise<{ ms: number; reply: string }>;
}

function hold(port: number, first: string, localAddress = '127.0.0.1'): Promise<Held> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress });
    let reply = '';
    let opened = 0;
    socket.on('data', (d) => {
      reply += d;
    });
    const closed = new Promise<{ ms: number; reply: string }>((done) => {
      socket.once('close', () => done({ ms: Date.now() - opened, reply }));
    });
    socket.on('error', () => {});
    socket.once('connect', () => {
      opened = Date.now();
      if (first) socket.write(first);
      resolve({ socket, closed });
    });
    socket.once('error', reject);
  });
}

/** Writes `chunk` every `everyMs` while the socket is open. */
function trickle(socket: Socket, chunk: string, everyMs: number) {
  const timer = setInterval(() => {
    if (socket.destroyed) clearInterval(timer);
    else socket.write(chunk);
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
}

async function health(port: number, localAddress = '127.0.0.1') {
  const held = await hold(
    port,
    'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    localAddress,
  );
  return (await held.closed).reply;
}

/**
 * A client that sends its request slowly (a byte now and then, so no idle timeout fires) is
 * cut off once the whole request has taken too long, and one address cannot hold more than a
 * set number of connections open at once.
 */
describe('slow and piled-up HTTP connections', () => {
  let database: TestDatabase;
  let deps: Deps;
  let server: RunningServer;

  beforeAll(async () => {
    database = await openTestDatabase('pglite');
    deps = makeDeps(database.db, { limits: { connectionsPerAddress: CAP } });
    server = await startServer(deps, {
      port: 0,
      requestTimeoutMs: REQUEST_MS,
      headersTimeoutMs: HEADERS_MS,
    });
  });
  afterAll(async () => {
    await server?.close();
    deps?.hub.stop();
    await database?.close();
  });

  it('a request whose body trickles in a byte at a time is cut off once the request timeout has passed', async () => {
    const slow = await hold(
      server.port,
      'POST /trpc/auth.login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 900000\r\n\r\n{',
    );
    trickle(slow.socket, '1', 200);
    const { ms, reply } = await slow.closed;
    expect(ms).toBeGreaterThanOrEqual(REQUEST_MS - 100);
    expect(ms).toBeLessThan(REQUEST_MS + 3000);
    expect(reply).toMatch(/^HTTP\/1\.1 408/);
  });

  it('a request whose headers trickle in a line at a time is cut off once the header timeout has passed', async () => {
    const slow = await hold(server.port, 'GET /health HTTP/1.1\r\n');
    trickle(slow.socket, 'X-a: b\r\n', 200);
    const { ms } = await slow.closed;
    expect(ms).toBeLessThan(HEADERS_MS + 3000);
  });

  it('one address may hold only the cap of connections open; past it new ones are closed, and others are not affected', async () => {
    const idle = await Promise.all(Array.from({ length: CAP }, () => hold(server.port, '')));
    const extra = await hold(server.port, '');
    const { ms } = await extra.closed;
    expect(ms).toBeLessThan(1000);
    // Another address still gets in.
    expect(await health(server.port, '127.0.0.2')).toMatch(/^HTTP\/1\.1 200/);
    // A closed connection frees its place.
    idle[0]?.socket.destroy();
    await idle[0]?.closed;
    await new Promise((r) => setTimeout(r, 50));
    expect(await health(server.port)).toMatch(/^HTTP\/1\.1 200/);
    for (const held of idle) held.socket.destroy();
  });
});
