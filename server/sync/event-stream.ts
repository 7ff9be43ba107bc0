import { TRPCError, type TrackedEnvelope, tracked } from '@trpc/server';
import type { BusEvent } from '../bus';
import { dataFrame, type FrameSocket, takeStart } from './frames';
import type { Inbox } from './inbox';
import type { Membership } from './membership';
import { revokes, SESSION_ENDED_MESSAGE } from './revocation';

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

/** One view per event, shared by every stream it goes to (a message reaches up to 32). */
const views = new WeakMap<BusEvent, SyncEvent>();

export function view(event: BusEvent): SyncEvent {
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

export type Frame = TrackedEnvelope<SyncEvent>;

const DONE: IteratorResult<Frame> = { value: undefined, done: true };
/** A live event that ends this session's stream (logout, logout everywhere, account deleted). */
const REVOKED = Symbol('revoked');

/**
 * One `sync.events` stream once it is set up: the opening frames (replay and `ready`), then live
 * events from the hub as they come, filtered to what this user may see.
 *
 * Over a WebSocket it writes its frames to the socket itself, synchronously as the hub delivers
 * each event (see `./frames.ts`); tRPC's loop then waits on one `next()` that settles
 * when the stream ends. Elsewhere (in-process callers) it is a plain async iterator: a busy
 * stream hands each frame over in one resolved promise, with no generator steps in between.
 */
export class LiveStream implements AsyncIterableIterator<Frame> {
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
export function marker(
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

export function resync(position: number, reason: 'pruned' | 'too-far-behind'): SyncEvent {
  return marker('resync', position, {
    reason,
    message: 'Missed too much to replay: refetch groups and messages, then carry on from here.',
  });
}
