/**
 * Message benchmark: many WebSocket clients on loopback in 32-member groups send messages at a
 * fixed rate and then flat out; every copy's send→deliver latency is measured in this process
 * (one clock), for Kith on PGlite, on PostgreSQL, and on two instances behind Redis, next to a
 * bare `ws` broadcast baseline driven by the very same client code in the same run, and next to
 * the stack people build by hand: Socket.IO rooms, without storage and with one `pg` insert per
 * message before the broadcast (same sockets, groups and schedule; socket.io-client drives them).
 *
 *   npm run bench -- messages [--users 256] [--seconds 10] [--rate 1] [--flat-seconds 5] [--flat-count 1000]
 *                             [--body 80] [--variants baseline,socketio,socketio-pg,pglite,postgres,redis] [--profile]
 *
 * PostgreSQL variants need TEST_DATABASE_URL (a database is created and dropped); the Redis
 * variant needs it and REDIS_URL. Figures go to bench-results/messages.json.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import { sql } from 'drizzle-orm';
import { io as socketIo } from 'socket.io-client';
import WebSocket from 'ws';
import type { AppRouter } from '../../server/router';
import type { SyncEvent } from '../../server/sync/event-stream';
import { openTestDatabase, type TestDatabase } from '../fixtures/db';
import type { SeededUser, ServerReply, ServerRequest, ServerSpec } from './message-server';

const VARIANT_NAMES = [
  'baseline',
  'socketio',
  'socketio-pg',
  'pglite',
  'postgres',
  'redis',
] as const;
type VariantName = (typeof VARIANT_NAMES)[number];

const LABELS: Record<VariantName, string> = {
  baseline: 'baseline: bare ws broadcast',
  socketio: 'Socket.IO rooms, nothing stored',
  'socketio-pg': 'Socket.IO rooms + pg insert (pool 8)',
  pglite: 'Kith, PGlite, 1 instance',
  postgres: 'Kith, PostgreSQL, 1 instance',
  redis: 'Kith, PostgreSQL + Redis, 2 instances',
};

export interface MessageBenchOptions {
  users: number;
  seconds: number;
  /** Messages per second per user in the fixed-rate phase. */
  rate: number;
  flatSeconds: number;
  flatCount: number;
  bodyChars: number;
  groupSize: number;
  variants: VariantName[];
  profile: boolean;
}

const USAGE = `usage: npm run bench -- messages [--users N] [--seconds N] [--rate R] [--flat-seconds N]
       [--flat-count N] [--body N] [--variants ${VARIANT_NAMES.join(',')}] [--profile]`;

export function parseOptions(argv: string[]): MessageBenchOptions {
  const options: MessageBenchOptions = {
    users: 256,
    seconds: 10,
    rate: 1,
    flatSeconds: 5,
    flatCount: 1000,
    bodyChars: 80,
    groupSize: 32,
    variants: [...VARIANT_NAMES],
    profile: false,
  };
  const ints: Record<string, [keyof MessageBenchOptions, number, number]> = {
    '--users': ['users', 2, 5000],
    '--seconds': ['seconds', 1, 120],
    '--flat-seconds': ['flatSeconds', 1, 60],
    '--flat-count': ['flatCount', 1, 100_000],
    '--body': ['bodyChars', 1, 4000],
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag = '', inline] = argv[i]!.split(/=(.*)/s, 2);
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    if (flag === '--profile') options.profile = true;
    else if (flag === '--rate') {
      const n = Number(value());
      if (!(n >= 0.01 && n <= 100)) throw new Error(`--rate must be from 0.01 to 100\n${USAGE}`);
      options.rate = n;
    } else if (flag === '--variants') {
      const names = value()
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean);
      const unknown = names.filter((n) => !VARIANT_NAMES.includes(n as VariantName));
      if (unknown.length || names.length === 0)
        throw new Error(`unknown variant ${unknown.join(', ') || '(none)'}\n${USAGE}`);
      options.variants = VARIANT_NAMES.filter((n) => names.includes(n));
    } else if (ints[flag]) {
      const [key, min, max] = ints[flag]!;
      const n = Number(value());
      if (!Number.isInteger(n) || n < min || n > max)
        throw new Error(`${flag} must be a whole number from ${min} to ${max}\n${USAGE}`);
      (options[key] as number) = n;
    } else throw new Error(`unknown option ${argv[i]}\n${USAGE}`);
  }
  return options;
}

// ---------------------------------------------------------------------------------------------
// Server processes

const serverEntry = fileURLToPath(new URL('./message-server.ts', import.meta.url));
const resultsDir = fileURLToPath(new URL('../../bench-results/', import.meta.url));

type Usage = Extract<ServerReply, { type: 'usage' }>;
type Ready = Extract<ServerReply, { type: 'ready' }>;

class ServerProcess {
  readonly child: ChildProcess;
  readonly ready: Promise<Ready>;
  private readonly waiting = new Map<number, (u: Usage) => void>();
  private closed: ((r: ServerReply) => void) | null = null;
  private nextId = 0;
  private printed = 0;
  readonly exited: Promise<void>;

