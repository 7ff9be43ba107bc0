import { randomUUID } from 'node:crypto';
import { TRPCClientError } from '@trpc/client';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendOutboxItem } from '../../../extension/background/outbox';
import { describeError } from '../../../extension/background/socket';
import type { OutboxItem } from '../../../extension/lib/protocol';
import { Outbox } from '../../../extension/store/outbox';
import type { RunningServer } from '../../../server/app';
import type { Deps } from '../../../server/deps';
import { BUSY_MESSAGE, type SendBatcher, sendBatcher } from '../../../server/messages/batch';
import { engines, openTestDatabase, type TestDatabase } from '../../fixtures/db';
import { befriend, makeDeps, signUp, type TestUser } from '../../fixtures/deps';
import { socketClient, startLive } from '../../fixtures/live';
import { newProfile, openDb, sleep } from './harness';

/** A small queue and a short wait, so a flood from one test process is far past capacity. */
const SEND_QUEUE = 40;
const SEND_WAIT_MS = 1000;
/**
 * Sends each flooding member keeps in flight: 7 × 60, against at most 40 waiting and one batch
 * of 128 (the sends are all to one group, and a group has one batch in flight at a time).
 */
const IN_FLIGHT = 60;
/**
 * The longest any send may wait for its answer: its time in the queue, then one batch, whose two
 * statements the database's 5 s statement timeout bounds, on a machine other work also loads.
 */
const ANSWER_BOUND_MS = SEND_WAIT_MS + 12_000;

// PostgreSQL when there is one (batches then run side by side on several connections).
const engine = engines.includes('postgres') ? 'postgres' : 'pglite';

