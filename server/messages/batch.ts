import { and, asc, inArray, isNull, sql } from 'drizzle-orm';
import type { Bus } from '../bus';
import { clipMeta, upsertClip } from '../clips/store';
import { type Db, isDatabaseUnavailable } from '../db/client';
import { groupMembers, groups, messages } from '../db/schema';
import { transact } from '../events';
import { type StoreMessageInput, storeMessage } from './store-message';
import { type MessageView, selectMessages, toMessageView } from './view';

type StoreDeps = Parameters<typeof transact>[0];

interface Waiting {
  input: StoreMessageInput;
  resolve: (view: MessageView) => void;
  reject: (error: unknown) => void;
}

export interface BatcherOptions {
  /** The most sends stored in one transaction. */
  maxBatch?: number;
  /**
   * How many batches may be in flight at once (each on its own connection). With one, sends on
   * this instance are stored in the order they arrived.
   */
  concurrency?: number;
}

/**
 * Stores concurrent `messages.send` calls together: every send waiting while a batch is in
 * flight goes into the next one, which stores them all in one transaction with a handful of
 * statements (lock the groups and check memberships in one, bump the seqs, insert the messages,
 * read them back, insert the events) and one commit, instead of about ten statements and a
 * commit each.
 * A lone send is stored at once, so batching costs no latency when the server is quiet.
 *
 * Only the common case takes this path: a text or clip message in a group, from a member, that
 * is not a retry. Anything else (a retry, a reply, a product, a direct thread, a non-member, a
 * clientId repeated within the batch) goes through `storeMessage` one by one, and so does every
 * send of a batch whose transaction fails (a concurrent retry on another instance, a deadlock):
 * the transaction stored nothing, and each send then gets exactly the answer it would have got
 * alone. Either way a send is acknowledged only after its commit.
 */
export class SendBatcher {
  private readonly queue: Waiting[] = [];
  private running = 0;
  private readonly maxBatch: number;
  private readonly concurrency: number;
  /** What went which way: batches committed, sends stored in them, sends stored one by one. */
  readonly stats = { batches: 0, together: 0, alone: 0, failedBatches: 0 };

  constructor(
    readonly deps: StoreDeps,
    options: BatcherOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 128;
    this.concurrency = options.concurrency ?? 1;
  }

  submit(input: StoreMessageInput): Promise<MessageView> {
    if (input.replyTo || input.productId || input.kind === 'product') {
      return storeMessage(this.deps, input);
    }
    return new Promise<MessageView>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    while (this.running < this.concurrency && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.running += 1;
      void this.run(batch).finally(() => {
        this.running -= 1;
        this.kick();
      });
    }
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
    await Promise.all(alone.map((w) => storeMessage(this.deps, w.input).then(w.resolve, w.reject)));
  }

