import { randomUUID } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { and, inArray } from 'drizzle-orm';
import { inPeriods, type Period } from '../access';
import type { Bus, BusEvent } from '../bus';
import { clipMeta, upsertClip } from '../clips/store';
import { type Db, isDatabaseUnavailable, type Tx } from '../db/client';
import { memberPeriods, messages } from '../db/schema';
import { EVENT_ORDER_LOCK, type transact } from '../events';
import { productsWithBrands } from '../payments/catalog';
import { type StoreMessageInput, storeMessage } from './store-message';
import type { MessageView } from './view';

type StoreDeps = Parameters<typeof transact>[0];

interface Waiting {
  input: StoreMessageInput;
  /** When the send was queued (ms since the epoch). */
  at: number;
  resolve: (view: MessageView) => void;
  reject: (error: unknown) => void;
}

export interface BatcherOptions {
  /** The most sends stored in one transaction. */
  maxBatch?: number;
  /**
   * How many batches may be in flight at once, each on its own connection. Two batches never
   * hold sends of the same group, so each group's sends are stored in the order they arrived.
   */
  concurrency?: number;
  /**
   * The most sends waiting for a batch. Past it a send is refused at once with
   * TOO_MANY_REQUESTS and a retry hint instead of queueing without limit.
   */
  maxQueue?: number;
  /**
   * How long a send may wait for a batch before it is refused (TOO_MANY_REQUESTS, retry hint),
   * so an overloaded instance answers every send within a fixed time.
   */
  maxWaitMs?: number;
}

/** What an overloaded instance tells a sender: nothing was stored, send it again later. */
export const BUSY_MESSAGE =
  'Kith is busy right now and did not store this message. Try again in 1 s; sending it again with the same clientId never stores it twice.';

function busy(): TRPCError {
  return new TRPCError({
    code: 'TOO_MANY_REQUESTS',
    message: BUSY_MESSAGE,
    cause: Object.assign(new Error('send queue full'), { retryAfterSeconds: 1 }),
  });
}

/**
 * Runs one statement with a name, so on PostgreSQL each connection parses and plans it once
 * (a prepared statement) and then only binds its parameters. Its text never changes with the
 * batch size: every list goes in as one array parameter.
 */
async function run<T>(tx: Tx, name: string, text: string, params: unknown[]): Promise<T[]> {
  const query = tx._.session.prepareQuery<{
    execute: { rows: T[] };
    all: unknown;
    values: unknown;
  }>({ sql: text, params }, undefined, name, false);
  return (await query.execute()).rows;
}

/**
 * One statement: the batch's groups locked in id order (so two batches never wait on each
 * other in a circle), which of the senders are members of each, which (sender, clientId)
 * pairs are already stored (retries), the senders' names, and the transaction's timestamp
 * (every row this transaction writes gets it as `created_at`), to the millisecond.
 */
const LOCK_SQL = `with locked as (
    select id, kind, last_seq from groups
    where id = any($1::uuid[]) and archived_at is null
    order by id
    for update)
  select
    coalesce((select json_agg(json_build_object('id', l.id, 'kind', l.kind, 'lastSeq', l.last_seq,
      'members', (select coalesce(json_agg(m.user_id), '[]'::json) from group_members m
                  where m.group_id = l.id and m.user_id = any($2::uuid[]))))
      from locked l), '[]'::json) as groups,
    coalesce((select json_agg(json_build_object('senderId', p.sender_id, 'clientId', p.client_id))
      from messages p
      where (p.sender_id, p.client_id) in (select * from unnest($3::uuid[], $4::text[]))),
      '[]'::json) as priors,
    coalesce((select json_agg(json_build_object('id', u.id, 'handle', u.handle,
      'displayName', u.display_name))
      from users u where u.id = any($2::uuid[])), '[]'::json) as senders,
    floor(extract(epoch from now()) * 1000)::float8 as now_ms`;

