import type { WebSocket } from 'ws';
import type { Bus, BusEvent } from '../bus';
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

/**
 * The signed-in WebSocket connections of this instance. A socket's context is made once, when
 * it connects, so a revoked session would otherwise keep working over an open socket: on a
 * revocation its sockets are closed, and the client reconnects as nobody.
 */
export class SessionSockets {
  private readonly open = new Map<WebSocket, { userId: string; tokenHash: string }>();
  private readonly stop: () => void;

  constructor(bus: Bus) {
    this.stop = bus.subscribe((event) => {
      if (event.type !== SESSION_REVOKED) return;
      for (const [socket, session] of this.open) {
        if (revokes(event, session.userId, session.tokenHash)) {
          this.open.delete(socket);
          // A moment's grace: when this very socket asked to end the session (log out
          // everywhere over the socket), its answer is still on the way out.
          setTimeout(() => socket.close(SESSION_ENDED_CLOSE_CODE, 'session ended'), CLOSE_GRACE_MS);
        }
      }
    });
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
    this.open.clear();
  }
}
