import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { RunningServer } from '../../server/app';
import type { Deps } from '../../server/deps';
import type { SyncEvent } from '../../server/sync/event-stream';
import { openTestDatabase, type TestDatabase } from '../fixtures/db';
import { befriend, makeDeps, signUp } from '../fixtures/deps';
import { ofType, socketClient, startLive, subscribeEvents } from '../fixtures/live';

interface Frame {
  id?: number;
  result?: {
    type: string;
    id?: string;
    data?: { id: string; data: { type: string; payload: { reason?: string } } };
  };
  error?: unknown;
}

/**
 * Over a WebSocket a stream writes its frames straight to the socket; a client that stops
 * reading must not make the server hold an ever-growing buffer for it.
 */
describe('a stream whose client stops reading', () => {
  let database: TestDatabase;
  let deps: Deps;
  let server: RunningServer;

  beforeAll(async () => {
    database = await openTestDatabase('pglite');
    deps = makeDeps(database.db);
    server = await startLive(deps);
  });
  afterAll(async () => {
    await server?.close();
    deps?.hub.stop();
    await database?.close();
  });

  it('is told to resync and ended once megabytes wait for it, while a reading member gets everything', async () => {
    const ana = await signUp(deps, 'ana');
    const ben = await signUp(deps, 'ben');
    await befriend(ana, ben);
    const group = await ana.api.groups.create({ name: 'Big talk', memberIds: [ben.id] });

    // Ben: a raw socket, so the test can stop reading it.
    const raw = new WebSocket(`${server.wsUrl}?connectionParams=1`);
    const frames: Frame[] = [];
    raw.on('message', (data) => frames.push(JSON.parse(data.toString())));
    await new Promise((resolve, reject) => {
      raw.once('open', resolve);
      raw.once('error', reject);
    });
    raw.send(JSON.stringify({ method: 'connectionParams', data: { token: ben.token } }));
    raw.send(
      JSON.stringify({
        id: 1,
        jsonrpc: '2.0',
        method: 'subscription',
        params: { path: 'sync.events', input: {} },
      }),
    );
    const until = async (predicate: () => boolean, what: string) => {
      for (const started = Date.now(); !predicate(); ) {
        if (Date.now() - started > 20_000) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const dataOf = (type: string) => frames.filter((f) => f.result?.data?.data.type === type);
    await until(() => dataOf('ready').length === 1, "ben's stream to be ready");

    const anaSocket = socketClient(server.wsUrl, ana.token);
    const anaEvents = subscribeEvents(anaSocket.client);
    await anaEvents.ready();

    (raw as unknown as { _socket: { pause(): void } })._socket.pause();
    // 30 MB of typing signals in the group (ephemeral events, as `messages.typing` publishes),
    // a few at a time so that Ana, who reads, keeps up.
    const count = 300;
    const filler = 'x'.repeat(100_000);
    for (let i = 0; i < count; i++) {
      await deps.bus.publish({
        groupId: group.id,
        type: 'typing',
        userId: ana.id,
        payload: { groupId: group.id, userId: ana.id, n: i, filler },
        createdAt: new Date().toISOString(),
      });
      if (i % 4 === 3) await new Promise((r) => setTimeout(r, 5));
    }
    await anaEvents.until((events) => ofType(events, 'typing').length === count, 30_000);
    expect(ofType(anaEvents.received, 'resync')).toEqual([]);

    (raw as unknown as { _socket: { resume(): void } })._socket.resume();
    await until(
      () => frames.some((f) => f.id === 1 && f.result?.type === 'stopped'),
      "the server to stop ben's stream",
    );
    const typing = dataOf('typing').length;
    expect(typing).toBeGreaterThan(0);
    expect(typing).toBeLessThan(count);
    const [resync, ...more] = dataOf('resync');
    expect(more).toEqual([]);
    expect(resync?.result?.data?.data.payload.reason).toBe('too-far-behind');
    // Resync is the last data frame, then the stream stops; the socket stays open for a new one.
    const last = frames.findLastIndex((f) => f.result?.type === 'data');
    expect(frames[last]).toBe(resync);
    expect(frames[last + 1]?.result?.type).toBe('stopped');
    expect(raw.readyState).toBe(WebSocket.OPEN);

    raw.close();
    anaSocket.close();
  }, 60_000);

  it('in process, a stream left unread for more than 5,000 events is told to resync and ends', async () => {
    const cy = await signUp(deps, 'cy');
    const dee = await signUp(deps, 'dee');
    await befriend(cy, dee);
    const group = await cy.api.groups.create({ name: 'Unread', memberIds: [dee.id] });
    const stream = (await dee.api.sync.events({})) as AsyncIterable<[string, SyncEvent]>;
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.[1].type).toBe('ready');
    const count = 5_100;
    for (let i = 0; i < count; i++) {
      await deps.bus.publish({
        groupId: group.id,
        type: 'typing',
        userId: cy.id,
        payload: { groupId: group.id, userId: cy.id, n: i },
        createdAt: new Date().toISOString(),
      });
    }
    const types: string[] = [];
    // Everything is queued: each read answers at once, and the stream must end by itself.
    const read = () =>
      Promise.race([
        iterator.next(),
        new Promise<'waiting'>((resolve) => setTimeout(() => resolve('waiting'), 2000)),
      ]);
    for (let next = await read(); next !== 'waiting' && !next.done; next = await read())
      types.push(next.value[1].type);
    expect(types.length).toBeLessThan(count);
    expect(types.filter((t) => t === 'typing').length).toBe(5_000);
    expect(types.at(-1)).toBe('resync');
  });
});
