import { and, gt, inArray } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { Bus, BusEvent } from '../bus';
import type { Db } from '../db/client';
import { sessions } from '../db/schema';
import { publishEphemeral } from '../events';

/** Bus-only signal (never stored): some or all of a user's sessions were ended. */
export const SESSION_REVOKED = 'session.revoked';

/** What a client is told when its session ends under it. */
export const SESSION_ENDED_MESSAGE =
  'This session has ended (signed out, signed out everywhere, or the account was deleted). Sign in again.';

/** WebSocket close code for a connection whose session was revoked (4000–4999: application). */
export const SESSION_ENDED_CLOSE_CODE = 4401;

/** How long a revoked socket stays open for answers already on their way. */
const CLOSE_GRACE_MS = 250;

interface RevokedPayload {
  all: boolean;
  tokenHashes: string[];
}

/**
 * Tells every instance that sessions of `userId` are gone, after the rows are deleted: their
 * event streams end and their sockets close. `'all'` ends every session of the user.
 */
export async function announceRevoked(
  deps: { bus: Bus },
  userId: string,
  which: 'all' | string[],
): Promise<void> {
  const payload: RevokedPayload =
    which === 'all' ? { all: true, tokenHashes: [] } : { all: false, tokenHashes: which };
  await publishEphemeral(deps, { groupId: '', type: SESSION_REVOKED, userId, payload });
}

/** Whether `event` ends the session `tokenHash` of `userId`. */
export function revokes(event: BusEvent, userId: string, tokenHash: string | null): boolean {
  if (event.type !== SESSION_REVOKED || event.userId !== userId) return false;
  const payload = event.payload as Partial<RevokedPayload> | null;
  if (payload?.all) return true;
  return tokenHash !== null && Array.isArray(payload?.tokenHashes)
    ? payload.tokenHashes.includes(tokenHash)
    : false;
}

/** How often open sockets' sessions are checked against the database by default. */
export const SESSION_RECHECK_MS = 2_000;

/** Taken once, so a test that fakes timers cannot stall the checks. */
const nextTurn = globalThis.setImmediate;

interface Waiter {
  resolve: (live: boolean) => void;
  reject: (error: unknown) => void;
}

/**
 * The signed-in WebSocket connections of this instance. A socket's context is made once, when
 * it connects, so a revoked session would otherwise keep working over an open socket: on a
 * revocation its sockets are closed, and the client reconnects as nobody.
 *
 * The revocation signal travels over the bus, which can lose it (Redis down or silently cut at
 * that moment). The session rows are deleted in the database before the signal goes out, so the
 * database is the truth, and three things read it:
 * - every `recheckMs` (a few seconds), one query for all open sockets' sessions;
 * - at once when the bus comes back from an outage (events published meanwhile are lost);
 * - before every procedure a socket runs (`stillSignedIn`), so a revoked socket can do nothing
 *   in the gap before it is closed. The checks of one event-loop turn share one query.
 * Sockets whose session is gone or expired are closed with `SESSION_ENDED_CLOSE_CODE`.
 */
export class SessionSockets {
  private readonly open = new Map<WebSocket, { userId: string; tokenHash: string }>();
  /** Every socket's session, kept after it closes (weakly): a late call is judged by it. */
  private readonly sessionOf = new WeakMap<WebSocket, { userId: string; tokenHash: string }>();
  /** Sockets closed because their session ended: their calls are refused without asking. */
  private readonly ended = new WeakSet<WebSocket>();
  private readonly stops: (() => void)[] = [];
  private readonly timer: NodeJS.Timeout | null = null;
  private checking: Promise<number> | null = null;
  private nextCheck: Promise<number> | null = null;
  private waiting = new Map<string, Waiter[]>();
  private flushing = false;

  constructor(
    private readonly bus: Bus,
    private readonly recheck?: { db: Db; recheckMs?: number; log?: Logger },
  ) {
    this.stops.push(
      bus.subscribe((event) => {
        if (event.type !== SESSION_REVOKED) return;
        for (const [socket, session] of this.open) {
          if (revokes(event, session.userId, session.tokenHash)) this.end(socket);
        }
      }),
    );
    if (recheck) {
      const stopReconnect = bus.onReconnect?.(() => {
        recheck.log?.info('bus reconnected: checking open sessions');
        void this.recheckNow();
      });
      if (stopReconnect) this.stops.push(stopReconnect);
      this.timer = setInterval(
        () => void this.recheckNow(),
        recheck.recheckMs ?? SESSION_RECHECK_MS,
      );
      this.timer.unref();
    }
  }

  private end(socket: WebSocket): void {
    this.open.delete(socket);
    this.ended.add(socket);
    // A moment's grace: when this very socket asked to end the session (log out everywhere
    // over the socket), its answer is still on the way out.
    setTimeout(() => socket.close(SESSION_ENDED_CLOSE_CODE, 'session ended'), CLOSE_GRACE_MS);
  }