/**
 * One statement: the messages inserted, skipping any whose (sender, clientId) is already taken
 * (by a send committed since the batch looked, or in flight in another transaction, whose
 * commit the insert waits for); then, only if every message went in, the groups' seqs bumped
 * and the messages' events inserted under the event-order lock (taken before any event id is
 * drawn and held until commit, so event ids become visible in id order; see `transact`). Each
 * event's payload is the message view with `atSeconds` as stored (a `real`), so it reads back
 * exactly as it was sent out. Every inserted message comes back, with its event if it has one.
 *
 * The insert goes in (sender, clientId) order, so two batches racing for the same clientIds
 * meet them in the same order and wait for each other instead of deadlocking. The event-order
 * lock is taken only after the insert is done, so no batch holds it while waiting for another.
 */
const WRITE_SQL = `with v as (select * from unnest($2::uuid[], $3::uuid[], $4::int[], $5::uuid[], $6::text[],
      $7::text[], $8::text[], $9::uuid[], $10::text[], $11::text[], $12::real[], $13::jsonb[],
      $14::uuid[], $15::uuid[])
      with ordinality as v(id, group_id, seq, sender_id, client_id, kind, body, clip_ref,
        clip_title, clip_thumbnail_url, at_seconds, payload, product_id, reply_to, n)),
  stored as (insert into messages (id, group_id, seq, sender_id, client_id, kind, body,
        clip_ref, clip_title, clip_thumbnail_url, at_seconds, product_id, reply_to)
      select id, group_id, seq, sender_id, client_id, kind, body, clip_ref, clip_title,
        clip_thumbnail_url, at_seconds, product_id, reply_to
      from v order by sender_id, client_id
      on conflict (sender_id, client_id) do nothing
      returning id, at_seconds),
  complete as (select (select count(*) from stored) = (select count(*) from v) as ok),
  event_order as (select pg_advisory_xact_lock($1::bigint) as locked from complete where ok),
  bumped as (update groups g set last_seq = b.seq
      from (select group_id, max(seq) as seq from v group by group_id) b, complete c
      where g.id = b.group_id and c.ok),
  logged as (insert into events (group_id, type, payload)
      select v.group_id, 'message.created', v.payload || jsonb_build_object('atSeconds', s.at_seconds)
      from v join stored s on s.id = v.id cross join event_order
      order by v.n
      returning id, payload)
  select s.id as message_id, l.id, l.payload
  from stored s left join logged l on (l.payload->>'id')::uuid = s.id`;

/**
 * Takes back the messages of a write that did not store the whole batch (they have no events
 * and their seqs have holes), so the rest can be written again with seqs that count up.
 */
const UNDO_SQL = 'delete from messages where id = any($1::uuid[])';

const CLIPS_SQL = 'select id, site, clip_id, url from clips where id = any($1::uuid[])';

interface WriteRow {
  message_id: string;
  /** The message's event, drawn only when the whole batch went in. */
  id: string | number | null;
  payload: unknown;
}

interface Locked {
  groups: { id: string; kind: string; lastSeq: number; members: string[] }[];
  priors: { senderId: string; clientId: string }[];
  senders: { id: string; handle: string; displayName: string | null }[];
  now_ms: number;
}

/** Drivers hand json back parsed, or (some) as text. */
const parsed = <T>(value: unknown): T =>
  (typeof value === 'string' ? JSON.parse(value) : value) as T;

/**
 * Stores concurrent `messages.send` calls together: sends waiting while batches are in flight
 * go into the next one, which stores them all in one transaction of two statements (lock the
 * groups and read what the batch needs; then bump the seqs, insert the messages and insert
 * their events) and one commit, instead of about ten statements and a commit each.
 * A lone send is stored at once, so batching costs no latency when the server is quiet.
 *
 * Several batches are in flight at once (`concurrency`), each on its own connection, but never
 * two with sends of the same group: a group's sends are stored in the order they arrived, and
 * its seqs count up with no hole. Across instances the group's row lock orders them.
 *
 * Every send waits in the same queue. A message in a group from a member that is not a retry
 * (text, clip, a product on sale, a reply to a message the sender saw) is stored in the batch.
 * Anything else (a retry, a direct thread, a non-member, a product not on sale, a reply to a
 * message the sender never saw, a clientId repeated within the batch or taken by another
 * transaction while the batch was written) is answered by `storeMessage` one by one after the
 * batch, and the batch's other sends still go in with it. Every send of a batch whose
 * transaction fails (a deadlock, a lost connection) goes that way too: the transaction stored
 * nothing, and each send then gets exactly the answer it would have got alone. Either way a
 * send is acknowledged only after its commit.
 *
 * Overload is bounded: at most `maxQueue` sends wait, none longer than `maxWaitMs`; past that a
 * send is refused with TOO_MANY_REQUESTS (nothing stored, so sending it again is safe).
 */
