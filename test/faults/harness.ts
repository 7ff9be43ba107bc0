import { TRPCClientError } from '@trpc/client';
import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import { isRefusal } from '../../extension/lib/errors';
import type { Db } from '../../server/db/client';
import type { MessageView } from '../../server/messages/view';
import type { SyncEvent } from '../../server/sync/event-stream';
import { httpClient, socketClient } from '../fixtures/live';

/**
 * Clients under load for the fault tests: members of small groups who send at a steady rate,
 * retry every unacknowledged send with the same clientId (as the extension's outbox does), and
 * keep a `sync.events` stream that resumes from its last event id. At the end `accountFor`
 * checks that every acknowledged send is stored once and reached every member once, in order.
 */

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const run = `${process.pid.toString(36)}${Date.now().toString(36)}`;

type Http = ReturnType<typeof httpClient>;

export interface Member {
  id: string;
  handle: string;
  token: string;
  http: Http;
  stream: Stream;
}

export interface Group {
  id: string;
  members: Member[];
}

/** The tRPC code the server answered with, or NETWORK when no answer came (dropped, timed out). */
export function failureCode(error: unknown): string {
  if (error instanceof TRPCClientError)
    return (error.data as { code?: string } | null)?.code ?? 'NETWORK';
  return 'NETWORK';
}

let handles = 0;

async function register(baseUrl: string, prefix: string) {
  const handle = `${prefix}_${run}_${handles++}`.slice(0, 24);
  const { token, user } = await httpClient(baseUrl).auth.register.mutate({
    handle,
    password: 'correct horse battery',
  });
  return { id: user.id, handle, token, http: httpClient(baseUrl, token) };
}

/**
 * `count` groups of `size` members (at most 32), everyone friends with their group's owner.
 * HTTP goes to `baseUrl` and every member's stream to `wsUrl`.
 */
export async function setUpGroups(
  urls: { baseUrl: string; wsUrl: string },
  count: number,
  size: number,
): Promise<Group[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, g) => {
      const people = await Promise.all(
        Array.from({ length: size }, () => register(urls.baseUrl, `f${g}`)),
      );
      const [owner, ...rest] = people as [(typeof people)[0], ...typeof people];
      for (const p of rest) {
        const invite = await owner.http.friends.createInvite.mutate();
        await p.http.friends.acceptInvite.mutate({ code: invite.code });
      }
      const group = await owner.http.groups.create.mutate({
        name: `fault ${g}`,
        memberIds: rest.map((p) => p.id),
      });
      const members = people.map((p) => ({ ...p, stream: new Stream(urls.wsUrl, p.token) }));
      return { id: group.id, members };
    }),
  );
}

/**
 * One member's `sync.events` stream over its own WebSocket. The socket reconnects by itself
 * and tRPC resubscribes with the last tracked id; when the server ends or fails the stream
 * instead, it is opened again from the last id, as the extension's SyncStream does.
 */
export class Stream {
  /** Per group, the seq of every `message.created` received, in arrival order. */
  readonly seqs = new Map<string, number[]>();
  readonly ids = new Map<string, string[]>();
  readies = 0;
  resyncs = 0;
  readonly errors: string[] = [];
  private lastId: string | null;
  private current: { unsubscribe(): void } | null = null;
  private closed = false;
  private readonly socket: ReturnType<typeof socketClient>;

  constructor(wsUrl: string, token: string, lastEventId: string | null = null) {
    this.socket = socketClient(wsUrl, token);
    this.lastId = lastEventId;
    this.open();
  }

  get received(): number {
    let n = 0;
    for (const list of this.seqs.values()) n += list.length;
    return n;
  }

  private open() {
    if (this.closed) return;
    let self: { unsubscribe(): void } | null = null;
    const reopen = (delay: number) => {
      if (this.current !== self) return;
      this.current = null;
      setTimeout(() => this.open(), delay);
    };
    self = this.socket.client.sync.events.subscribe(
      this.lastId ? { lastEventId: this.lastId } : {},
      {
        onData: (envelope) => {
          if (envelope.id) this.lastId = envelope.id;
          const event = envelope.data as SyncEvent;
          if (event.type === 'ready') this.readies += 1;
          else if (event.type === 'resync') this.resyncs += 1;
          else if (event.type === 'message.created') {
            const m = event.payload as MessageView;
            this.seqs.set(m.groupId, [...(this.seqs.get(m.groupId) ?? []), m.seq]);
            this.ids.set(m.groupId, [...(this.ids.get(m.groupId) ?? []), m.id]);
          }
        },
        onError: (error) => {
          this.errors.push(failureCode(error));
          reopen(250);
        },
        onComplete: () => reopen(50),
      },
    );
    this.current = self;
  }

  /** Resolves once the server has said the stream is live at least `n` times. */
  async ready(n = 1, timeoutMs = 20_000) {
    await until(
      () => this.readies >= n,
      timeoutMs,
      () => `stream not live (errors: ${this.errors})`,
    );
  }

  close() {
    this.closed = true;
    this.current?.unsubscribe();
    this.socket.close();
  }
}

