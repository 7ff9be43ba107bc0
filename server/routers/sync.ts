import { TRPCError, type TrackedEnvelope, tracked } from '@trpc/server';
import { and, eq, gt, gte, inArray, isNotNull, lte, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { BusEvent } from '../bus';
import { events, groupMembers, memberPeriods, messages, sessions } from '../db/schema';
import { dataFrame, type FrameSocket, takeStart } from '../sync/frames';
import { type Attachment, rowToBusEvent } from '../sync/hub';
import { Inbox } from '../sync/inbox';
import { revokes, SESSION_ENDED_MESSAGE } from '../sync/revocation';
import { type AuthedContext, authedProcedure, router } from '../trpc';

/** A subscriber that falls this far behind live delivery is cut over to a resync. */
const MAX_BACKLOG = 5000;
/** The same over a WebSocket: this much written to the socket and not yet taken by the client. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export interface SyncEvent {
  id: number | null;
  type: string;
  groupId: string | null;
  userId: string | null;
  payload: unknown;
  createdAt: string;
}

const openStreams = new Map<string, number>();

/** One view per event, shared by every stream it goes to (a message reaches up to 32). */
const views = new WeakMap<BusEvent, SyncEvent>();

function view(event: BusEvent): SyncEvent {
  let shown = views.get(event);
  if (!shown) {
    shown = {
      id: event.id ?? null,
      type: event.type,
      groupId: event.groupId,
      userId: event.userId ?? null,
      payload: event.payload,
      createdAt: event.createdAt,
    };
    views.set(event, shown);
  }
  return shown;
}

/**
 * One span of one user's membership in a group: the events with ids `from..to`, and the messages
 * with `fromSeq < seq <= toSeq` (`to`, `toSeq` Infinity while still in).
 */
interface Span {
  from: number;
  to: number;
  fromSeq: number;
  toSeq: number;
}

/** Events about one existing message: who may see them depends on when it was said. */
const ABOUT_A_MESSAGE = new Set(['message.edited', 'message.deleted', 'reaction.changed']);

/** A whole number field of an event's payload, if it has one. */
function numberField(payload: unknown, key: string): number | undefined {
  const value = (payload as Record<string, unknown> | null)?.[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * What one user may see of the stream, following their joins and removals as they happen: each
 * group's events from the time they were members, and of the events about a message (edits,
 * deletions, reactions) only those about messages said while they were members
 * (`member_periods`; the same rule as `messages.list`).
 */
class Membership {
  /** Per group, the highest message seq this stream has seen said (a fallback, see `close`). */
  private readonly said = new Map<string, number>();

  constructor(
    private readonly userId: string,
    private readonly groups: Map<string, Span[]>,
  ) {}

  /** Whether the event is theirs; updates the membership for joins and departures. */
  admit(event: BusEvent): boolean {
    const aboutMe = event.userId === this.userId;
    const id = event.id;
    if (aboutMe && event.type === 'member.added') {
      const spans = this.groups.get(event.groupId) ?? [];
      // Known already when replayed from the database; a live join opens a new span. Without a
      // `fromSeq` (an event from an older server), the span's first message tells it.
      if (!spans.some((s) => s.from === (id ?? 0))) {
        const fromSeq = numberField(event.payload, 'fromSeq') ?? Infinity;
        spans.push({ from: id ?? 0, to: Infinity, fromSeq, toSeq: Infinity });
      }
      this.groups.set(event.groupId, spans);
      return true;
    }
    if (aboutMe && (event.type === 'member.removed' || event.type === 'member.left')) {
      this.close(event.groupId, id, numberField(event.payload, 'toSeq'));
      return true;
    }
    const spans = this.groups.get(event.groupId);
    if (!spans) return false;
    if (id === undefined) return spans.some((s) => s.to === Infinity);
    const span = spans.find((s) => id >= s.from && id <= s.to);
    if (event.type === 'group.archived') this.close(event.groupId, id);
    if (!span) return false;
    if (event.type === 'message.created') {
      const seq = numberField(event.payload, 'seq');
      if (seq !== undefined) {
        // Every message of a span this stream saw open is said after the join, so seen here.
        if (span.fromSeq === Infinity) span.fromSeq = seq - 1;
        this.said.set(event.groupId, Math.max(this.said.get(event.groupId) ?? 0, seq));
      }
      return true;
    }
    if (!ABOUT_A_MESSAGE.has(event.type)) return true;
    // About a message: only if it was said while they were in (any of their spans).
    const seq = numberField(event.payload, 'seq');
    return seq !== undefined && spans.some((s) => seq > s.fromSeq && seq <= s.toSeq);
  }

  /**
   * Ends the span open at `id` (a span that started later is a later membership) at message
   * `toSeq`; without one (an event from an older server), at the last message seen said here.
   */
  private close(groupId: string, id: number | undefined, toSeq?: number) {
    for (const span of this.groups.get(groupId) ?? []) {
      if (span.to === Infinity && (id === undefined || span.from <= id)) {
        span.to = id ?? span.from;
        if (span.toSeq === Infinity)
          span.toSeq = toSeq ?? Math.max(span.fromSeq, this.said.get(groupId) ?? 0);
      }
    }
  }
}

/**
 * Replayed reactions stored before their payload carried the message's seq: looks it up, so the
 * replay follows the same rule as the live stream.
 */
async function withMessageSeqs(
  db: AuthedContext['db'],
  rows: (typeof events.$inferSelect)[],
): Promise<(typeof events.$inferSelect)[]> {
  const missing = new Set<string>();
  for (const row of rows) {
    const messageId = (row.payload as { messageId?: unknown } | null)?.messageId;
    if (
      row.type === 'reaction.changed' &&
      numberField(row.payload, 'seq') === undefined &&
      typeof messageId === 'string'
    )
      missing.add(messageId);
  }
  if (missing.size === 0) return rows;
  const found = await db
    .select({ id: messages.id, seq: messages.seq })
    .from(messages)
    .where(inArray(messages.id, [...missing]));
  const seqs = new Map(found.map((m) => [m.id, m.seq]));
  return rows.map((row) => {
    const messageId = (row.payload as { messageId?: unknown } | null)?.messageId;
    const seq = typeof messageId === 'string' ? seqs.get(messageId) : undefined;
    if (
      row.type !== 'reaction.changed' ||
      seq === undefined ||
      numberField(row.payload, 'seq') !== undefined
    )
      return row;
    return { ...row, payload: { ...(row.payload as object), seq } };
  });
}

export const syncRouter = router({
  events: authedProcedure
    .input(
      z
        .object({
          lastEventId: z
            .string()
            .regex(/^\d{1,15}$/, 'lastEventId must be an id received from this stream')
            .nullish(),
        })
        .optional(),
    )
    .subscription(async ({ ctx, input, signal }) => {
      const me = ctx.user.id;
      const streams = openStreams.get(me) ?? 0;
      if (streams >= ctx.limits.settings.socketsPerUser) {
        throw new TRPCError({
          code: 'TOO_MANY_REQUESTS',
          message: `Too many open connections for this account (at most ${ctx.limits.settings.socketsPerUser}). Close another tab or device and retry.`,
        });
      }
      openStreams.set(me, streams + 1);

      // Attach first, so nothing committed from here on can slip between replay and live.
      const inbox = new Inbox<BusEvent>(signal);
      let hub: Attachment | undefined;
      const stream = new LiveStream(inbox, me, ctx.tokenHash, ctx.socket, () => {
        hub?.detach();
        const left = (openStreams.get(me) ?? 1) - 1;
        if (left <= 0) openStreams.delete(me);
        else openStreams.set(me, left);
      });
      signal?.addEventListener('abort', () => stream.close(), { once: true });
      try {
        const joins = new Set<string>();
        hub = await ctx.hub.attach(
          (event) => {
            // A join seen live: that group's events must reach this stream from now on.
            if (event.type === 'member.added' && event.userId === me) {
              joins.add(event.groupId);
              hub?.watch(event.groupId);
            }
            stream.deliver(event);
          },
          { userId: me },
        );
        for (const groupId of joins) hub.watch(groupId);
        const { position } = hub;
        // Signed out (or deleted) between the context being made and attaching: nothing more.
        const [session] = await ctx.db
          .select({ userId: sessions.userId })
          .from(sessions)
          .where(eq(sessions.tokenHash, ctx.tokenHash));
        if (!session) throw new TRPCError({ code: 'UNAUTHORIZED', message: SESSION_ENDED_MESSAGE });
        const cursor = input?.lastEventId ? Number(input.lastEventId) : position;
        // The user's spans in each group they are in now (earlier spans too, if they were out
        // for a while). A group they have left replays only their removal from it.
        const periods = await ctx.db
          .select({
            groupId: memberPeriods.groupId,
            from: memberPeriods.fromEventId,
            to: memberPeriods.toEventId,
            fromSeq: memberPeriods.fromSeq,
            toSeq: memberPeriods.toSeq,
          })
          .from(memberPeriods)
          .innerJoin(
            groupMembers,
            and(
              eq(groupMembers.groupId, memberPeriods.groupId),
              eq(groupMembers.userId, memberPeriods.userId),
            ),
          )
          .where(eq(memberPeriods.userId, me));
        const spans = new Map<string, Span[]>();
        const seen = new Set<string>();
        for (const p of periods) {
          const key = `${p.groupId}:${p.from}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const list = spans.get(p.groupId) ?? [];
          list.push({
            from: p.from,
            to: p.to ?? Infinity,
            fromSeq: p.fromSeq,
            toSeq: p.toSeq ?? Infinity,
          });
          spans.set(p.groupId, list);
        }
        const current = [...new Set(periods.filter((p) => p.to === null).map((p) => p.groupId))];
        // From here the hub wakes this stream only for its groups and for events about this user
        // (a superset of what `Membership` admits: groups are only ever added to the filter).
        hub.narrow(current);
        const membership = new Membership(me, spans);
        const opening: Frame[] = [];
        let sent = position;

        if (input?.lastEventId) {
          // What this user may see after the cursor: each span of each of their groups (an
          // index range per span), and their own removals from groups they have left. Only
          // their groups' events are read, however busy the rest of the table is.
          const ranges = [...spans].flatMap(([groupId, list]) =>
            list
              .filter((span) => span.to > cursor)
              .map((span) =>
                and(
                  eq(events.groupId, groupId),
                  gte(events.id, span.from),
                  span.to === Infinity ? undefined : lte(events.id, span.to),
                ),
              ),
          );
          const replay = await ctx.db
            .select()
            .from(events)
            .where(
              and(
                gt(events.id, cursor),
                or(
                  ...ranges,
                  and(
                    eq(events.userId, me),
                    isNotNull(events.userId),
                    inArray(events.type, ['member.removed', 'member.left']),
                  ),
                ),
              ),
            )
            .orderBy(events.id)
            .limit(ctx.limits.settings.replayLimit + 1);
          const [oldest] = await ctx.db
            .select({ min: sql<string | null>`min(${events.id})` })
            .from(events);
          const pruned = oldest?.min != null && Number(oldest.min) > cursor + 1 && cursor > 0;
          if (
            replay.length > ctx.limits.settings.replayLimit ||
            pruned ||
            cursor > Math.max(position, replay.at(-1)?.id ?? 0)
          ) {
            opening.push(
              tracked(String(position), resync(position, pruned ? 'pruned' : 'too-far-behind')),
            );
          } else {
            sent = cursor;
            for (const row of await withMessageSeqs(ctx.db, replay)) {
              const event = rowToBusEvent(row);
              if (!membership.admit(event)) continue;
              sent = row.id;
              opening.push(tracked(String(row.id), view(event)));
            }
            sent = Math.max(sent, position);
          }
        }

        // Caught up: from here on everything arrives live. Clients may now load state by query.
        opening.push(tracked(String(sent), marker('ready', sent, { message: 'Live.' })));
        stream.open(opening, membership, sent);
        return stream;
      } catch (error) {
        stream.close();
        throw error;
      }
    }),
});

type Frame = TrackedEnvelope<SyncEvent>;

const DONE: IteratorResult<Frame> = { value: undefined, done: true };
/** A live event that ends this session's stream (logout, logout everywhere, account deleted). */
const REVOKED = Symbol('revoked');

/**
 * One `sync.events` stream once it is set up: the opening frames (replay and `ready`), then live
 * events from the hub as they come, filtered to what this user may see.
 *
 * Over a WebSocket it writes its frames to the socket itself, synchronously as the hub delivers
 * each event (see `../sync/frames.ts`); tRPC's loop then waits on one `next()` that settles
 * when the stream ends. Elsewhere (in-process callers) it is a plain async iterator: a busy
 * stream hands each frame over in one resolved promise, with no generator steps in between.
 */
class LiveStream implements AsyncIterableIterator<Frame> {
  private opening: Frame[] = [];
  private membership: Membership | null = null;
  /** The id of the last event sent: a resume point, and what is already delivered. */
  private sent = 0;
  /** Events delivered by the hub and not yet read (iterator mode). */
  private backlog = 0;
  private overflowed = false;
  /** Set once the stream's last frame (a resync) has gone: the next read ends it. */
  private finishing = false;
  private closed = false;
  private asked = false;
  /** Direct mode: the data-frame prefix of this subscription, and how the stream ends. */
  private prefix: string | null = null;
  private ending: {
    resolve: (r: IteratorResult<Frame>) => void;
    reject: (e: unknown) => void;
  } | null = null;

  constructor(
    private readonly inbox: Inbox<BusEvent>,
    private readonly me: string,
    private readonly tokenHash: string,
    private readonly socket: FrameSocket | undefined,
    private readonly onClose: () => void,
  ) {}

  /** From the hub: written at once in direct mode, otherwise queued until read. */
  deliver(event: BusEvent): void {
    if (this.prefix !== null) {
      this.live(event);
      return;
    }
    if (this.overflowed) return;
    if (++this.backlog > MAX_BACKLOG) {
      this.overflowed = true;
      this.inbox.push(OVERFLOW);
      return;
    }
    this.inbox.push(event);
  }

  open(opening: Frame[], membership: Membership, sent: number): void {
    this.opening = opening.reverse();
    this.membership = membership;
    this.sent = sent;
  }

  [Symbol.asyncIterator](): this {
    if (!this.asked) {
      this.asked = true;
      // tRPC asks for the iterator right after sending `started` for this subscription.
      const prefix = this.socket && !this.closed ? takeStart(this.socket) : null;
      if (prefix !== null) this.goDirect(prefix);
    }
    return this;
  }

  next(): Promise<IteratorResult<Frame>> {
    if (this.prefix !== null) {
      if (this.closed) return Promise.resolve(DONE);
      return new Promise((resolve, reject) => {
        this.ending = { resolve, reject };
      });
    }
    const first = this.opening.pop();
    if (first) return Promise.resolve({ value: first, done: false });
    for (;;) {
      if (this.closed || this.finishing || !this.membership || this.inbox.ended) {
        this.close();
        return Promise.resolve(DONE);
      }
      const event = this.inbox.shift();
      if (event === undefined) return this.inbox.wait().then(() => this.next());
      this.backlog -= 1;
      if (event === OVERFLOW) {
        // Too slow to keep up: tell the client to refetch, then end so it reconnects fresh.
        this.finishing = true;
        return Promise.resolve({ value: this.resync(), done: false });
      }
      const shown = this.accept(event);
      if (shown === REVOKED) {
        this.close();
        return Promise.reject(sessionEnded());
      }
      if (shown) return Promise.resolve({ value: tracked(String(this.sent), shown), done: false });
    }
  }

  return(): Promise<IteratorResult<Frame>> {
    this.close();
    return Promise.resolve(DONE);
  }

  close(error?: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.inbox.end();
    this.onClose();
    const ending = this.ending;
    this.ending = null;
    if (error === undefined) ending?.resolve(DONE);
    else ending?.reject(error);
  }

  /** What a live event becomes here: the view to send, nothing, or the end of the session. */
  private accept(event: BusEvent): SyncEvent | null | typeof REVOKED {
    if (revokes(event, this.me, this.tokenHash)) return REVOKED;
    if (event.id !== undefined && event.id <= this.sent) return null;
    if (!this.membership?.admit(event)) return null;
    // Ephemeral events carry the current position so a client's resume point stays put.
    if (event.id !== undefined) this.sent = event.id;
    return view(event);
  }

  private resync(): Frame {
    return tracked(String(this.sent), resync(this.sent, 'too-far-behind'));
  }

  /** Writes the opening frames and whatever arrived meanwhile; from now on events go at once. */
  private goDirect(prefix: string): void {
    this.prefix = prefix;
    for (let frame = this.opening.pop(); frame; frame = this.opening.pop()) this.writeFrame(frame);
    if (this.overflowed) {
      this.writeFrame(this.resync());
      this.close();
      return;
    }
    for (let event = this.inbox.shift(); event !== undefined; event = this.inbox.shift()) {
      if (this.closed) return;
      this.live(event);
    }
  }

  private live(event: BusEvent): void {
    if (this.closed) return;
    const socket = this.socket as FrameSocket;
    if (socket.readyState !== socket.OPEN) return; // tRPC ends the stream as the socket closes
    const shown = this.accept(event);
    if (shown === REVOKED) {
      this.close(sessionEnded());
      return;
    }
    if (!shown) return;
    if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      // The client reads slower than events come: tell it to refetch, then end the stream.
      this.writeFrame(this.resync());
      this.close();
      return;
    }
    try {
      this.write(String(this.sent), shown);
    } catch (error) {
      // Not written: end the stream with the error; the client resumes from before this event.
      this.close(error);
    }
  }

  private writeFrame([id, data]: Frame): void {
    this.write(id, data);
  }

  private write(trackedId: string, data: SyncEvent): void {
    (this.socket as FrameSocket).send(dataFrame(this.prefix as string, trackedId, data));
  }
}

function sessionEnded(): TRPCError {
  return new TRPCError({ code: 'UNAUTHORIZED', message: SESSION_ENDED_MESSAGE });
}

/** Queued in place of further events once a stream has fallen too far behind. */
const OVERFLOW = { type: 'overflow' } as unknown as BusEvent;

/** Stream control events: not about a group, carrying the stream position. */
function marker(
  type: 'ready' | 'resync',
  position: number,
  payload: Record<string, string>,
): SyncEvent {
  return {
    id: position,
    type,
    groupId: null,
    userId: null,
    payload,
    createdAt: new Date().toISOString(),
  };
}

function resync(position: number, reason: 'pruned' | 'too-far-behind'): SyncEvent {
  return marker('resync', position, {
    reason,
    message: 'Missed too much to replay: refetch groups and messages, then carry on from here.',
  });
}
