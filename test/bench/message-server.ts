/**
 * Child process of the message benchmark (test/bench/messages.ts): runs one server and answers
 * the driver over IPC. Two kinds:
 *  - `kith`: the real server (`startServer`) on PGlite or PostgreSQL, with the in-process or the
 *    Redis bus, wired like server/main.ts; optionally seeds the users and groups first.
 *  - `baseline`: a bare `ws` server that speaks just enough of tRPC's WebSocket wire format for
 *    the same @trpc/client driver to use it, and broadcasts each sent message to the other members
 *    of the sender's group: no auth, no storage, no ordering.
 *  - `socketio`: the plain stack people build by hand: Socket.IO rooms (one per group), and with
 *    `databaseUrl` one `pg` insert per message (a pool of 8) before the broadcast and the ack.
 * Servers run in their own process so the driver's 256+ clients do not share their event loop.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import pino from 'pino';
import { Server as SocketIoServer } from 'socket.io';
import { type WebSocket, WebSocketServer } from 'ws';
import { startServer } from '../../server/app';
import { hashPassword, hashToken, newToken } from '../../server/auth/password';
import { type Bus, createMemoryBus, createRedisBus } from '../../server/bus';
import { busChannel, type Database, openDatabase } from '../../server/db/client';
import { friendships, sessions, users } from '../../server/db/schema';
import type { Deps } from '../../server/deps';
import { EventHub } from '../../server/sync/hub';
import { callerFor, makeDeps } from '../fixtures/deps';

export type ServerSpec =
  | {
      kind: 'kith';
      /** PostgreSQL URL; absent means in-memory PGlite inside this process. */
      databaseUrl?: string;
      redisUrl?: string;
      /** Seed this many users in groups of `groupSize` before listening. */
      seed?: { users: number; groupSize: number };
    }
  | { kind: 'baseline' }
  | {
      kind: 'socketio';
      /** PostgreSQL URL: store each message with one insert before broadcasting it. */
      databaseUrl?: string;
    };

export interface SeededUser {
  id: string;
  handle: string;
  token: string;
  groupId: string;
}

/** Messages from the server process to the driver. */
export type ServerReply =
  | { type: 'ready'; wsUrl: string; users?: SeededUser[]; seedMs?: number }
  | {
      type: 'usage';
      id: number;
      cpuUserMs: number;
      cpuSystemMs: number;
      loopDelayMs: { p50: number; p99: number; max: number };
      rssMb: number;
      /** JavaScript heap in use (after a full collection when the request asked for one). */
      heapMb: number;
    }
  | { type: 'closed'; stored?: { messages: number; events: number } }
  | { type: 'failed'; error: string };

/** Messages from the driver to the server process. */
export type ServerRequest = { type: 'usage'; id: number; gc?: boolean } | { type: 'close' };

const reply = (message: ServerReply) => process.send?.(message);

/**
 * Users, sessions and friendships by direct SQL (one scrypt hash shared by all, so seeding 1,000
 * users takes a second, not minutes), then each group through the real `groups.create`, which
 * checks friendships and stores the member events like any group made from the extension.
 */
async function seed(deps: Deps, count: number, groupSize: number): Promise<SeededUser[]> {
  const passwordHash = await hashPassword('bench password, not secret');
  const run = randomBytes(3).toString('hex');
  const made: { id: string; handle: string; token: string }[] = [];
  for (let from = 0; from < count; from += 500) {
    const batch = Array.from({ length: Math.min(500, count - from) }, (_, i) => ({
      handle: `b${run}_${from + i}`,
      displayName: `Bench ${from + i}`,
      passwordHash,
    }));
    const rows = await deps.db
      .insert(users)
      .values(batch)
      .returning({ id: users.id, handle: users.handle });
    const tokens = rows.map(() => newToken());
    const expiresAt = new Date(Date.now() + 24 * 3600 * 1000);
    await deps.db
      .insert(sessions)
      .values(rows.map((r, i) => ({ tokenHash: hashToken(tokens[i]!), userId: r.id, expiresAt })));
    rows.forEach((r, i) => {
      made.push({ ...r, token: tokens[i]! });
    });
  }
  const out: SeededUser[] = [];
  for (let start = 0; start < count; start += groupSize) {
    const members = made.slice(start, start + groupSize);
    const [owner, ...rest] = members;
    if (!owner) break;
    if (rest.length > 0) {
      await deps.db.insert(friendships).values(
        rest.flatMap((m) => [
          { userId: owner.id, friendId: m.id },
          { userId: m.id, friendId: owner.id },
        ]),
      );
    }
    const api = await callerFor(deps, owner.token);
    const group = await api.groups.create({
      name: `Bench group ${start / groupSize + 1}`,
      memberIds: rest.map((m) => m.id),
    });
    for (const m of members) out.push({ ...m, groupId: group.id });
  }
  return out;
}

const loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();
let lastCpu = process.cpuUsage();