  constructor(
    readonly label: string,
    spec: ServerSpec,
    profileDir?: string,
  ) {
    const execArgv = ['--import', 'tsx', '--expose-gc'];
    if (profileDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`);
    this.child = fork(serverEntry, [JSON.stringify(spec)], {
      execArgv,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      let rest = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) this.print(line);
      });
    }
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    this.ready = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${label}: not ready after 120 s`)), 120_000);
      this.child.on('message', (message: ServerReply) => {
        if (message.type === 'ready') {
          clearTimeout(timer);
          resolve(message);
        } else if (message.type === 'failed') {
          clearTimeout(timer);
          reject(new Error(`${label}: ${message.error}`));
          this.closed?.(message);
        } else if (message.type === 'usage') {
          this.waiting.get(message.id)?.(message);
          this.waiting.delete(message.id);
        } else if (message.type === 'closed') this.closed?.(message);
      });
      this.child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${label}: server process exited (${code}) before it was ready`));
      });
    });
  }

  private print(line: string) {
    if (!line.trim()) return;
    this.printed += 1;
    if (this.printed <= 20) console.log(`      [${this.label}] ${line.slice(0, 300)}`);
    else if (this.printed === 21) console.log(`      [${this.label}] (further output not shown)`);
  }

  private request(message: ServerRequest) {
    if (this.child.connected) this.child.send(message);
  }

  usage(gc = false): Promise<Usage | null> {
    if (!this.child.connected) return Promise.resolve(null);
    const id = ++this.nextId;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(null);
        // A saturated server answers late (PGlite blocks its event loop for each query).
      }, 60_000);
      this.waiting.set(id, (u) => {
        clearTimeout(timer);
        resolve(u);
      });
      this.request({ type: 'usage', id, gc });
    });
  }

  /** Asks the server to close (it closes sockets, server, bus and database), then waits for exit. */
  async close(): Promise<ServerReply | null> {
    if (this.child.exitCode !== null || !this.child.connected) {
      await Promise.race([this.exited, sleep(2000)]);
      if (this.child.exitCode === null) this.child.kill('SIGKILL');
      return null;
    }
    const closed = new Promise<ServerReply>((resolve) => {
      this.closed = resolve;
    });
    this.request({ type: 'close' });
    const result = await Promise.race([closed, sleep(15_000).then(() => null)]);
    const exited = await Promise.race([
      this.exited.then(() => true),
      sleep(5000).then(() => false),
    ]);
    if (!exited) this.child.kill('SIGKILL');
    return result;
  }
}

// ---------------------------------------------------------------------------------------------
// Clients and measurement

/** The fixed-rate phase stops early once this many seconds' worth of sends wait for an ack. */
const OVERLOAD_SECONDS = 5;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Counts what arrives on every client socket (frames and bytes). */
const wire = { frames: 0, bytes: 0 };
class CountingWebSocket extends WebSocket {
  constructor(address: string, protocols?: string | string[]) {
    super(address, protocols);
    this.on('message', (data: Buffer) => {
      wire.frames += 1;
      wire.bytes += data.length;
    });
  }
}

interface Client {
  index: number;
  user: SeededUser;
  group: number;
  member: number;
  peers: number;
  /** `messages.send` (or the peer's equivalent): resolves on the ack, rejects on an error. */
  sendMessage: (input: { groupId: string; clientId: string; body: string }) => Promise<unknown>;
  close: () => Promise<void>;
  started: boolean;
  sent: number;
  unsubscribe: () => void;
}

interface SentMessage {
  phase: Phase;
  t0: number;
  group: number;
  peers: number;
  /** One bit per receiving member (by index in the group). */
  mask: number;
  copies: number;
  acked: boolean;
  failed: boolean;
}

class Phase {
  start = 0;
  end = 0;
  lastDelivery = 0;
  lastAck = 0;
  inflight = 0;
  sent = 0;
  acked = 0;
  failed = 0;
  expected = 0;
  delivered = 0;
  duplicates = 0;
  misrouted = 0;
  ownCopies = 0;
  /** Set when the fixed-rate phase stopped early because the server fell too far behind. */
  overloadedAfter: number | null = null;
  readonly messages: SentMessage[] = [];
  readonly latencies: number[] = [];
  readonly acks: number[] = [];
  readonly lag: number[] = [];
  readonly errors = new Map<string, number>();
  constructor(readonly name: string) {}
}

interface Summary {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

function summarize(values: number[]): Summary {
  if (values.length === 0) return { p50: 0, p95: 0, p99: 0, max: 0, mean: 0 };
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  let sum = 0;
  for (const v of sorted) sum += v;
  const r = (v: number) => Math.round(v * 100) / 100;
  return {
    p50: r(at(0.5)),
    p95: r(at(0.95)),
    p99: r(at(0.99)),
    max: r(sorted[sorted.length - 1]!),
    mean: r(sum / sorted.length),
  };
}

export interface PhaseResult {
  phase: string;
  /** Seconds from the first send to the last send. */
  sendWindowSeconds: number;
  sent: number;
  acked: number;
  failed: number;
  /** Sends with neither ack nor error when the phase was measured. */
  unanswered: number;
  /** Seconds into the fixed-rate phase when it stopped because the server fell behind. */
  overloadedAfterSeconds: number | null;
  errors: Record<string, number>;
  /** Copies owed to receivers: each acked message × (its group's members − 1). */
  expected: number;
  delivered: number;
  missing: number;
  duplicates: number;
  misrouted: number;
  /** Copies of failed (unacknowledged) sends that were delivered anyway. */
  deliveredUnacked: number;
  /** Acked sends per second, from the first send to the last ack. */
  ackedPerSecond: number;
  /** Delivered copies per second, from the first send to the last delivery. */
  deliveredPerSecond: number;
  latencyMs: Summary;
  ackMs: Summary;
  /** How late the driver issued fixed-rate sends against their schedule (driver health). */
  scheduleLagMs: Summary | null;
  cpu: {
    machinePercent: number;
    driverPercent: number;
    servers: {
      label: string;
      cpuPercent: number | null;
      loopDelayP99Ms: number | null;
      rssMb: number | null;
    }[];
    /** PostgreSQL backends serving this run's database (local server only; null if unknown). */
    postgresPercent: number | null;
    /**
     * CPU time the system under test (server processes plus PostgreSQL backends) spent per acked
     * message: a figure other load on the machine distorts far less than latency.
     */
    cpuMsPerMessage: number | null;
  };
  wire: { frames: number; bytes: number; bytesPerFrame: number };
}

interface VariantResult {
  variant: VariantName;
  label: string;
  instances: number;
  users: number;
  groups: number;
  setupSeconds: number;
  seedSeconds?: number;
  connectSeconds: number;
  sampleEventBytes: number;
  resyncs: number;
  subscriptionErrors: number;
  /** 1-minute load average when the variant started: other work on the machine skews figures. */
  loadAverage: number;
  /** Each server's memory with every client connected, and its growth per connected socket. */
  memory: {
    label: string;
    sockets: number;
    rssMb: number | null;
    rssKbPerSocket: number | null;
    heapKbPerSocket: number | null;
  }[];
  phases: PhaseResult[];
  stored?: { messages: number; events: number }[];
}

interface Context {
  options: MessageBenchOptions;
  registry: Map<string, SentMessage>;
  resyncs: number;
  subscriptionErrors: number;
  sampleEventBytes: number;
  /** Sends of any phase still waiting for their ack. */
  inflight: number;
}

function onEvent(ctx: Context, client: Client, event: SyncEvent) {
  if (event.type === 'resync') {
    ctx.resyncs += 1;
    return;
  }
  if (event.type !== 'message.created') return;
  const now = performance.now();
  const payload = event.payload as { clientId?: string; sender?: { id: string } | null };
  const message = payload.clientId ? ctx.registry.get(payload.clientId) : undefined;
  if (!message) return;
  const phase = message.phase;
  if (payload.sender?.id === client.user.id) {
    phase.ownCopies += 1;
    return;
  }
  if (message.group !== client.group) {
    phase.misrouted += 1;
    return;
  }
  const bit = 1 << client.member;
  if (message.mask & bit) {
    phase.duplicates += 1;
    return;
  }
  if (ctx.sampleEventBytes === 0) ctx.sampleEventBytes = JSON.stringify(event).length;
  message.mask |= bit;
  message.copies += 1;
  phase.delivered += 1;
  phase.latencies.push(now - message.t0);
  phase.lastDelivery = now;
}

/**
 * A Socket.IO client for the Socket.IO peers: its user and group in the handshake (no auth, as
 * the peers have none), events on 'event', sends as 'send' with an acknowledgement.
 */
function socketIoClient(
  ctx: Context,
  url: string,
  who: Pick<Client, 'index' | 'user' | 'group' | 'member' | 'peers'>,
): Client {
  const socket = socketIo(url, {
    transports: ['websocket'],
    query: { user: who.user.id, group: who.user.groupId },
    reconnectionDelay: 500,
    forceNew: true,
  });
  const client: Client = {
    ...who,
    started: false,
    sent: 0,
    unsubscribe: () => {},
    sendMessage: (input) =>
      new Promise((resolve, reject) => {
        socket.emit('send', input, (reply: { data?: unknown; error?: string }) => {
          if (reply.error) reject(new Error(reply.error));
          else resolve(reply.data);
        });
      }),
    close: async () => {
      socket.disconnect();
    },
  };
  socket.io.on('open', () => {
    socket.io.engine.on('data', (data: unknown) => {
      wire.frames += 1;
      wire.bytes += typeof data === 'string' ? data.length + 1 : 0;
    });
  });
  socket.on('connect', () => {
    client.started = true;
  });
  socket.on('connect_error', () => {
    ctx.subscriptionErrors += 1;
  });
  socket.on('event', (event: SyncEvent) => onEvent(ctx, client, event));
  return client;
}

function send(ctx: Context, client: Client, phase: Phase): Promise<void> {
  client.sent += 1;
  const clientId = `${phase.name.slice(0, 4)}-${client.index}-${client.sent}`.padEnd(8, '0');
  const message: SentMessage = {
    phase,
    t0: performance.now(),
    group: client.group,
    peers: client.peers,
    mask: 0,
    copies: 0,
    acked: false,
    failed: false,
  };
  ctx.registry.set(clientId, message);
  phase.messages.push(message);
  phase.sent += 1;
  phase.inflight += 1;
  ctx.inflight += 1;
  const body = `${clientId} `.padEnd(ctx.options.bodyChars, 'x').slice(0, ctx.options.bodyChars);
  return client
    .sendMessage({ groupId: client.user.groupId, clientId, body })
    .then(
      () => {
        message.acked = true;
        phase.acked += 1;
        phase.expected += message.peers;
        phase.lastAck = performance.now();
        phase.acks.push(phase.lastAck - message.t0);
      },
      (error: unknown) => {
        message.failed = true;
        phase.failed += 1;
        const text = error instanceof Error ? error.message : String(error);
        phase.errors.set(text, (phase.errors.get(text) ?? 0) + 1);
      },
    )
    .finally(() => {
      phase.inflight -= 1;
      ctx.inflight -= 1;
    });
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ms = (n: number) => (n >= 100 ? fmt(n, 0) : n >= 10 ? fmt(n, 1) : fmt(n, 2));

function progress(label: string, phase: Phase, startedAt: number) {
  const s = (performance.now() - startedAt) / 1000;
  console.log(
    `    ${label.padEnd(6)} ${fmt(s, 0).padStart(3)} s  sent ${fmt(phase.sent)}  acked ${fmt(
      phase.acked,
    )}  failed ${fmt(phase.failed)}  delivered ${fmt(phase.delivered)}/${fmt(phase.expected)}`,
  );
}

/**
 * Waits for every pending ack and every acked message's copies; gives up when nothing moves for
 * 5 s or after 20 s, so an overloaded server cannot hold the run.
 */
async function drain(phase: Phase, label: string) {
  const started = performance.now();
  let last = -1;
  let lastChange = started;
  let lastPrint = started;
  for (;;) {
    const now = performance.now();
    if (phase.inflight === 0 && phase.delivered >= phase.expected) return;
    const moved = phase.delivered + phase.acked + phase.failed;
    if (moved !== last) {
      last = moved;
      lastChange = now;
    }
    if (now - lastChange > 5000 || now - started > 20_000) {
      console.log(
        `    ${label}: stopped waiting after ${fmt((now - started) / 1000, 1)} s: ${fmt(
          phase.inflight,
        )} sends unanswered, ${fmt(phase.expected - phase.delivered)} copies not delivered`,
      );
      return;
    }
    if (now - lastPrint >= 1000) {
      lastPrint = now;
      console.log(
        `    ${label}: draining, ${fmt(phase.inflight)} sends unanswered, ${fmt(
          Math.max(0, phase.expected - phase.delivered),
        )} copies on their way`,
      );
    }
    await sleep(20);
  }
}

/** Lets sends left over from an earlier phase finish before the next one starts (at most 20 s). */
async function settle(ctx: Context) {
  const started = performance.now();
  while (ctx.inflight > 0 && performance.now() - started < 20_000) {
    console.log(`    waiting for ${fmt(ctx.inflight)} earlier sends to be answered first`);
    await sleep(1000);
  }
}

function cpuTimes() {
  let busy = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    const t = cpu.times;
    const all = t.user + t.nice + t.sys + t.idle + t.irq;
    total += all;
    busy += all - t.idle;
  }
  return { busy, total };
}

/** CPU seconds used so far by the PostgreSQL backends serving `database` (Linux, local server). */
async function postgresCpu(database: TestDatabase | null): Promise<Map<number, number> | null> {
  if (!database) return null;
  try {
    const { rows } = await database.db.execute<{ pid: number }>(
      sql`select pid from pg_stat_activity where datname = current_database()`,
    );
    const out = new Map<number, number>();
    for (const { pid } of rows) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        // utime and stime, fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 per s).
        out.set(pid, (Number(fields[11]) + Number(fields[12])) / 100);
      } catch {
        // The backend exited, or PostgreSQL is not local.
      }
    }
    return out.size ? out : null;
  } catch {
    return null;
  }
}

async function measured<T>(
  servers: ServerProcess[],
  database: TestDatabase | null,
  run: () => Promise<T>,
): Promise<{
  value: T;
  wallMs: number;
  /** CPU milliseconds used by the server processes and their PostgreSQL backends (null: unknown). */
  systemCpuMs: number | null;
  cpu: Omit<PhaseResult['cpu'], 'cpuMsPerMessage'>;
  wire: PhaseResult['wire'];
}> {
  await Promise.all(servers.map((s) => s.usage()));
  const pg0 = await postgresCpu(database);
  const machine0 = cpuTimes();
  const driver0 = process.cpuUsage();
  const wire0 = { ...wire };
  const t0 = performance.now();
  const value = await run();
  const wallMs = performance.now() - t0;
  const driver = process.cpuUsage(driver0);
  const machine1 = cpuTimes();
  const usages = await Promise.all(servers.map((s) => s.usage()));
  const pg1 = await postgresCpu(database);
  let pgSeconds: number | null = null;
  if (pg0 && pg1) {
    pgSeconds = 0;
    // Backends that started during the phase count from zero; ones that ended are lost.
    for (const [pid, used] of pg1) pgSeconds += used - (pg0.get(pid) ?? 0);
  }
  const frames = wire.frames - wire0.frames;
  const bytes = wire.bytes - wire0.bytes;
  const serverCpuMs = usages.reduce((sum, u) => sum + (u ? u.cpuUserMs + u.cpuSystemMs : 0), 0);
  return {
    value,
    wallMs,
    systemCpuMs:
      usages.some((u) => !u) || (database && pgSeconds === null)
        ? null
        : serverCpuMs + (pgSeconds ?? 0) * 1000,
    cpu: {
      machinePercent: Math.round(
        (100 * (machine1.busy - machine0.busy)) / Math.max(1, machine1.total - machine0.total),
      ),
      driverPercent: Math.round(((driver.user + driver.system) / 1000 / wallMs) * 100),
      servers: usages.map((u, i) => ({
        label: servers[i]!.label,
        cpuPercent: u ? Math.round(((u.cpuUserMs + u.cpuSystemMs) / wallMs) * 100) : null,
        loopDelayP99Ms: u ? Math.round(u.loopDelayMs.p99 * 10) / 10 : null,
        rssMb: u ? Math.round(u.rssMb) : null,
      })),
      postgresPercent: pgSeconds === null ? null : Math.round((pgSeconds * 1000 * 100) / wallMs),
    },
    wire: { frames, bytes, bytesPerFrame: frames ? Math.round(bytes / frames) : 0 },
  };
}

function result(phase: Phase, m: Awaited<ReturnType<typeof measured>>): PhaseResult {
  let delivered = 0;
  let deliveredUnacked = 0;
  for (const message of phase.messages) {
    if (message.acked) delivered += message.copies;
    else deliveredUnacked += message.copies;
  }
  const window = Math.max(0.001, (phase.end - phase.start) / 1000);
  // Rates run to the last ack or copy, so a server that answers late does not look fast.
  const ackSpan = Math.max(0.001, (Math.max(phase.lastAck, phase.end) - phase.start) / 1000);
  const span = Math.max(0.001, (Math.max(phase.lastDelivery, phase.end) - phase.start) / 1000);
  return {
    phase: phase.name,
    sendWindowSeconds: Math.round(window * 100) / 100,
    sent: phase.sent,
    acked: phase.acked,
    failed: phase.failed,
    unanswered: phase.inflight,
    overloadedAfterSeconds:
      phase.overloadedAfter === null ? null : Math.round(phase.overloadedAfter * 10) / 10,
    errors: Object.fromEntries(phase.errors),
    expected: phase.expected,
    delivered,
    missing: phase.expected - delivered,
    duplicates: phase.duplicates,
    misrouted: phase.misrouted,
    deliveredUnacked,
    ackedPerSecond: Math.round(phase.acked / ackSpan),
    deliveredPerSecond: Math.round(delivered / span),
    latencyMs: summarize(phase.latencies),
    ackMs: summarize(phase.acks),
    scheduleLagMs: phase.lag.length ? summarize(phase.lag) : null,
    cpu: {
      ...m.cpu,
      cpuMsPerMessage:
        m.systemCpuMs === null
          ? null
          : Math.round((m.systemCpuMs / Math.max(1, phase.acked)) * 100) / 100,
    },
    wire: m.wire,
  };
}

function printPhase(r: PhaseResult) {
  const pct = r.expected ? (100 * r.delivered) / r.expected : 0;
  console.log(
    `    => ${r.phase}: ${fmt(r.acked)} acked (${fmt(r.ackedPerSecond)}/s), ${fmt(r.delivered)}/${fmt(
      r.expected,
    )} copies delivered (${fmt(pct, 2)}%, ${fmt(r.deliveredPerSecond)}/s), latency p50 ${ms(
      r.latencyMs.p50,
    )} p95 ${ms(r.latencyMs.p95)} p99 ${ms(r.latencyMs.p99)} max ${ms(r.latencyMs.max)} ms`,
  );
  const extra: string[] = [];
  if (r.overloadedAfterSeconds !== null)
    extra.push(`OVERLOADED: stopped sending after ${r.overloadedAfterSeconds} s`);
  if (r.unanswered) extra.push(`${fmt(r.unanswered)} sends still unanswered`);
  if (r.failed) extra.push(`${fmt(r.failed)} sends failed: ${JSON.stringify(r.errors)}`);
  if (r.duplicates) extra.push(`${fmt(r.duplicates)} duplicate copies`);
  if (r.misrouted) extra.push(`${fmt(r.misrouted)} copies to non-members`);
  extra.push(
    `ack p50 ${ms(r.ackMs.p50)} p99 ${ms(r.ackMs.p99)} ms`,
    `cpu: machine ${r.cpu.machinePercent}%, driver ${r.cpu.driverPercent}%, ${r.cpu.servers
      .map((s) =>
        s.cpuPercent === null
          ? `${s.label} (no answer)`
          : `${s.label} ${s.cpuPercent}% (loop delay p99 ${s.loopDelayP99Ms} ms)`,
      )
      .join(', ')}${
      r.cpu.postgresPercent === null ? '' : `, postgres ${r.cpu.postgresPercent}%`
    }; ${r.cpu.cpuMsPerMessage === null ? 'n/a' : ms(r.cpu.cpuMsPerMessage)} CPU ms per message`,
  );
  if (r.scheduleLagMs) extra.push(`driver schedule lag p99 ${ms(r.scheduleLagMs.p99)} ms`);
  console.log(`       ${extra.join('; ')}`);
}

// ---------------------------------------------------------------------------------------------
// One variant

async function runVariant(name: VariantName, options: MessageBenchOptions): Promise<VariantResult> {
  const label = LABELS[name];
  const setupStart = performance.now();
  const loadAverage = Math.round(os.loadavg()[0]! * 10) / 10;
  if (loadAverage > os.cpus().length)
    console.log(
      `    note: load average ${loadAverage} on ${os.cpus().length} CPUs: other work is competing for the machine`,
    );
  const servers: ServerProcess[] = [];
  const clients: Client[] = [];
  let database: TestDatabase | null = null;
  const ctx: Context = {
    options,
    registry: new Map(),
    resyncs: 0,
    subscriptionErrors: 0,
    sampleEventBytes: 0,
    inflight: 0,
  };
  const profileDir = options.profile ? `${resultsDir}profiles/${name}` : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const seed = { users: options.users, groupSize: options.groupSize };
  let stored: { messages: number; events: number }[] | undefined;
  let out: VariantResult;
  try {
    let users: SeededUser[];
    let seedMs: number | undefined;
    if (name === 'baseline' || name === 'socketio' || name === 'socketio-pg') {
      if (name === 'socketio-pg') {
        console.log('    creating a PostgreSQL database for this run');
        database = await openTestDatabase('postgres');
      }
      servers.push(
        new ServerProcess(
          name === 'baseline' ? 'ws' : name,
          name === 'baseline'
            ? { kind: 'baseline' }
            : { kind: 'socketio', databaseUrl: database?.url },
          profileDir,
        ),
      );
      users = Array.from({ length: options.users }, (_, i) => ({
        id: randomUUID(),
        handle: `bench_${i}`,
        token: '',
        groupId: '',
      }));
      const groupIds = new Map<number, string>();
      users.forEach((u, i) => {
        const g = Math.floor(i / options.groupSize);
        if (!groupIds.has(g)) groupIds.set(g, randomUUID());
        u.groupId = groupIds.get(g)!;
      });
    } else {
      let databaseUrl: string | undefined;
      if (name !== 'pglite') {
        console.log('    creating a PostgreSQL database for this run');
        database = await openTestDatabase('postgres');
        databaseUrl = database.url;
      }
      const redisUrl = name === 'redis' ? process.env.REDIS_URL : undefined;
      console.log(
        `    starting the server${name === 'pglite' ? ' (in-memory PGlite)' : ''} and seeding ${fmt(
          options.users,
        )} users`,
      );
      servers.push(
        new ServerProcess('kith-1', { kind: 'kith', databaseUrl, redisUrl, seed }, profileDir),
      );
      const first = await servers[0]!.ready;
      users = first.users ?? [];
      seedMs = first.seedMs;
      if (name === 'redis') {
        servers.push(
          new ServerProcess('kith-2', { kind: 'kith', databaseUrl, redisUrl }, profileDir),
        );
      }
    }
    const readies = await Promise.all(servers.map((s) => s.ready));
    const setupSeconds = (performance.now() - setupStart) / 1000;

    // Server memory before any client connects, after a full collection.
    const idle = await Promise.all(servers.map((s) => s.usage(true)));
    // Connect every client and subscribe to its event stream.
    const connectStart = performance.now();
    const groupOf = new Map<string, number>();
    const memberCount = new Map<number, number>();
    for (const u of users) {
      if (!groupOf.has(u.groupId)) groupOf.set(u.groupId, groupOf.size);
      const g = groupOf.get(u.groupId)!;
      memberCount.set(g, (memberCount.get(g) ?? 0) + 1);
    }
    const seen = new Map<number, number>();
    users.forEach((user, index) => {
      const group = groupOf.get(user.groupId)!;
      const member = seen.get(group) ?? 0;
      seen.set(group, member + 1);
      const base = readies[index % readies.length]!.wsUrl;
      const peers = memberCount.get(group)! - 1;
      if (name === 'socketio' || name === 'socketio-pg') {
        clients.push(socketIoClient(ctx, base, { index, user, group, member, peers }));
        return;
      }
      const url = name === 'baseline' ? `${base}?user=${user.id}&group=${user.groupId}` : base;
      const ws = createWSClient({
        url,
        WebSocket: CountingWebSocket as unknown as typeof globalThis.WebSocket,
        connectionParams: () => ({ token: user.token }),
        retryDelayMs: () => 500,
      });
      const api = createTRPCClient<AppRouter>({ links: [wsLink({ client: ws })] });
      const client: Client = {
        index,
        user,
        group,
        member,
        peers,
        sendMessage: (input) => api.messages.send.mutate(input),
        close: () => ws.close(),
        started: false,
        sent: 0,
        unsubscribe: () => {},
      };
      const sub = api.sync.events.subscribe(
        {},
        {
          onStarted: () => {
            client.started = true;
          },
          onData: (envelope) => onEvent(ctx, client, (envelope as { data: SyncEvent }).data),
          onError: () => {
            ctx.subscriptionErrors += 1;
          },
        },
      );
      client.unsubscribe = () => sub.unsubscribe();
      clients.push(client);
    });
    for (let waited = 0; ; waited += 100) {
      const started = clients.filter((c) => c.started).length;
      if (started === clients.length) break;
      if (waited % 2000 === 0)
        console.log(`    connecting: ${fmt(started)}/${fmt(clients.length)} subscribed`);
      if (waited > 60_000) throw new Error(`only ${started} of ${clients.length} subscribed`);
      await sleep(100);
    }
    // A subscription reports "started" before the server has attached it to the event stream:
    // warm up until one message from every group reaches every other member.
    const warm = new Phase('warmup');
    const owners = clients.filter((c) => c.member === 0);
    for (let round = 1; ; round++) {
      await Promise.race([Promise.all(owners.map((c) => send(ctx, c, warm))), sleep(30_000)]);
      const roundStart = performance.now();
      const fresh = warm.messages.slice(-owners.length);
      while (fresh.some((m) => m.copies < m.peers) && performance.now() - roundStart < 2000)
        await sleep(20);
      if (fresh.every((m) => m.copies >= m.peers)) break;
      if (round >= 10) throw new Error('clients never all received the warm-up messages');
      const got = fresh.reduce((n, m) => n + m.copies, 0);
      const owed = fresh.reduce((n, m) => n + m.peers, 0);
      console.log(
        `    warm-up round ${round}: ${fmt(got)} of ${fmt(owed)} copies arrived (${fmt(
          fresh.filter((m) => m.acked).length,
        )} of ${fmt(fresh.length)} sends acked); not every member is live yet, again`,
      );
    }
    const connectSeconds = (performance.now() - connectStart) / 1000;
    console.log(
      `    ${fmt(clients.length)} clients live in ${fmt(groupOf.size)} groups on ${servers.length} server process${
        servers.length > 1 ? 'es' : ''
      } (setup ${fmt(setupSeconds, 1)} s, connect ${fmt(connectSeconds, 1)} s)`,
    );

    // And with every client connected and subscribed: the growth per connected socket.
    const connected = await Promise.all(servers.map((s) => s.usage(true)));
    const memory = servers.map((s, i) => {
      const sockets = clients.filter((c) => c.index % servers.length === i).length;
      const before = idle[i];
      const after = connected[i];
      const perSocket = (from: number | undefined, to: number | undefined) =>
        from === undefined || to === undefined || sockets === 0
          ? null
          : Math.round(((to - from) * 1024) / sockets);
      return {
        label: s.label,
        sockets,
        rssMb: after ? Math.round(after.rssMb) : null,
        rssKbPerSocket: perSocket(before?.rssMb, after?.rssMb),
        heapKbPerSocket: perSocket(before?.heapMb, after?.heapMb),
      };
    });
    for (const m of memory)
      console.log(
        `    memory ${m.label}: ${fmt(m.sockets)} sockets, RSS ${m.rssMb ?? '?'} MB; per connected socket ${
          m.rssKbPerSocket ?? '?'
        } KB RSS, ${m.heapKbPerSocket ?? '?'} KB heap`,
      );

    const phases: PhaseResult[] = [];

    // Phase 1: fixed rate, open loop: sends go out on schedule whether or not acks came back.
    {
      const phase = new Phase('fixed');
      const order = [...clients].sort((a, b) => a.member - b.member || a.group - b.group);
      const total = Math.round(options.users * options.seconds * options.rate);
      const interval = 1000 / (options.users * options.rate);
      const m = await measured(servers, database, async () => {
        phase.start = performance.now();
        const ticker = setInterval(() => progress('fixed', phase, phase.start), 1000);
        let next = 0;
        await new Promise<void>((resolve) => {
          const tick = () => {
            const now = performance.now();
            if (ctx.inflight > options.users * options.rate * OVERLOAD_SECONDS) {
              phase.overloadedAfter = (now - phase.start) / 1000;
              console.log(
                `    fixed: more than ${OVERLOAD_SECONDS} s of sends unanswered after ${fmt(
                  phase.overloadedAfter,
                  1,
                )} s: the server cannot keep up; stopped sending`,
              );
              return resolve();
            }
            while (next < total && phase.start + next * interval <= now) {
              phase.lag.push(now - (phase.start + next * interval));
              void send(ctx, order[next % order.length]!, phase);
              next += 1;
            }
            if (next >= total) return resolve();
            setTimeout(tick, Math.max(0, phase.start + next * interval - performance.now()));
          };
          tick();
        });
        phase.end = performance.now();
        clearInterval(ticker);
        await drain(phase, 'fixed');
      });
      const r = result(phase, m);
      printPhase(r);
      phases.push(r);
    }

    // Phase 2: flat out, closed loop: each user sends its next message as soon as the last is acked.
    await settle(ctx);
    {
      const phase = new Phase('flat');
      const m = await measured(servers, database, async () => {
        phase.start = performance.now();
        const deadline = phase.start + options.flatSeconds * 1000;
        const ticker = setInterval(() => progress('flat', phase, phase.start), 1000);
        // A send that never answers must not hold the phase: stop waiting 10 s past the end.
        const giveUp = sleep(options.flatSeconds * 1000 + 10_000);
        await Promise.all(
          clients.map(async (c) => {
            for (let k = 0; k < options.flatCount && performance.now() < deadline; k++)
              if ((await Promise.race([send(ctx, c, phase), giveUp.then(() => 'late')])) === 'late')
                return;
          }),
        );
        phase.end = performance.now();
        clearInterval(ticker);
        await drain(phase, 'flat');
      });
      const r = result(phase, m);
      printPhase(r);
      phases.push(r);
    }

    out = {
      variant: name,
      label,
      instances: servers.length,
      users: clients.length,
      groups: groupOf.size,
      setupSeconds: Math.round(setupSeconds * 10) / 10,
      seedSeconds: seedMs === undefined ? undefined : Math.round(seedMs / 100) / 10,
      connectSeconds: Math.round(connectSeconds * 10) / 10,
      sampleEventBytes: ctx.sampleEventBytes,
      resyncs: ctx.resyncs,
      subscriptionErrors: ctx.subscriptionErrors,
      loadAverage,
      memory,
      phases,
    };
  } finally {
    for (const c of clients) c.unsubscribe();
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    const closed = await Promise.all(servers.map((s) => s.close()));
    stored = closed.flatMap((c) => (c?.type === 'closed' && c.stored ? [c.stored] : []));
    if (stored.length) {
      const s = stored[0]!;
      console.log(`    stored: ${fmt(s.messages)} messages, ${fmt(s.events)} events`);
    }
    await database?.close();
  }
  out.stored = stored;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Report

function ratio(a: number, b: number) {
  return b > 0 ? Math.round((a / b) * 100) / 100 : null;
}

function printMemory(results: VariantResult[]) {
  console.log('\nServer memory with every client connected (after a full collection):');
  for (const v of results)
    for (const m of v.memory)
      console.log(
        `  ${v.label.padEnd(38)} ${m.label.padEnd(12)} ${fmt(m.sockets).padStart(6)} sockets  RSS ${String(
          m.rssMb ?? '?',
        ).padStart(
          5,
        )} MB  per socket ${String(m.rssKbPerSocket ?? '?').padStart(5)} KB RSS, ${String(
          m.heapKbPerSocket ?? '?',
        ).padStart(5)} KB heap`,
      );
}

function printTable(results: VariantResult[]) {
  const header = [
    'variant'.padEnd(38),
    'phase'.padEnd(5),
    'acked/s'.padStart(8),
    'deliv/s'.padStart(9),
    'delivered/expected'.padStart(26),
    'p50 ms'.padStart(7),
    'p95 ms'.padStart(7),
    'p99 ms'.padStart(7),
    'max ms'.padStart(7),
    'cpu ms/msg'.padStart(10),
  ].join(' ');
  console.log(`\n${header}\n${'-'.repeat(header.length)}`);
  for (const v of results) {
    for (const p of v.phases) {
      const pct = p.expected ? (100 * p.delivered) / p.expected : 0;
      console.log(
        [
          v.label.padEnd(38),
          p.phase.padEnd(5),
          fmt(p.ackedPerSecond).padStart(8),
          fmt(p.deliveredPerSecond).padStart(9),
          `${fmt(p.delivered)}/${fmt(p.expected)} (${fmt(pct, 2)}%)`.padStart(26),
          ms(p.latencyMs.p50).padStart(7),
          ms(p.latencyMs.p95).padStart(7),
          ms(p.latencyMs.p99).padStart(7),
          ms(p.latencyMs.max).padStart(7),
          (p.cpu.cpuMsPerMessage === null ? 'n/a' : ms(p.cpu.cpuMsPerMessage)).padStart(10),
        ].join(' '),
      );
    }
  }
}

interface RatioRow {
  variant: string;
  against: string;
  phase: string;
  throughput: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  cpuPerMessage: number | null;
}

function ratios(results: VariantResult[]): RatioRow[] {
  const rows: RatioRow[] = [];
  const byName = new Map(results.map((r) => [r.variant, r]));
  const compare = (v: VariantResult, base: VariantResult) => {
    for (const p of v.phases) {
      const b = base.phases.find((x) => x.phase === p.phase);
      if (!b) continue;
      rows.push({
        variant: v.variant,
        against: base.variant,
        phase: p.phase,
        throughput: ratio(p.deliveredPerSecond, b.deliveredPerSecond),
        p50: ratio(p.latencyMs.p50, b.latencyMs.p50),
        p95: ratio(p.latencyMs.p95, b.latencyMs.p95),
        p99: ratio(p.latencyMs.p99, b.latencyMs.p99),
        cpuPerMessage:
          p.cpu.cpuMsPerMessage === null || b.cpu.cpuMsPerMessage === null
            ? null
            : ratio(p.cpu.cpuMsPerMessage, b.cpu.cpuMsPerMessage),
      });
    }
  };
  const baseline = byName.get('baseline');
  for (const v of results) if (v.variant !== 'baseline' && baseline) compare(v, baseline);
  // Kith against the hand-built stack that also stores every message.
  const peer = byName.get('socketio-pg');
  for (const v of results)
    if (peer && (v.variant === 'postgres' || v.variant === 'redis')) compare(v, peer);
  const one = byName.get('postgres');
  const two = byName.get('redis');
  if (one && two) compare(two, one);
  return rows;
}

function printRatios(rows: RatioRow[], results: VariantResult[]) {
  if (rows.length === 0) return;
  const label = (n: string) => LABELS[n as VariantName] ?? n;
  console.log(
    '\nRatios (delivered copies/s, latency percentiles, CPU per message; throughput above 1 and the others below 1 favour the first):',
  );
  for (const r of rows) {
    const x = (v: number | null) => (v === null ? 'n/a' : `${fmt(v, 2)}x`);
    console.log(
      `  ${`${label(r.variant)} / ${r.against === 'baseline' ? 'baseline' : label(r.against)}`.padEnd(
        72,
      )} ${r.phase.padEnd(5)}  throughput ${x(r.throughput).padStart(6)}  p50 ${x(r.p50).padStart(
        7,
      )}  p95 ${x(r.p95).padStart(7)}  p99 ${x(r.p99).padStart(7)}  cpu/msg ${x(
        r.cpuPerMessage,
      ).padStart(7)}`,
    );
  }
  if (!results.some((r) => r.variant === 'postgres') && results.some((r) => r.variant === 'redis'))
    console.log('  (add the postgres variant to compare two instances against one)');
}

export async function runMessagesBench(argv: string[]): Promise<void> {
  const options = parseOptions(argv);
  const started = new Date();
  const t0 = performance.now();
  console.log(
    `Message benchmark: ${fmt(options.users)} users in groups of ${options.groupSize}, ${options.bodyChars}-character messages;` +
      ` fixed rate ${options.rate} msg/s per user for ${options.seconds} s, then flat out (1 in flight per user) for ${options.flatSeconds} s` +
      ` or ${fmt(options.flatCount)} messages per user.\n` +
      `Node ${process.version}, ${os.cpus().length} CPU (${os.cpus()[0]?.model ?? 'unknown'}), servers in child processes, clients in this one, all on 127.0.0.1.`,
  );
  const skipped: Record<string, string> = {};
  const results: VariantResult[] = [];
  const failures: Record<string, string> = {};
  for (const name of options.variants) {
    if (
      (name === 'postgres' || name === 'redis' || name === 'socketio-pg') &&
      !process.env.TEST_DATABASE_URL
    ) {
      skipped[name] = 'TEST_DATABASE_URL is not set (a PostgreSQL server to create a database on)';
    } else if (name === 'redis' && !process.env.REDIS_URL) {
      skipped[name] = 'REDIS_URL is not set';
    }
    if (skipped[name]) {
      console.log(`\n[${name}] skipped: ${skipped[name]}`);
      continue;
    }
    console.log(`\n[${name}] ${LABELS[name]}`);
    try {
      results.push(await runVariant(name, options));
    } catch (error) {
      failures[name] = error instanceof Error ? error.message : String(error);
      console.log(`    FAILED: ${failures[name]}`);
    }
  }
  printTable(results);
  printMemory(results);
  const rows = ratios(results);
  printRatios(rows, results);
  for (const [name, reason] of Object.entries(skipped)) console.log(`  skipped ${name}: ${reason}`);
  mkdirSync(resultsDir, { recursive: true });
  const file = `${resultsDir}messages.json`;
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        bench: 'messages',
        startedAt: started.toISOString(),
        durationSeconds: Math.round((performance.now() - t0) / 100) / 10,
        options,
        machine: {
          node: process.version,
          platform: `${os.platform()} ${os.release()}`,
          cpus: os.cpus().length,
          cpuModel: os.cpus()[0]?.model ?? null,
        },
        results,
        ratios: rows,
        skipped,
        failures,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nWrote ${file} (${fmt((performance.now() - t0) / 1000, 0)} s in all)`);
  if (Object.keys(failures).length) process.exitCode = 1;
}
