import { sql } from 'drizzle-orm';
import type { BusEvent } from './bus';
import type { Tx } from './db/client';
import { events } from './db/schema';
import type { Deps } from './deps';

/** Arbitrary constant naming the advisory lock that orders event ids by commit. */
export const EVENT_ORDER_LOCK = 7_412_001;

export type EventType =
  | 'message.created'
  | 'message.edited'
  | 'message.deleted'
  | 'reaction.changed'
  | 'read'
  | 'member.added'
  | 'member.removed'
  | 'member.left'
  | 'member.role'
  | 'group.renamed'
  | 'group.archived'
  | 'typing';

export interface NewEvent {
  groupId: string;
  type: EventType;
  userId?: string | null;
  payload: unknown;
  /** Runs inside the transaction once the event has its id (e.g. to record where a member joined). */
  onId?: (id: number, tx: Tx) => Promise<unknown>;
}

export type Emit = (event: NewEvent) => void;

/**
 * Runs `work` in one transaction and stores the events it emits at the end of it. Event ids
 * are taken under an advisory lock held until commit, so they become visible in id order and
 * a reader that has seen id N has already seen everything below N. After commit the events
 * go on the bus.
 */
export async function transact<T>(
  deps: Pick<Deps, 'db' | 'bus'>,
  work: (tx: Tx, emit: Emit) => Promise<T>,
): Promise<T> {
  let stored: BusEvent[] = [];
  const result = await deps.db.transaction(async (tx) => {
    const pending: NewEvent[] = [];
    const value = await work(tx, (event) => pending.push(event));
    stored = await storeEvents(tx, pending);
    return value;
  });
  for (const event of stored) await deps.bus.publish(event);
  return result;
}

async function storeEvents(tx: Tx, pending: NewEvent[]): Promise<BusEvent[]> {
  if (pending.length === 0) return [];
  await tx.execute(sql`select pg_advisory_xact_lock(${EVENT_ORDER_LOCK})`);
  const rows = await tx
    .insert(events)
    .values(
      pending.map((e) => ({
        groupId: e.groupId,
        type: e.type,
        userId: e.userId ?? null,
        payload: e.payload ?? {},
      })),
    )
    .returning();
  const out: BusEvent[] = [];
  for (const [i, row] of rows.entries()) {
    await pending[i]?.onId?.(row.id, tx);
    out.push({
      id: row.id,
      groupId: row.groupId,
      type: row.type,
      userId: row.userId,
      payload: row.payload,
      createdAt: row.createdAt.toISOString(),
    });
  }
  return out;
}

/** Typing and other ephemeral signals: bus only, never stored. */
export async function publishEphemeral(
  deps: Pick<Deps, 'bus'>,
  event: Omit<BusEvent, 'id' | 'createdAt'>,
): Promise<void> {
  await deps.bus.publish({ ...event, createdAt: new Date().toISOString() });
}