function usage(id: number, gc: boolean): ServerReply {
  // Run with --expose-gc: memory figures after a full collection are comparable between runs.
  if (gc) (globalThis as { gc?: () => void }).gc?.();
  const cpu = process.cpuUsage(lastCpu);
  lastCpu = process.cpuUsage();
  const ms = (ns: number) => (Number.isFinite(ns) ? ns / 1e6 : 0);
  const result: ServerReply = {
    type: 'usage',
    id,
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    loopDelayMs: {
      p50: ms(loop.percentile(50)),
      p99: ms(loop.percentile(99)),
      max: ms(loop.max),
    },
    rssMb: process.memoryUsage.rss() / 2 ** 20,
    heapMb: process.memoryUsage().heapUsed / 2 ** 20,
  };
  loop.reset();
  return result;
}

async function startKith(spec: Extract<ServerSpec, { kind: 'kith' }>) {
  const log = pino({ level: 'warn' }, pino.destination(2));
  const database: Database = await openDatabase(spec.databaseUrl ? { url: spec.databaseUrl } : {});
  const bus: Bus = spec.redisUrl
    ? createRedisBus(spec.redisUrl, {
        channel: await busChannel(database.db),
        onError: (err) => log.warn({ err: err.message }, 'redis bus error'),
      })
    : createMemoryBus();
  const deps = makeDeps(database.db, {
    bus,
    limits: { sends: 1e9, socketsPerUser: 1e6, socketsPerAddress: 1e6, connectionsPerAddress: 1e6 },
  });
  // As server/main.ts builds it (makeDeps polls every 200 ms and logs nothing, for tests).
  deps.hub = new EventHub({ db: database.db, bus, log });
  deps.log = log;
  await deps.hub.start();
  const seedStart = performance.now();
  const seeded = spec.seed ? await seed(deps, spec.seed.users, spec.seed.groupSize) : undefined;
  const seedMs = performance.now() - seedStart;
  const running = await startServer(deps, { port: 0, host: '127.0.0.1' });
  return {
    ready: { type: 'ready', wsUrl: running.wsUrl, users: seeded, seedMs } as ServerReply,
    async close(): Promise<ServerReply> {
      await running.close();
      deps.hub.stop();
      const [counts] = await database.db
        .execute<{ messages: number; events: number }>(
          sql`select (select count(*)::int from messages) as messages,
                     (select count(*)::int from events) as events`,
        )
        .then((r) => r.rows);
      await bus.close();
      await database.close();
      return { type: 'closed', stored: counts };
    },
  };
}

interface Conn {
  ws: WebSocket;
  userId: string;
  groupId: string;
  subscriptionId: number | null;
}

interface WireRequest {
  id: number;
  method: string;
  params?: { path?: string; input?: { groupId?: string; clientId?: string; body?: string } };
}

async function startBaseline() {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 256 * 1024 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const groups = new Map<string, Set<Conn>>();
  let eventId = 0;
  let seq = 0;
  wss.on('connection', (ws, req) => {
    const query = new URL(req.url ?? '/', 'http://local').searchParams;
    const conn: Conn = {
      ws,
      userId: query.get('user') ?? randomUUID(),
      groupId: query.get('group') ?? 'none',
      subscriptionId: null,
    };
    const members = groups.get(conn.groupId) ?? new Set<Conn>();
    groups.set(conn.groupId, members);
    ws.on('close', () => members.delete(conn));
    ws.on('message', (data) => {
      const text = data.toString();
      if (text === 'PING') return ws.send('PONG');
      if (text === 'PONG') return;
      let parsed: WireRequest | WireRequest[];
      try {
        parsed = JSON.parse(text);
      } catch {
        return;
      }
      for (const request of Array.isArray(parsed) ? parsed : [parsed]) {
        if (request.method === 'subscription') {
          conn.subscriptionId = request.id;
          members.add(conn);
          ws.send(JSON.stringify({ id: request.id, result: { type: 'started' } }));
        } else if (request.method === 'subscription.stop') {
          members.delete(conn);
          ws.send(JSON.stringify({ id: request.id, result: { type: 'stopped' } }));
        } else if (request.method === 'mutation') {
          const input = request.params?.input ?? {};
          const createdAt = new Date().toISOString();
          seq += 1;
          eventId += 1;
          // The same shape (and so about the same size) as Kith's message view and tracked event.
          const view = {
            id: randomUUID(),
            groupId: input.groupId ?? conn.groupId,
            seq,
            clientId: input.clientId ?? '',
            kind: 'text',
            sender: { id: conn.userId, handle: 'bench_user_0000', displayName: 'Bench 0000' },
            body: input.body ?? null,
            clip: null,
            atSeconds: null,
            productId: null,
            replyTo: null,
            createdAt,
            editedAt: null,
            deletedAt: null,
            reactions: [],
          };
          const event = JSON.stringify({
            id: eventId,
            type: 'message.created',
            groupId: view.groupId,
            userId: null,
            payload: view,
            createdAt,
          });
          for (const other of members) {
            if (other === conn || other.subscriptionId === null) continue;
            other.ws.send(
              `{"id":${other.subscriptionId},"result":{"type":"data","id":"${eventId}","data":{"id":"${eventId}","data":${event}}}}`,
            );
          }
          ws.send(JSON.stringify({ id: request.id, result: { type: 'data', data: view } }));
        }
        // connectionParams and anything else: nothing to do, there is no auth.
      }
    });
  });
  const { port } = wss.address() as AddressInfo;
  return {
    ready: { type: 'ready', wsUrl: `ws://127.0.0.1:${port}/` } as ServerReply,
    async close(): Promise<ServerReply> {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      return { type: 'closed' };
    },
  };
}