export class SendBatcher {
  private queue: Waiting[] = [];
  private running = 0;
  /** Groups with a batch in flight: their next sends wait for it. */
  private readonly busy = new Set<string>();
  private expiry: NodeJS.Timeout | null = null;
  /**
   * Settles once the last batch to draw event ids has published them (or rolled back). Batches
   * draw ids one after another (the event-order lock), so chaining on this publishes this
   * instance's batches in id order.
   */
  private published: Promise<void> = Promise.resolve();
  private readonly maxBatch: number;
  private readonly concurrency: number;
  private readonly maxQueue: number;
  private readonly maxWaitMs: number;
  /**
   * What went which way: batches committed, sends stored in them, sends stored one by one,
   * batches that failed, sends refused because the instance was overloaded, the most batches
   * that were in flight at once, and sends left out of their batch because another transaction
   * took their clientId while it was being written.
   */
  readonly stats = {
    batches: 0,
    together: 0,
    alone: 0,
    failedBatches: 0,
    refused: 0,
    mostInFlight: 0,
    taken: 0,
  };

  constructor(
    readonly deps: StoreDeps,
    options: BatcherOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 128;
    this.concurrency = options.concurrency ?? 4;
    this.maxQueue = options.maxQueue ?? 4096;
    this.maxWaitMs = options.maxWaitMs ?? 3000;
  }

  /** Sends waiting for a batch right now. */
  get queued(): number {
    return this.queue.length;
  }

