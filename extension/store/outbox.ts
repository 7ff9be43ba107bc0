import { errorCode, errorMessage, isRefusal, KithError } from '../lib/errors';
import type { OutboxEntry, OutboxItem } from '../lib/protocol';
import { randomId } from '../lib/random-id';
import type { KithDb, OutboxRow } from './db';

/** An item before it is queued; the sender may name its clientId (so it can track the item at once). */
type Draft<K extends OutboxItem['kind']> = Omit<Extract<OutboxItem, { kind: K }>, 'clientId'> & {
  clientId?: string;
};
export type OutboxDraft = Draft<'message'> | Draft<'share'>;

export interface OutboxDeps {
  db: KithDb;
  /**
   * Sends one item to the server and resolves once the server acknowledged it. Throws on any
   * failure; errors with a refusal code (BAD_REQUEST, FORBIDDEN, …) are final, anything else
   * (unreachable, timeout, server trouble) leaves the item to be sent again.
   */
  send: (item: OutboxItem, signal: AbortSignal) => Promise<unknown>;
  /** Who is signed in where, or null: nothing is sent while signed out. */
  account: () => { userId: string; serverUrl: string } | null;
  /** Called after every change of the queue (queued, sent, refused, discarded). */
  onChange?: () => void;
  /** Called with the server's answer once an item is acknowledged. */
  onSent?: (item: OutboxItem, result: unknown) => void;
  newId?: () => string;
  /** How long one attempt may take before we stop waiting for it (its outcome is then unknown). */
  attemptTimeoutMs?: number;
}

let order = 0;
/** Creation order that survives restarts (clock) and never ties within one (counter). */
function nextSeq(): number {
  order = (order + 1) % 1000;
  return Date.now() * 1000 + order;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Messages and shares on their way to the server, kept in IndexedDB until the server
 * acknowledges them. Every item gets its `clientId` before anything is sent; the server is
 * idempotent on `(sender, clientId)`, so sending an item again after an unknown outcome (a
 * timeout, a dropped socket, a service worker killed mid-request) stores it once, never twice.
 * Items go out oldest first; the first one that cannot be sent stops the run, so a thread never
 * arrives out of order. A new Outbox over the same database (a restarted worker) picks up where
 * the last one stopped.
 */
export class Outbox {
  private running: Promise<void> | null = null;
  private again = false;

  constructor(private readonly deps: OutboxDeps) {}

  /**
   * Stores the item, then tries to send it, waiting at most `waitMs` for the outcome.
   * `queued: true` means it is stored and will be sent when the server is reachable. A refusal
   * on this first try is thrown (and the item dropped), so the sender sees why at once.
   */
  async enqueue(draft: OutboxDraft, waitMs = 5000): Promise<{ clientId: string; queued: boolean }> {
    const account = this.deps.account();
    if (!account) {
      throw new KithError(
        'NOT_SIGNED_IN',
        'Sign in to Kith first: click the Kith button in the toolbar.',
      );
    }
    const clientId = draft.clientId ?? this.deps.newId?.() ?? randomId();
    const item = { ...draft, clientId } as OutboxItem;
    // The same clientId twice (a sender retrying its own request) is the same item, queued once.
    const known = await this.deps.db.outbox.get(clientId);
    if (!known)
      await this.deps.db.outbox.add({
        clientId,
        seq: nextSeq(),
        userId: account.userId,
        serverUrl: account.serverUrl,
        item,
        status: 'pending',
        error: null,
        attempts: 0,
        createdAt: Date.now(),
      });
    this.deps.onChange?.();
    await Promise.race([this.flush(), sleep(waitMs)]);
    const row = await this.deps.db.outbox.get(clientId);
    if (row?.status === 'failed') {
      await this.deps.db.outbox.delete(clientId);
      this.deps.onChange?.();
      throw new KithError(row.errorCode ?? 'BAD_REQUEST', row.error ?? 'The server refused this.');
    }
    return { clientId, queued: row !== undefined };
  }

  /**
   * Sends what is pending for the signed-in account, oldest first. Calls made while a run is
   * going join it (and make it look once more at the end), so one item is never in flight twice
   * from this instance.
   */
  flush(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.drain();
        } while (this.again);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  /** Pending and refused items of the signed-in account, oldest first. */
  async list(groupId?: string): Promise<OutboxEntry[]> {
    const rows = await this.rows();
    return rows
      .filter(
        (row) =>
          !groupId ||
          (row.item.kind === 'message'
            ? row.item.groupId === groupId
            : row.item.groupIds.includes(groupId)),
      )
      .map((row) => ({
        clientId: row.clientId,
        item: row.item,
        status: row.status,
        error: row.error,
        attempts: row.attempts,
        createdAt: new Date(row.createdAt).toISOString(),
      }));
  }

  /** How many items still wait to be sent for the signed-in account. */
  async pendingCount(): Promise<number> {
    return (await this.rows()).filter((row) => row.status === 'pending').length;
  }

  async discard(clientId: string): Promise<void> {
    await this.deps.db.outbox.delete(clientId);
    this.deps.onChange?.();
  }

  /** Puts a refused item back in line and tries again. */
  async retry(clientId: string): Promise<void> {
    await this.deps.db.outbox.update(clientId, { status: 'pending', error: null, errorCode: null });
    this.deps.onChange?.();
    await this.flush();
  }

  private async rows(): Promise<OutboxRow[]> {
    const account = this.deps.account();
    if (!account) return [];
    return this.deps.db.outbox
      .where('[userId+serverUrl]')
      .equals([account.userId, account.serverUrl])
      .sortBy('seq');
  }

  private async drain() {
    for (const row of await this.rows()) {
      if (row.status !== 'pending') continue;
      if (!(await this.attempt(row))) return;
    }
  }

  /** One try at one item; false when the run should stop here (server unreachable or unsure). */
  private async attempt(row: OutboxRow): Promise<boolean> {
    const { db } = this.deps;
    const signal = AbortSignal.timeout(this.deps.attemptTimeoutMs ?? 15_000);
    let result: unknown;
    try {
      result = await this.deps.send(row.item, signal);
    } catch (error) {
      const refused = isRefusal(error);
      await db.outbox.update(row.clientId, {
        attempts: row.attempts + 1,
        error: errorMessage(error),
        errorCode: errorCode(error),
        ...(refused ? { status: 'failed' as const } : {}),
      });
      this.deps.onChange?.();
      return refused;
    }
    await db.outbox.delete(row.clientId);
    this.deps.onSent?.(row.item, result);
    this.deps.onChange?.();
    return true;
  }
}
