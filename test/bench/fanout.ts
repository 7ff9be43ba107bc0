/**
 * Fan-out micro-benchmark: the cost of taking one committed event to the `sync.events` streams
 * of many subscribers through tRPC's real WebSocket handler, without network or database in the
 * measured part. Sockets are in-process stand-ins that count frames; events are published on
 * the bus as a send would publish them.
 *
 * The baseline in the same run is the same streams with their frames handed to tRPC's own
 * subscription loop, as every frame was before streams wrote them directly.
 *
 *   npm run bench -- fanout [--members 32] [--groups 8] [--events 8000] [--rounds 3]
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { getWSConnectionHandler } from '@trpc/server/adapters/ws';
import type { BusEvent } from '../../server/bus';
import { appRouter } from '../../server/router';
import { frameStats, watchStarts } from '../../server/sync/frames';
import { createContextInner } from '../../server/trpc';
import { openTestDatabase } from '../fixtures/db';
import { befriend, makeDeps, signUp, type TestUser } from '../fixtures/deps';

/** The same streams, with frames handed to tRPC (the baseline) and written directly. */
const MODES = [
  { label: 'through tRPC (each frame a step of its subscription loop)', direct: false },
  { label: 'direct frames (what the server does)', direct: true },
] as const;

const SUBSCRIBE = {
  id: 1,
  jsonrpc: '2.0',
  method: 'subscription',
  params: { path: 'sync.events', input: {} },
};

interface Options {
  members: number;
  groups: number;
  events: number;
  rounds: number;
}

function parse(argv: string[]): Options {
  const options: Options = { members: 32, groups: 8, events: 8000, rounds: 3 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]?.replace(/^--/, '') as keyof Options;
    const n = Number(argv[i + 1]);
    if (!(key in options) || !Number.isInteger(n) || n < 1)
      throw new Error(
        'usage: npm run bench -- fanout [--members N] [--groups N] [--events N] [--rounds N]',
      );
    options[key] = n;
  }
  return options;
}

/** Enough of a `ws` socket for tRPC's handler: frames in by event, frames out counted. */
class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  frames = 0;
  bytes = 0;
  last = '';
  send(data: string) {
    this.frames += 1;
    this.bytes += data.length;
    this.last = data;
  }
  close() {
    this.readyState = 3;
    this.emit('close');
  }
  terminate() {
    this.close();
  }
  ping() {}
}

export async function fanoutBench(argv: string[]) {
  const options = parse(argv);
  const database = await openTestDatabase('pglite');
  const deps = makeDeps(database.db);
  const handler = getWSConnectionHandler({
    // Only `applyWSSHandler` uses the server; frames come in through the stand-in sockets.
    wss: null as never,
    router: appRouter,
    createContext: async ({ req, res }) => {
      const { token, direct } = req as unknown as { token: string; direct: boolean };
      const ctx = await createContextInner(deps, { token });
      return direct ? { ...ctx, socket: res } : ctx;
    },
  });

  console.log(
    `fan-out: ${options.groups} groups of ${options.members} members, ${options.events} events a round`,
  );
  const users: TestUser[] = [];
  const groupIds: string[] = [];
  for (let g = 0; g < options.groups; g++) {
    const members: TestUser[] = [];
    for (let m = 0; m < options.members; m++) members.push(await signUp(deps, 'fan'));
    const [owner, ...rest] = members as [TestUser, ...TestUser[]];
    for (const other of rest) await befriend(owner, other);
    const group = await owner.api.groups.create({
      name: `g${g}`,
      memberIds: rest.map((u) => u.id),
    });
    groupIds.push(group.id);
    users.push(...members);
    process.stdout.write(`\r  set up ${g + 1}/${options.groups} groups`);
  }
  process.stdout.write('\n');

  // The hub starts with the first stream; events continue from its position.
  let id = -1;
  const body = 'x'.repeat(80);
  const perGroup = Math.floor(options.events / options.groups);
  const copies = perGroup * options.groups * options.members;
  const medians: number[] = [];
  for (const mode of MODES) {
    console.log(`  ${mode.label}`);
    const sockets = users.map((user) => {
      const socket = new FakeSocket();
      if (mode.direct) watchStarts(socket);
      const req = { token: user.token, direct: mode.direct, headers: {}, url: '/' };
      handler(socket as never, req as unknown as IncomingMessage);
      socket.emit('message', Buffer.from(JSON.stringify(SUBSCRIBE)), false);
      return socket;
    });
    const settle = async (target: number) => {
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        if (sockets.every((s) => s.frames >= target)) return;
        await new Promise((r) => setImmediate(r));
      }
      const behind = sockets.find((s) => s.frames < target);
      const counts = [...new Set(sockets.map((s) => s.frames))].join(',');
      throw new Error(
        `a stream did not reach ${target} frames (counts ${counts}); its last: ${behind?.last.slice(0, 200)}`,
      );
    };
    await settle(2); // started, ready
    if (id < 0) id = deps.hub.position;
    const perFrame: number[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      const before = sockets.map((s) => s.frames);
      const cpu = process.cpuUsage();
      const started = performance.now();
      frameStats.serialized = 0;
      // Published in batches of one per group, as concurrent sends are committed together.
      for (let i = 0; i < perGroup; i++) {
        for (const groupId of groupIds) {
          id += 1;
          const event: BusEvent = {
            id,
            groupId,
            type: 'message.created',
            userId: null,
            payload: { id: `m${id}`, seq: i + 1, body, senderId: 'u' },
            createdAt: new Date().toISOString(),
          };
          void deps.bus.publish(event);
        }
        if (i % 8 === 7) await new Promise((r) => setImmediate(r));
      }
      await settle(Math.max(...before) + perGroup);
      const elapsed = performance.now() - started;
      const used = process.cpuUsage(cpu);
      const frames = sockets.reduce((n, s, i) => n + s.frames - (before[i] ?? 0), 0);
      if (frames !== copies) throw new Error(`expected ${copies} frames, counted ${frames}`);
      const micros = (used.user + used.system) / copies;
      perFrame.push(micros);
      console.log(
        `    round ${round}: ${copies.toLocaleString('en-US')} frames in ${elapsed.toFixed(0)} ms, ` +
          `${micros.toFixed(2)} µs CPU per frame, ` +
          `${Math.round(copies / (elapsed / 1000)).toLocaleString('en-US')} frames/s`,
      );
    }
    const sorted = [...perFrame].sort((a, b) => a - b);
    medians.push(sorted[Math.floor(sorted.length / 2)] ?? 0);
    console.log(`    a frame: ${sockets[0]?.last.slice(0, 120)}…`);
    for (const socket of sockets) socket.close();
    await new Promise((r) => setTimeout(r, 50));
  }
  const [through, direct] = medians as [number, number];
  console.log(
    `  median CPU per frame: through tRPC ${through.toFixed(2)} µs, direct ${direct.toFixed(2)} µs ` +
      `(${(through / direct).toFixed(1)}x less)`,
  );
  deps.hub.stop();
  await database.close();
}
