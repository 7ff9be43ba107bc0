import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { hashToken } from '../../server/auth/password';
import { logout } from '../../server/auth/sessions';
import { SessionSockets } from '../../server/sync/revocation';
import { engines, openTestDatabase, type TestDatabase } from '../fixtures/db';
import { makeDeps, signUp, type TestUser } from '../fixtures/deps';

/**
 * The per-procedure session check of a socket: "not signed in" (which signs the extension out)
 * only when the session has really ended, never because the socket dropped (a missed heartbeat
 * under load) while a call it sent was still on its way through the server.
 */
describe.each(engines)('the session check of a socket that dropped (%s)', (engine) => {
  let database: TestDatabase;
  let deps: ReturnType<typeof makeDeps>;
  let wss: WebSocketServer;
  let user: TestUser;

  beforeAll(async () => {
    database = await openTestDatabase(engine);
    deps = makeDeps(database.db);
    user = await signUp(deps, 'dropped');
    wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await once(wss, 'listening');
  }, 60_000);

  afterAll(async () => {
    wss?.close();
    await database?.close();
  });

  /** A real socket pair: the server's end, and a way to drop the connection. */
  async function connect() {
    const accepted = once(wss, 'connection') as Promise<[WebSocket]>;
    const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
    const [server] = await accepted;
    await once(client, 'open');
    return { server, client };
  }

  it('still answers signed in after the socket closed, while the session exists', async () => {
    const sockets = new SessionSockets(deps.bus, { db: deps.db, recheckMs: 60_000 });
    const { server, client } = await connect();
    sockets.track(server, user.id, hashToken(user.token));
    expect(await sockets.stillSignedIn(server)).toBe(true);
    client.terminate();
    await once(server, 'close');
    // A call read from the socket before it dropped is checked now: the session is fine.
    expect(await sockets.stillSignedIn(server)).toBe(true);
    // The closed socket is not kept.
    expect(sockets.size).toBe(0);
    sockets.close();
  });

  it('a socket tracked only after it closed is not kept, and is still judged by its session', async () => {
    const sockets = new SessionSockets(deps.bus, { db: deps.db, recheckMs: 60_000 });
    const { server, client } = await connect();
    client.terminate();
    await once(server, 'close');
    // Its sign-in lookup finished after the drop.
    sockets.track(server, user.id, hashToken(user.token));
    expect(sockets.size).toBe(0);
    expect(await sockets.stillSignedIn(server)).toBe(true);
    sockets.close();
  });

  it('answers not signed in once the session has ended, closed socket or not', async () => {
    const other = await signUp(deps, 'ended');
    const sockets = new SessionSockets(deps.bus, { db: deps.db, recheckMs: 60_000 });
    const open = await connect();
    const dropped = await connect();
    sockets.track(open.server, other.id, hashToken(other.token));
    sockets.track(dropped.server, other.id, hashToken(other.token));
    dropped.client.terminate();
    await once(dropped.server, 'close');
    const closed = once(open.client, 'close') as Promise<[number]>;
    await logout(deps, other.id, hashToken(other.token));
    expect(await sockets.stillSignedIn(open.server)).toBe(false);
    expect(await sockets.stillSignedIn(dropped.server)).toBe(false);
    const [code] = await closed;
    expect(code).toBe(4401);
    sockets.close();
  });
});