export async function until(check: () => boolean, timeoutMs: number, what: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what()}`);
    await sleep(50);
  }
}

export interface Ack {
  groupId: string;
  senderId: string;
  clientId: string;
  id: string;
  seq: number;
}

/** What the senders did, for the final accounting. */
export class Tally {
  sent = 0;
  retried = 0;
  readonly acks: Ack[] = [];
  /** Failed attempts by the code the client saw. */
  readonly failures = new Map<string, number>();
  /** One message of each code, to show what a client is told. */
  readonly messages = new Map<string, string>();
}

/**
 * Sends one message and retries it with the same clientId until the server acknowledges it.
 * A refusal (BAD_REQUEST, FORBIDDEN, …: the extension's list) is final and fails the test;
 * anything else (dropped connection, 503, timeout) is sent again after a short pause.
 */
export async function sendUntilAcked(
  member: Member,
  groupId: string,
  clientId: string,
  tally: Tally,
  deadlineMs = 60_000,
): Promise<Ack> {
  tally.sent += 1;
  const deadline = Date.now() + deadlineMs;
  for (let attempt = 0; ; attempt++) {
    try {
      const view = await member.http.messages.send.mutate(
        { groupId, clientId, body: `message ${clientId}` },
        { signal: AbortSignal.timeout(5000) },
      );
      const ack = { groupId, senderId: member.id, clientId, id: view.id, seq: view.seq };
      tally.acks.push(ack);
      return ack;
    } catch (error) {
      const code = failureCode(error);
      tally.failures.set(code, (tally.failures.get(code) ?? 0) + 1);
      if (!tally.messages.has(code)) tally.messages.set(code, (error as Error).message);
      if (isRefusal({ code })) throw new Error(`send ${clientId} was refused: ${code}: ${error}`);
      if (Date.now() > deadline) throw error;
      tally.retried += 1;
      await sleep(Math.min(100 * 2 ** attempt, 800));
    }
  }
}

/** Every member of every group sends `count` messages, one every `everyMs`, each until acked. */
export function sendSteadily(groups: Group[], count: number, everyMs: number, tally: Tally) {
  return Promise.all(
    groups.flatMap((group, g) =>
      group.members.map(async (member, m) => {
        // Spread the senders over the interval so the load is even, not in bursts.
        await sleep(
          (everyMs * (g * group.members.length + m)) / (groups.length * group.members.length),
        );
        for (let i = 0; i < count; i++) {
          const started = Date.now();
          await sendUntilAcked(member, group.id, `c${run}-${g}-${m}-${i}`, tally);
          await sleep(Math.max(0, everyMs - (Date.now() - started)));
        }
      }),
    ),
  );
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/**
 * The exact accounting: in the database, each group's seqs run 1..N with one row per
 * (sender, clientId), matching the acknowledged sends one to one; and each member's stream got
 * every message of its group exactly once, in seq order. Returns the figures.
 */
export async function accountFor(
  db: Db,
  groups: Group[],
  tally: Tally,
  /** More streams to check, each for one group (a member's second device). */
  extra: { groupId: string; stream: Stream }[] = [],
) {
  expect(tally.acks).toHaveLength(tally.sent);
  const stored = new Map<string, { id: string; seq: number }[]>();
  for (const group of groups) {
    const rows = await db.execute<{
      id: string;
      seq: number;
      sender_id: string;
      client_id: string;
    }>(
      sql`select id, seq, sender_id, client_id from messages where group_id = ${group.id} order by seq`,
    );
    const acks = tally.acks.filter((a) => a.groupId === group.id);
    expect(rows.rows.map((r) => Number(r.seq))).toEqual(range(acks.length));
    const key = (sender: string, clientId: string) => `${sender}/${clientId}`;
    const byKey = new Map(rows.rows.map((r) => [key(r.sender_id, r.client_id), r]));
    expect(byKey.size, 'one row per (sender, clientId)').toBe(rows.rows.length);
    for (const ack of acks) {
      const row = byKey.get(key(ack.senderId, ack.clientId));
      expect(row, `acknowledged send ${ack.clientId} is stored`).toBeDefined();
      expect({ id: row?.id, seq: Number(row?.seq) }).toEqual({ id: ack.id, seq: ack.seq });
    }
    stored.set(
      group.id,
      rows.rows.map((r) => ({ id: r.id, seq: Number(r.seq) })),
    );
  }

  const watchers = groups.flatMap((group) => [
    ...group.members.map((m) => ({ group, stream: m.stream })),
    ...extra.filter((e) => e.groupId === group.id).map(({ stream }) => ({ group, stream })),
  ]);
  const expected = watchers.reduce((sum, w) => sum + stored.get(w.group.id)!.length, 0);
  await until(
    () =>
      watchers.every(
        (w) => (w.stream.seqs.get(w.group.id)?.length ?? 0) >= stored.get(w.group.id)!.length,
      ),
    30_000,
    () =>
      `delivered ${watchers.reduce((s, w) => s + (w.stream.seqs.get(w.group.id)?.length ?? 0), 0)} of ${expected}`,
  );
  // Room for a late duplicate to show up before counting.
  await sleep(500);
  let delivered = 0;
  for (const { group, stream } of watchers) {
    const rows = stored.get(group.id)!;
    expect(stream.seqs.get(group.id)).toEqual(rows.map((r) => r.seq));
    expect(stream.ids.get(group.id)).toEqual(rows.map((r) => r.id));
    delivered += stream.seqs.get(group.id)!.length;
  }
  return {
    sent: tally.sent,
    acknowledged: tally.acks.length,
    retried: tally.retried,
    failures: Object.fromEntries(tally.failures),
    stored: [...stored.values()].reduce((s, r) => s + r.length, 0),
    delivered,
    expected,
  };
}
