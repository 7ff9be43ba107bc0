import { and, eq, gt, inArray } from 'drizzle-orm';
import type { Db } from '../db/client';
import { sessions, users } from '../db/schema';

export interface SignedInUser {
  id: string;
  handle: string;
  displayName: string;
}

interface Waiter {
  resolve: (user: SignedInUser | null) => void;
  reject: (error: unknown) => void;
}

/** Taken once, so a test that fakes timers cannot stall sign-in. */
const nextTurn = globalThis.setImmediate;

/** The most token hashes asked for in one query. */
const CHUNK = 1000;

/**
 * Looks sessions up by token hash, every lookup asked for in one turn of the event loop in one
 * query. When many sockets sign in at once (a restart's reconnect wave, 1,000+ of them), each
 * would otherwise take a pool connection of its own and most would wait in the pool's queue,
 * where the pool's connect timeout also applies: they failed as "database unavailable" while
 * the database was fine, only busy answering the same question one socket at a time.
 */
class SessionLookup {
  private waiting = new Map<string, Waiter[]>();
  private scheduled = false;

  constructor(private readonly db: Db) {}

  find(tokenHash: string): Promise<SignedInUser | null> {
    return new Promise((resolve, reject) => {
      const list = this.waiting.get(tokenHash);
      if (list) list.push({ resolve, reject });
      else this.waiting.set(tokenHash, [{ resolve, reject }]);
      if (!this.scheduled) {
        this.scheduled = true;
        nextTurn(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.waiting;
    this.waiting = new Map();
    this.scheduled = false;
    const hashes = [...batch.keys()];
    for (let i = 0; i < hashes.length; i += CHUNK) {
      const chunk = hashes.slice(i, i + CHUNK);
      try {
        const rows = await this.db
          .select({
            tokenHash: sessions.tokenHash,
            id: users.id,
            handle: users.handle,
            displayName: users.displayName,
          })
          .from(sessions)
          .innerJoin(users, eq(users.id, sessions.userId))
          .where(and(inArray(sessions.tokenHash, chunk), gt(sessions.expiresAt, new Date())));
        const found = new Map(rows.map((r) => [r.tokenHash, r]));
        for (const hash of chunk) {
          const row = found.get(hash);
          const user = row
            ? { id: row.id, handle: row.handle, displayName: row.displayName }
            : null;
          for (const w of batch.get(hash) ?? []) w.resolve(user);
        }
      } catch (error) {
        for (const hash of chunk) for (const w of batch.get(hash) ?? []) w.reject(error);
      }
    }
  }
}

const lookups = new WeakMap<Db, SessionLookup>();

/** The signed-in user of a session token's hash, or null (unknown or expired). */
export function findSessionUser(db: Db, tokenHash: string): Promise<SignedInUser | null> {
  let lookup = lookups.get(db);
  if (!lookup) {
    lookup = new SessionLookup(db);
    lookups.set(db, lookup);
  }
  return lookup.find(tokenHash);
}
