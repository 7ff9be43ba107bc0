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
export const SESSION_RECHECK_MS = 60_000;

/**
 * The signed-in WebSocket connections of this instance. A socket's context is made once, when
 * it connects, so a revoked session would otherwise keep working over an open socket: on a
 * revocation its sockets are closed, and the client reconnects as nobody. The revocation signal
 * travels over the bus, which can lose it (Redis down at that moment); as a safety net, the
 * sessions of open sockets are checked against the database every `recheckMs`, and sockets whose
 * session is gone or expired are closed the same way.
 */
export class SessionSockets {
  private readonly open = new Map<WebSocket, { userId: string; tokenHash: string }>();
  private readonly stop: () => void;
  private readonly timer: NodeJS.Timeout | null = null;
  private checking = false;

  constructor(
    bus: Bus,
    private readonly recheck?: { db: Db; recheckMs?: number; log?: Logger },
  ) {
    this.stop = bus.subscribe((event) => {
      if (event.type !== SESSION_REVOKED) return;
      for (const [socket, session] of this.open) {
        if (revokes(event, session.userId, session.tokenHash)) this.end(socket);
      }
    });
    if (recheck) {
      this.timer = setInterval(
        () => void this.recheckNow(),
        recheck.recheckMs ?? SESSION_RECHECK_MS,
      );
      this.timer.unref();
    }
  }

  private end(socket: WebSocket): void {
    this.open.delete(socket);
    // A moment's grace: when this very socket asked to end the session (log out everywhere
    // over the socket), its answer is still on the way out.
    setTimeout(() => socket.close(SESSION_ENDED_CLOSE_CODE, 'session ended'), CLOSE_GRACE_MS);
  }

  /** Closes the sockets whose session no longer exists or has expired. */
  async recheckNow(): Promise<number> {
    if (!this.recheck || this.checking || this.open.size === 0) return 0;
    this.checking = true;
    try {
      const hashes = [...new Set([...this.open.values()].map((s) => s.tokenHash))];
      const live = new Set<string>();
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
      let ended = 0;
      for (const [socket, session] of this.open) {
        if (!live.has(session.tokenHash)) {
          this.end(socket);
          ended += 1;
        }
      }
      return ended;
    } catch (error) {
      // The database is away: keep the sockets and look again next time.
      this.recheck.log?.warn({ err: error }, 'checking open sessions failed; will retry');
      return 0;
    } finally {
      this.checking = false;
    }
  }

  track(socket: WebSocket, userId: string, tokenHash: string): void {
    this.open.set(socket, { userId, tokenHash });
    socket.once('close', () => this.open.delete(socket));
  }

  get size(): number {
    return this.open.size;
  }

  close(): void {
    this.stop();
    if (this.timer) clearInterval(this.timer);
    this.open.clear();
  }
}