/** What a Socket.IO client sends: the same fields as Kith's `messages.send`. */
interface SocketIoSend {
  groupId?: string;
  clientId?: string;
  body?: string;
}

async function startSocketIo(spec: Extract<ServerSpec, { kind: 'socketio' }>) {
  let pool: pg.Pool | null = null;
  if (spec.databaseUrl) {
    pool = new pg.Pool({ connectionString: spec.databaseUrl, max: 8 });
    pool.on('error', () => {});
    // A table like Kith's messages: a generated id, the group, sender, clientId (unique per
    // sender, for retries) and body, and an index to read a group's thread in order.
    await pool.query(`create table if not exists bench_messages (
      id bigserial primary key,
      group_id uuid not null,
      sender_id uuid not null,
      client_id text not null,
      body text,
      created_at timestamptz not null default now(),
      unique (sender_id, client_id))`);
    await pool.query(
      'create index if not exists bench_messages_group on bench_messages (group_id, id)',
    );
  }
  const io = new SocketIoServer({ transports: ['websocket'], serveClient: false });
  io.on('connection', (socket) => {
    const query = socket.handshake.query;
    const userId = typeof query.user === 'string' ? query.user : randomUUID();
    const groupId = typeof query.group === 'string' ? query.group : 'none';
    void socket.join(groupId);
    socket.on('send', async (input: SocketIoSend, ack?: (reply: unknown) => void) => {
      const createdAt = new Date().toISOString();
      let id: string = randomUUID();
      let seq = 0;
      if (pool) {
        try {
          const { rows } = await pool.query<{ id: string }>({
            name: 'bench-insert',
            text: `insert into bench_messages (group_id, sender_id, client_id, body)
                   values ($1, $2, $3, $4) returning id`,
            values: [groupId, userId, input.clientId ?? '', input.body ?? null],
          });
          id = rows[0]!.id;
          seq = Number(id);
        } catch (error) {
          ack?.({ error: error instanceof Error ? error.message : String(error) });
          return;
        }
      }
      // The same shape as Kith's message view and sync event, as the bare `ws` baseline sends.
      const view = {
        id,
        groupId,
        seq,
        clientId: input.clientId ?? '',
        kind: 'text',
        sender: { id: userId, handle: 'bench_user_0000', displayName: 'Bench 0000' },
        body: input.body ?? null,
        clip: null,
        atSeconds: null,
        productId: null,
        replyTo: null,
        createdAt,
        editedAt: null,
        deletedAt: null,
        reactions: [],
      };
      socket.to(groupId).emit('event', {
        id: seq,
        type: 'message.created',
        groupId,
        userId: null,
        payload: view,
        createdAt,
      });
      ack?.({ data: view });
    });
  });
  const { createServer } = await import('node:http');
  const http = createServer();
  io.attach(http);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
  const { port } = http.address() as AddressInfo;
  return {
    ready: { type: 'ready', wsUrl: `http://127.0.0.1:${port}` } as ServerReply,
    async close(): Promise<ServerReply> {
      io.disconnectSockets(true);
      await new Promise<void>((resolve) => io.close(() => resolve()));
      let stored: { messages: number; events: number } | undefined;
      if (pool) {
        const { rows } = await pool.query<{ n: number }>(
          'select count(*)::int as n from bench_messages',
        );
        stored = { messages: rows[0]?.n ?? 0, events: 0 };
        await pool.end();
      }
      return { type: 'closed', stored };
    },
  };
}

async function main() {
  const spec = JSON.parse(process.argv[2] ?? '{}') as ServerSpec;
  const server =
    spec.kind === 'baseline'
      ? await startBaseline()
      : spec.kind === 'socketio'
        ? await startSocketIo(spec)
        : await startKith(spec);
  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      const result = await server.close().catch(
        (error: unknown): ServerReply => ({
          type: 'failed',
          error: error instanceof Error ? error.message : String(error),
        }),
      );
      reply(result);
      process.disconnect?.();
      // Anything still holding the loop open (a stray timer) must not keep the process alive.
      setTimeout(() => process.exit(0), 2000).unref();
    })();
    return closing;
  };
  process.on('message', (message: ServerRequest) => {
    if (message.type === 'usage') reply(usage(message.id, message.gc === true));
    else if (message.type === 'close') void close();
  });
  // The driver went away without saying goodbye: shut down rather than linger.
  process.on('disconnect', () => void close());
  reply(server.ready);
}

main().catch((error) => {
  reply({
    type: 'failed',
    error: error instanceof Error ? (error.stack ?? error.message) : String(error),
  });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 500).unref();
});