describe(`one instance flooded with sends far past its capacity (${engine})`, () => {
  let database: TestDatabase;
  let deps: Deps;
  let server: RunningServer;
  let batcher: SendBatcher;
  let ana: TestUser;
  let others: TestUser[];
  let groupId: string;

  beforeAll(async () => {
    database = await openTestDatabase(engine);
    deps = makeDeps(database.db, {
      // The WebSocket client sends the calls of one tick as one message: 60 at once here.
      limits: { sendQueue: SEND_QUEUE, sendWaitMs: SEND_WAIT_MS, batchCalls: 1000 },
    });
    server = await startLive(deps);
    ana = await signUp(deps, 'ana');
    others = [];
    for (let i = 0; i < 7; i++) {
      const friend = await signUp(deps, `flood${i}`);
      await befriend(ana, friend);
      others.push(friend);
    }
    const group = await ana.api.groups.create({
      name: 'Flooded',
      memberIds: others.map((u) => u.id),
    });
    groupId = group.id;
    // The first send makes this process's batcher, with the limits above.
    await ana.api.messages.send({ groupId, clientId: `warm-${randomUUID()}`, body: 'hello' });
    batcher = sendBatcher(deps);
  });
  afterAll(async () => {
    await server?.close();
    deps?.hub.stop();
    await database?.close();
  });

  it('refuses what it cannot take at once with a retry hint, keeps its queue bounded, stores every acknowledged send once, and the outbox sends the refused ones later', async () => {
    const sockets = others.map((u) => socketClient(server.wsUrl, u.token));
    const anaSocket = socketClient(server.wsUrl, ana.token);
    let maxQueued = 0;
    const sampler = setInterval(() => {
      maxQueued = Math.max(maxQueued, batcher.queued);
    }, 1);
    const acked: string[] = [];
    const refused: string[] = [];
    /** Sends whose socket dropped before the answer came (no code): stored once or not at all. */
    const lost: string[] = [];
    const errors = new Map<string, number>();
    let slowest = 0;
    let flooding = true;

    // Seven members each keep IN_FLIGHT sends going over their WebSocket until told to stop.
    const flood = sockets.flatMap((socket, s) =>
      Array.from({ length: IN_FLIGHT }, async (_, lane) => {
        for (let k = 0; flooding; k++) {
          const clientId = `f${s}-${lane}-${k}-${randomUUID().slice(0, 8)}`;
          const t0 = performance.now();
          try {
            await socket.client.messages.send.mutate({ groupId, clientId, body: `flood ${k}` });
            acked.push(clientId);
          } catch (error) {
            const code =
              error instanceof TRPCClientError
                ? String((error.data as { code?: string } | undefined)?.code)
                : String(error);
            errors.set(code, (errors.get(code) ?? 0) + 1);
            if (code === 'TOO_MANY_REQUESTS') {
              refused.push(clientId);
              expect((error as Error).message).toBe(BUSY_MESSAGE);
            } else lost.push(clientId);
          }
          slowest = Math.max(slowest, performance.now() - t0);
        }
      }),
    );

    // Meanwhile Ana writes through the extension's outbox over her own WebSocket.
    const net = { codes: [] as string[] };
    const outbox = new Outbox({
      db: openDb(newProfile()),
      account: () => ({ userId: ana.id, serverUrl: server.url }),
      attemptTimeoutMs: 30_000,
      send: async (item: OutboxItem, signal: AbortSignal) => {
        try {
          return await sendOutboxItem(anaSocket.client, item, signal);
        } catch (error) {
          const described = describeError(error, server.url);
          net.codes.push(described.code);
          throw described;
        }
      },
    });
    // Once the instance is refusing sends.
    const started = Date.now();
    while (batcher.stats.refused === 0 && Date.now() - started < 30_000) await sleep(5);
    expect(batcher.stats.refused).toBeGreaterThan(0);
    const drafts = Array.from({ length: 12 }, (_, i) => ({
      kind: 'message' as const,
      groupId,
      body: `from the outbox ${i}`,
    }));
    const queued = [];
    for (const draft of drafts) queued.push(await outbox.enqueue(draft, 20));
    // The alarm flushes the outbox now and then, while the flood goes on, until one of its
    // sends has been refused for the overload (or 30 s have passed).
    while (!net.codes.includes('TOO_MANY_REQUESTS') && Date.now() - started < 30_000) {
      await outbox.flush();
      await sleep(20);
    }
    flooding = false;
    await Promise.all(flood);
    clearInterval(sampler);

    // 1. Past capacity, sends were refused at once with a retryable code and a retry hint;
    //    every send got an answer within a fixed time.
    expect(refused.length).toBeGreaterThan(0);
    expect(acked.length).toBeGreaterThan(0);
    // Refused for the overload, or (a machine this loaded may miss a heartbeat) a socket that
    // dropped before the answer came: both are sent again later. Nothing else.
    expect(errors.get('TOO_MANY_REQUESTS')).toBeGreaterThan(0);
    expect(
      [...errors.keys()].filter((c) => c !== 'TOO_MANY_REQUESTS' && c !== 'undefined'),
    ).toEqual([]);
    expect(slowest).toBeLessThan(ANSWER_BOUND_MS);
    expect(net.codes).toContain('TOO_MANY_REQUESTS');

    // 2. Memory bounded: never more sends waiting than the queue holds.
    expect(maxQueued).toBeGreaterThan(0);
    expect(maxQueued).toBeLessThanOrEqual(SEND_QUEUE);

    // 3. The outbox kept the refused items and sends them once the flood is over.
    for (let i = 0; i < 20 && (await outbox.pendingCount()) > 0; i++) {
      await outbox.flush();
      await sleep(50);
    }
    expect(await outbox.pendingCount()).toBe(0);

    // Nothing acknowledged lost or doubled; nothing refused stored; seqs without a hole.
    const rows = (
      await database.db.execute<{ client_id: string; seq: number }>(
        sql`select client_id, seq from messages where group_id = ${groupId} order by seq`,
      )
    ).rows;
    const stored = new Map<string, number>();
    for (const r of rows) stored.set(r.client_id, (stored.get(r.client_id) ?? 0) + 1);
    for (const id of acked) expect(stored.get(id), id).toBe(1);
    for (const id of refused) expect(stored.has(id), id).toBe(false);
    for (const { clientId } of queued) expect(stored.get(clientId), clientId).toBe(1);
    let lostStored = 0;
    for (const id of lost) {
      expect(stored.get(id) ?? 0, id).toBeLessThanOrEqual(1);
      lostStored += stored.get(id) ?? 0;
    }
    expect(rows.length).toBe(1 + acked.length + queued.length + lostStored);
    expect(rows.map((r) => Number(r.seq))).toEqual(rows.map((_, i) => i + 1));
    // One event per stored message, for the members' streams to replay.
    const events = await database.db.execute<{ n: number }>(
      sql`select count(*)::int as n from events where group_id = ${groupId} and type = 'message.created'`,
    );
    expect(Number(events.rows[0]?.n)).toBe(rows.length);

    for (const socket of [...sockets, anaSocket]) await socket.close();
  }, 180_000);
});