  /**
   * Ends a session found gone without a signal: its signal is sent again, which reaches this
   * instance's own listeners at once (its event streams stop before anything more is written to
   * them, and its sockets close) and any other instance that missed it.
   */
  private endSession(session: { userId: string; tokenHash: string }): void {
    for (const [socket, open] of this.open) {
      if (open.tokenHash === session.tokenHash) this.end(socket);
    }
    announceRevoked({ bus: this.bus }, session.userId, [session.tokenHash]).catch((error) =>
      this.recheck?.log?.warn({ err: error }, 'announcing an ended session failed'),
    );
  }

  /** Which of `hashes` are sessions that exist and have not expired: one indexed query. */
  private async liveOf(hashes: string[]): Promise<Set<string>> {
    const live = new Set<string>();
    if (!this.recheck) return new Set(hashes);
    for (let i = 0; i < hashes.length; i += 1000) {
      const rows = await this.recheck.db
        .select({ tokenHash: sessions.tokenHash })
        .from(sessions)
        .where(
          and(
            inArray(sessions.tokenHash, hashes.slice(i, i + 1000)),
            gt(sessions.expiresAt, new Date()),
          ),
        );
      for (const row of rows) live.add(row.tokenHash);
    }
    return live;
  }

  /**
   * Closes the sockets whose session no longer exists or has expired; resolves with how many.
   * A call while a check is running waits for it and then checks again, so what it finds is
   * never older than the call.
   */
  async recheckNow(): Promise<number> {
    if (!this.recheck || this.open.size === 0) return 0;
    if (this.checking) {
      // The running check may have read the database before this call: one more after it.
      this.nextCheck ??= this.checking.then(() => {
        this.nextCheck = null;
        return this.recheckNow();
      });
      return this.nextCheck;
    }
    this.checking = this.checkOnce().finally(() => {
      this.checking = null;
    });
    return this.checking;
  }

  private async checkOnce(): Promise<number> {
    try {
      const asked = new Set([...this.open.values()].map((s) => s.tokenHash));
      const live = await this.liveOf([...asked]);
      const gone = new Map<string, { userId: string; tokenHash: string }>();
      // Only sessions the query asked about: a socket that signed in while it ran (a slow
      // query under load) is not in its answer, and is not thereby signed out.
      for (const session of this.open.values()) {
        if (asked.has(session.tokenHash) && !live.has(session.tokenHash))
          gone.set(session.tokenHash, session);
      }
      for (const session of gone.values()) this.endSession(session);
      return gone.size;
    } catch (error) {
      // The database is away: keep the sockets and look again next time.
      this.recheck?.log?.warn({ err: error }, 'checking open sessions failed; will retry');
      return 0;
    }
  }

  /**
   * Whether the session of a signed-in socket still exists, checked against the database now;
   * when it does not, the socket is closed. Every procedure run over a signed-in socket asks
   * first. Rejects when the database cannot answer.
   */
  async stillSignedIn(socket: WebSocket): Promise<boolean> {
    // Closing after its session ended: refused. A socket that merely closed (dropped under
    // load, a missed heartbeat) while one of its calls was on its way is judged by its session
    // like any other: "not signed in" signs the client out, so it is said only when true.
    if (this.ended.has(socket)) return false;
    const session = this.open.get(socket) ?? this.sessionOf.get(socket);
    if (!session) return false;
    if (!this.recheck) return true;
    const live = await new Promise<boolean>((resolve, reject) => {
      const list = this.waiting.get(session.tokenHash);
      if (list) list.push({ resolve, reject });
      else this.waiting.set(session.tokenHash, [{ resolve, reject }]);
      if (!this.flushing) {
        this.flushing = true;
        nextTurn(() => void this.flush());
      }
    });
    if (!live && this.open.has(socket)) this.endSession(session);
    return live;
  }

  /** Answers every check asked for since the last turn with one query. */
  private async flush(): Promise<void> {
    const batch = this.waiting;
    this.waiting = new Map();
    this.flushing = false;
    try {
      const live = await this.liveOf([...batch.keys()]);
      for (const [hash, waiters] of batch) for (const w of waiters) w.resolve(live.has(hash));
    } catch (error) {
      for (const waiters of batch.values()) for (const w of waiters) w.reject(error);
    }
  }

  track(socket: WebSocket, userId: string, tokenHash: string): void {
    this.sessionOf.set(socket, { userId, tokenHash });
    // Its sign-in lookup may finish after it closed: a closed socket is never kept.
    if (socket.readyState === socket.CLOSING || socket.readyState === socket.CLOSED) return;
    this.open.set(socket, { userId, tokenHash });
    socket.once('close', () => this.open.delete(socket));
  }

  get size(): number {
    return this.open.size;
  }

  close(): void {
    for (const stop of this.stops) stop();
    if (this.timer) clearInterval(this.timer);
    this.open.clear();
  }
}