  /** Stores what it can in one transaction; returns the rest to be stored one by one. */
  private async storeTogether(
    batch: Waiting[],
  ): Promise<{ stored: [Waiting, MessageView][]; rest: Waiting[] }> {
    const db = this.deps.db;
    const rest: Waiting[] = [];
    // A clientId seen twice in one batch: the first goes in, the repeat is answered afterwards
    // as the retry it is.
    const seen = new Set<string>();
    let fresh: Waiting[] = [];
    for (const w of batch) {
      const key = `${w.input.senderId}\u0000${w.input.clientId}`;
      if (seen.has(key)) rest.push(w);
      else {
        seen.add(key);
        fresh.push(w);
      }
    }
    if (fresh.length === 0) return { stored: [], rest };
    const priors = await db
      .select({ senderId: messages.senderId, clientId: messages.clientId })
      .from(messages)
      .where(
        sql`(${messages.senderId}, ${messages.clientId}) in (select * from unnest(${sql.param(
          fresh.map((w) => w.input.senderId),
        )}::uuid[], ${sql.param(fresh.map((w) => w.input.clientId))}::text[]))`,
      );
    if (priors.length > 0) {
      const retried = new Set(priors.map((p) => `${p.senderId}\u0000${p.clientId}`));
      const next: Waiting[] = [];
      for (const w of fresh) {
        if (retried.has(`${w.input.senderId}\u0000${w.input.clientId}`)) rest.push(w);
        else next.push(w);
      }
      fresh = next;
    }
    if (fresh.length === 0) return { stored: [], rest };

    const stored = await transact(this.deps, async (tx, emit) => {
      const groupIds = [...new Set(fresh.map((w) => w.input.groupId))].sort();
      // Row locks in id order, so two batches never wait on each other in a circle.
      const senders = [...new Set(fresh.map((w) => w.input.senderId))];
      // One statement: the groups' rows locked, and which of the senders are members of each.
      const locked = await tx
        .select({
          id: groups.id,
          kind: groups.kind,
          lastSeq: groups.lastSeq,
          members: sql<string[] | null>`(select array_agg(${groupMembers.userId}::text)
            from ${groupMembers}
            where ${groupMembers.groupId} = ${groups.id}
              and ${groupMembers.userId} = any(${sql.param(senders)}::uuid[]))`,
        })
        .from(groups)
        .where(and(inArray(groups.id, groupIds), isNull(groups.archivedAt)))
        .orderBy(asc(groups.id))
        .for('update', { of: groups });
      const live = new Map(locked.map((g) => [g.id, g]));
      const isMember = new Set(
        locked.flatMap((g) => (g.members ?? []).map((userId) => `${g.id}\u0000${userId}`)),
      );
      const take: {
        w: Waiting;
        seq: number;
        clipRef: string | null;
        meta: ReturnType<typeof clipMeta> | null;
      }[] = [];
      const clipRefs = new Map<string, string>();
      for (const w of fresh) {
        const group = live.get(w.input.groupId);
        // Direct threads (blocks), non-members and archived groups: answered one by one.
        if (
          group?.kind !== 'group' ||
          !isMember.has(`${w.input.groupId}\u0000${w.input.senderId}`)
        ) {
          rest.push(w);
          continue;
        }
        group.lastSeq += 1;
        let clipRef = w.input.clipRef ?? null;
        let meta: ReturnType<typeof clipMeta> | null = null;
        if (w.input.clip) {
          // Chat beside one video: many sends of a batch name the same clip; store it once.
          const { url } = w.input.clip;
          const key = [url.site, url.clipId].join('\u0000');
          clipRef = clipRefs.get(key) ?? (await upsertClip(tx, url));
          clipRefs.set(key, clipRef);
          meta = clipMeta(url, w.input.clip);
        }
        take.push({ w, seq: group.lastSeq, clipRef, meta });
      }
      if (take.length === 0) return [];
      const bumped = locked.filter((g) => take.some((t) => t.w.input.groupId === g.id));
      await tx.execute(sql`update ${groups} set last_seq = v.seq
        from (select unnest(${sql.param(bumped.map((g) => g.id))}::uuid[]) as id,
                     unnest(${sql.param(bumped.map((g) => g.lastSeq))}::int[]) as seq) as v
        where ${groups.id} = v.id`);
      const inserted = await tx
        .insert(messages)
        .values(
          take.map(({ w, seq, clipRef, meta }) => ({
            groupId: w.input.groupId,
            seq,
            senderId: w.input.senderId,
            clientId: w.input.clientId,
            kind: w.input.kind,
            body: w.input.body ?? null,
            clipRef,
            clipTitle: meta?.clipTitle ?? null,
            clipThumbnailUrl: meta?.clipThumbnailUrl ?? null,
            atSeconds: w.input.atSeconds ?? null,
          })),
        )
        .returning({ id: messages.id, groupId: messages.groupId, seq: messages.seq });
      const rows = await selectMessages(tx).where(
        inArray(
          messages.id,
          inserted.map((r) => r.id),
        ),
      );
      // Messages stored a moment ago in this transaction have no reactions yet.
      const views = new Map(rows.map((row) => [row.id, toMessageView(row)]));
      const out: [Waiting, MessageView][] = [];
      for (const [i, t] of take.entries()) {
        const view = views.get(inserted[i]!.id);
        if (!view) throw new Error('a stored message could not be read back');
        emit({ groupId: t.w.input.groupId, type: 'message.created', payload: view });
        out.push([t.w, view]);
      }
      return out;
    });
    return { stored, rest };
  }
}

const batchers = new WeakMap<Db, WeakMap<Bus, SendBatcher>>();

/** The batcher for one database and bus in this process. */
export function sendBatcher(deps: StoreDeps): SendBatcher {
  let byBus = batchers.get(deps.db);
  if (!byBus) {
    byBus = new WeakMap();
    batchers.set(deps.db, byBus);
  }
  let batcher = byBus.get(deps.bus);
  if (!batcher) {
    batcher = new SendBatcher({ db: deps.db, bus: deps.bus });
    byBus.set(deps.bus, batcher);
  }
  return batcher;
}