  /**
   * Every kind of send waits here (text, clip, product, reply, in a group or a direct thread),
   * so an overloaded instance refuses all of them the same way.
   */
  submit(input: StoreMessageInput): Promise<MessageView> {
    if (this.queue.length >= this.maxQueue) {
      this.stats.refused += 1;
      return Promise.reject(busy());
    }
    return new Promise<MessageView>((resolve, reject) => {
      this.queue.push({ input, at: Date.now(), resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    while (this.running < this.concurrency && this.queue.length > 0) {
      const batch = this.take();
      if (batch.length === 0) break;
      const groups = new Set(batch.map((w) => w.input.groupId));
      for (const g of groups) this.busy.add(g);
      this.running += 1;
      this.stats.mostInFlight = Math.max(this.stats.mostInFlight, this.running);
      void this.run(batch).finally(() => {
        for (const g of groups) this.busy.delete(g);
        this.running -= 1;
        this.kick();
      });
    }
    this.watchExpiry();
  }

  /**
   * The next batch: the oldest sends of groups with no batch in flight, in arrival order. Sends
   * that waited too long are refused here (none of them was stored).
   */
  private take(): Waiting[] {
    const now = Date.now();
    const batch: Waiting[] = [];
    const rest: Waiting[] = [];
    for (const w of this.queue) {
      if (now - w.at > this.maxWaitMs) {
        this.stats.refused += 1;
        w.reject(busy());
      } else if (batch.length < this.maxBatch && !this.busy.has(w.input.groupId)) batch.push(w);
      else rest.push(w);
    }
    this.queue = rest;
    return batch;
  }

  /** While sends wait, looks again now and then, so none waits past `maxWaitMs` unanswered. */
  private watchExpiry(): void {
    if (this.expiry || this.queue.length === 0) return;
    this.expiry = setTimeout(
      () => {
        this.expiry = null;
        const now = Date.now();
        const kept: Waiting[] = [];
        for (const w of this.queue) {
          if (now - w.at > this.maxWaitMs) {
            this.stats.refused += 1;
            w.reject(busy());
          } else kept.push(w);
        }
        this.queue = kept;
        this.kick();
      },
      Math.max(50, this.maxWaitMs / 4),
    );
    this.expiry.unref();
  }

  private async run(batch: Waiting[]): Promise<void> {
    let alone: Waiting[] = [];
    try {
      const { stored, rest } = await this.storeTogether(batch);
      if (stored.length > 0) this.stats.batches += 1;
      this.stats.together += stored.length;
      for (const [w, view] of stored) w.resolve(view);
      alone = rest;
    } catch (error) {
      this.stats.failedBatches += 1;
      // The database is down or stalled: each send alone would wait out the same timeouts
      // again. Every send is told to try again (with its clientId, so a commit whose answer
      // was lost is found, not stored twice).
      if (isDatabaseUnavailable(error)) {
        for (const w of batch) w.reject(error);
        return;
      }
      // Nothing of this batch was stored: each send now goes alone and gets its own answer.
      alone = batch;
    }
    this.stats.alone += alone.length;
    // One by one, in arrival order, so a group's sends keep their order on this path too.
    for (const w of alone) await storeMessage(this.deps, w.input).then(w.resolve, w.reject);
  }

  /** Stores what it can in one transaction; returns the rest to be stored one by one. */
  private async storeTogether(
    batch: Waiting[],
  ): Promise<{ stored: [Waiting, MessageView][]; rest: Waiting[] }> {
    const rest: Waiting[] = [];
    // A clientId seen twice in one batch: the first goes in, the repeat is answered afterwards
    // as the retry it is.
    const seen = new Set<string>();
    const fresh: Waiting[] = [];
    for (const w of batch) {
      const key = `${w.input.senderId}\u0000${w.input.clientId}`;
      if (seen.has(key)) rest.push(w);
      else {
        seen.add(key);
        fresh.push(w);
      }
    }
    if (fresh.length === 0) return { stored: [], rest };

    const events: BusEvent[] = [];
    let turn: { before: Promise<void>; done: () => void } | null = null;
    const stored = await this.deps.db
      .transaction(async (tx) => {
        const groupIds = [...new Set(fresh.map((w) => w.input.groupId))].sort();
        const senderIds = [...new Set(fresh.map((w) => w.input.senderId))];
        const [row] = await run<Locked>(tx, 'send-batch-lock', LOCK_SQL, [
          groupIds,
          senderIds,
          fresh.map((w) => w.input.senderId),
          fresh.map((w) => w.input.clientId),
        ]);
        const live = new Map(parsed<Locked['groups']>(row!.groups).map((g) => [g.id, g]));
        const isMember = new Set(
          [...live.values()].flatMap((g) => g.members.map((userId) => `${g.id}\u0000${userId}`)),
        );
        const retried = new Set(
          parsed<Locked['priors']>(row!.priors).map((p) => `${p.senderId}\u0000${p.clientId}`),
        );
        const senders = new Map(parsed<Locked['senders']>(row!.senders).map((u) => [u.id, u]));
        const createdAt = new Date(Number(row!.now_ms)).toISOString();

        const take: {
          w: Waiting;
          view: MessageView;
          clipRef: string | null;
        }[] = [];
        const clipRefs = new Map<string, string>();
        // Retries, direct threads (blocks, request quotas), non-members, archived groups and a
        // clip stored beforehand: answered one by one.
        const candidates: Waiting[] = [];
        for (const w of fresh) {
          const { input } = w;
          if (
            live.get(input.groupId)?.kind !== 'group' ||
            !senders.has(input.senderId) ||
            !isMember.has(`${input.groupId}\u0000${input.senderId}`) ||
            retried.has(`${input.senderId}\u0000${input.clientId}`) ||
            input.clipRef
          )
            rest.push(w);
          else candidates.push(w);
        }
        // A product that is not on sale, or a reply to a message the sender never saw: answered
        // one by one too, with the error it gets there.
        const fine = await this.sharable(tx, candidates);
        for (const w of candidates) {
          const { input } = w;
          if (!fine.has(w)) {
            rest.push(w);
            continue;
          }
          const sender = senders.get(input.senderId)!;
          let clipRef: string | null = null;
          let clip: MessageView['clip'] = null;
          if (input.clip) {
            // Chat beside one video: many sends of a batch name the same clip; store it once.
            const { url } = input.clip;
            const key = [url.site, url.clipId].join('\u0000');
            clipRef = clipRefs.get(key) ?? (await upsertClip(tx, url));
            clipRefs.set(key, clipRef);
            const meta = clipMeta(url, input.clip);
            // The clip's link as stored is filled in below.
            clip = {
              site: url.site,
              clipId: url.clipId,
              url: '',
              title: meta.clipTitle,
              thumbnailUrl: meta.clipThumbnailUrl,
            };
          }
          take.push({
            w,
            clipRef,
            view: {
              id: randomUUID(),
              groupId: input.groupId,
              // Counted below, once it is known which sends go in.
              seq: 0,
              clientId: input.clientId,
              kind: input.kind,
              sender: {
                id: sender.id,
                handle: sender.handle,
                displayName: sender.displayName ?? sender.handle,
              },
              body: input.body ?? null,
              clip,
              atSeconds: input.atSeconds ?? null,
              productId: input.productId ?? null,
              replyTo: input.replyTo ?? null,
              createdAt,
              editedAt: null,
              deletedAt: null,
              reactions: [],
            },
          });
        }
        if (take.length === 0) return [];
        if (clipRefs.size > 0) {
          const rows = await run<{ id: string; site: string; clip_id: string; url: string }>(
            tx,
            'send-batch-clips',
            CLIPS_SQL,
            [[...new Set(clipRefs.values())]],
          );
          const byId = new Map(rows.map((r) => [r.id, r]));
          for (const t of take) {
            const stored = t.clipRef ? byId.get(t.clipRef) : undefined;
            if (t.view.clip && stored) {
              t.view.clip.site = stored.site;
              t.view.clip.clipId = stored.clip_id;
              t.view.clip.url = stored.url;
            }
          }
        }
        // Seqs follow each group's last one in arrival order. A send whose clientId another
        // transaction took since the lock (a retry on another instance, or the same clientId
        // sent to another group at the same moment) is not inserted; the others are then
        // written again without it, so the seqs have no hole, and it is answered one by one.
        let pending = take;
        let written: WriteRow[] = [];
        for (;;) {
          const next = new Map<string, number>();
          for (const t of pending) {
            const seq = (next.get(t.view.groupId) ?? live.get(t.view.groupId)!.lastSeq) + 1;
            next.set(t.view.groupId, seq);
            t.view.seq = seq;
          }
          written = await run<WriteRow>(tx, 'send-batch-write', WRITE_SQL, [
            EVENT_ORDER_LOCK,
            pending.map((t) => t.view.id),
            pending.map((t) => t.view.groupId),
            pending.map((t) => t.view.seq),
            pending.map((t) => t.w.input.senderId),
            pending.map((t) => t.view.clientId),
            pending.map((t) => t.view.kind),
            pending.map((t) => t.view.body),
            pending.map((t) => t.clipRef),
            pending.map((t) => (t.clipRef ? (t.view.clip?.title ?? null) : null)),
            pending.map((t) => (t.clipRef ? (t.view.clip?.thumbnailUrl ?? null) : null)),
            pending.map((t) => t.view.atSeconds),
            pending.map((t) => JSON.stringify(t.view)),
            pending.map((t) => t.view.productId),
            pending.map((t) => t.view.replyTo),
          ]);
          if (written.length === pending.length) break;
          const inserted = new Set(written.map((r) => String(r.message_id)));
          const taken = pending.filter((t) => !inserted.has(t.view.id));
          this.stats.taken += taken.length;
          for (const t of taken) rest.push(t.w);
          pending = pending.filter((t) => inserted.has(t.view.id));
          if (pending.length === 0) return [];
          await run(tx, 'send-batch-undo', UNDO_SQL, [pending.map((t) => t.view.id)]);
        }
        const byMessage = new Map(
          written.map((r) => {
            if (r.id === null) throw new Error('a stored message has no event');
            const payload = parsed<MessageView>(r.payload);
            return [payload.id, { id: Number(r.id), payload }];
          }),
        );
        // Ids drawn: the next batch's come after ours; publish after the previous batch's.
        let done = () => {};
        const next = new Promise<void>((resolve) => {
          done = resolve;
        });
        turn = { before: this.published, done };
        this.published = next;
        const out: [Waiting, MessageView][] = [];
        for (const t of pending) {
          const event = byMessage.get(t.view.id);
          if (!event) throw new Error('a stored message has no event');
          events.push({
            id: event.id,
            groupId: t.view.groupId,
            type: 'message.created',
            userId: null,
            payload: event.payload,
            createdAt,
          });
          out.push([t.w, event.payload]);
        }
        events.sort((a, b) => a.id! - b.id!);
        return out;
      })
      .catch(async (error: unknown) => {
        // Rolled back: nothing to publish, but the next batch must not wait on us.
        const t = turn as { before: Promise<void>; done: () => void } | null;
        if (t) await t.before.finally(t.done);
        throw error;
      });
    const t = turn as { before: Promise<void>; done: () => void } | null;
    if (t) {
      try {
        await t.before;
        for (const event of events) await this.deps.bus.publish(event);
      } finally {
        t.done();
      }
    }
    // Answered one by one in arrival order, so a group's sends keep their order there too.
    const order = new Map(batch.map((w, i) => [w, i]));
    rest.sort((a, b) => order.get(a)! - order.get(b)!);
    return { stored, rest };
  }

  /**
   * Which sends may go in as they are: a product shared must be on sale, and a reply must be
   * to a message of the same group said while the sender was a member (the checks
   * `insertMessage` makes, in one query each for the whole batch).
   */
  private async sharable(tx: Tx, sends: Waiting[]): Promise<Set<Waiting>> {
    const productIds = [...new Set(sends.flatMap((w) => w.input.productId ?? []))];
    const replyTos = [...new Set(sends.flatMap((w) => w.input.replyTo ?? []))];
    const onSale = new Set(
      (await productsWithBrands(tx, productIds))
        .filter((row) => row.product.active)
        .map((row) => row.product.id),
    );
    const targets = new Map<string, { groupId: string; seq: number }>();
    const periods = new Map<string, Period[]>();
    if (replyTos.length > 0) {
      for (const t of await tx
        .select({ id: messages.id, groupId: messages.groupId, seq: messages.seq })
        .from(messages)
        .where(inArray(messages.id, replyTos)))
        targets.set(t.id, t);
      const asking = sends.filter((w) => w.input.replyTo);
      for (const p of await tx
        .select({
          groupId: memberPeriods.groupId,
          userId: memberPeriods.userId,
          fromSeq: memberPeriods.fromSeq,
          toSeq: memberPeriods.toSeq,
        })
        .from(memberPeriods)
        .where(
          and(
            inArray(memberPeriods.groupId, [...new Set(asking.map((w) => w.input.groupId))]),
            inArray(memberPeriods.userId, [...new Set(asking.map((w) => w.input.senderId))]),
          ),
        )) {
        const key = `${p.groupId}\u0000${p.userId}`;
        periods.set(key, [...(periods.get(key) ?? []), { fromSeq: p.fromSeq, toSeq: p.toSeq }]);
      }
    }
    const fine = new Set<Waiting>();
    for (const w of sends) {
      const { input } = w;
      if (input.productId && !onSale.has(input.productId)) continue;
      if (input.replyTo) {
        const target = targets.get(input.replyTo);
        const seen = periods.get(`${input.groupId}\u0000${input.senderId}`) ?? [];
        if (target?.groupId !== input.groupId || !inPeriods(seen, target.seq)) continue;
      }
      fine.add(w);
    }
    return fine;
  }
}

const batchers = new WeakMap<Db, WeakMap<Bus, SendBatcher>>();

/** The batcher for one database and bus in this process (`options` apply when it is made). */
export function sendBatcher(deps: StoreDeps, options?: BatcherOptions): SendBatcher {
  let byBus = batchers.get(deps.db);
  if (!byBus) {
    byBus = new WeakMap();
    batchers.set(deps.db, byBus);
  }
  let batcher = byBus.get(deps.bus);
  if (!batcher) {
    batcher = new SendBatcher({ db: deps.db, bus: deps.bus }, options);
    byBus.set(deps.bus, batcher);
  }
  return batcher;
}
