import { and, gt, lte, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Bus, BusEvent } from '../bus';
import type { Db } from '../db/client';
import { events } from '../db/schema';

export interface HubOptions {
  /** How long an event waits for a lower id still on its way before the database fills the gap. */
  gapMs?: number;
  /** How often the database is asked for events the bus never brought (lost publish, Redis down). */
  pollMs?: number;
}

export type HubListener = (event: BusEvent) => void;

export function rowToBusEvent(row: typeof events.$inferSelect): BusEvent {
  return {
    id: row.id,
    groupId: row.groupId,
    type: row.type,
    userId: row.userId,
    payload: row.payload,
    createdAt: row.createdAt.toISOString(),
  };
}

/**
 * One per server instance: turns the bus, which may deliver committed events late, out of
 * order or not at all, into a stream in strict id order with nothing missing. Event ids are
 * assigned in commit order (see `transact`), so once id N is known committed every id below it
 * is settled; a hole is either still on its way or filled from the database.
 */
export class EventHub {
  /** Every event with an id up to here has been handed to the listeners. */
  private horizon = -1;
  private readonly held = new Map<number, BusEvent>();
  private readonly listeners = new Set<HubListener>();
  private starting: Promise<void> | null = null;
  private gapTimer: NodeJS.Timeout | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private filling: Promise<void> | null = null;
  private lastFailure = 0;
  private unsubscribe: (() => void) | null = null;
  private readonly gapMs: number;
  private readonly pollMs: number;

  constructor(
    private readonly deps: { db: Db; bus: Bus; log?: Logger },
    options: HubOptions = {},
  ) {
    this.gapMs = options.gapMs ?? 40;
    this.pollMs = options.pollMs ?? 1000;
  }

  /** The id up to which every event has been delivered to listeners. */
  get position(): number {
    return this.horizon;
  }

  start(): Promise<void> {
    this.starting ??= (async () => {
      this.unsubscribe = this.deps.bus.subscribe((event) => this.receive(event));
      await this.deps.bus.ready();
      this.horizon = await this.maxId();
      for (const id of this.held.keys()) if (id <= this.horizon) this.held.delete(id);
      this.drain();
      this.pollTimer = setInterval(() => void this.poll(), this.pollMs);
      this.pollTimer.unref();
    })();
    return this.starting;
  }

  /**
   * Adds a listener and returns the position at that moment: every later event reaches the
   * listener, every earlier one is already committed and readable from the database.
   */
  async attach(listener: HubListener): Promise<{ position: number; detach: () => void }> {
    await this.start();
    this.listeners.add(listener);
    return { position: this.horizon, detach: () => this.listeners.delete(listener) };
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  stop(): void {
    this.unsubscribe?.();
    if (this.gapTimer) clearTimeout(this.gapTimer);
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.listeners.clear();
  }

  private receive(event: BusEvent): void {
    if (event.id === undefined) {
      this.emit(event);
      return;
    }
    if (this.horizon >= 0 && event.id <= this.horizon) return;
    this.held.set(event.id, event);
    if (this.horizon >= 0) this.drain();
  }

  private emit(event: BusEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.deps.log?.warn({ err: error }, 'event listener failed');
      }
    }
  }

  private drain(): void {
    for (let next = this.held.get(this.horizon + 1); next; next = this.held.get(this.horizon + 1)) {
      this.held.delete(this.horizon + 1);
      this.horizon += 1;
      this.emit(next);
    }
    if (this.held.size === 0) {
      if (this.gapTimer) clearTimeout(this.gapTimer);
      this.gapTimer = null;
    } else if (!this.gapTimer) {
      this.gapTimer = setTimeout(
        () => {
          this.gapTimer = null;
          void this.fill(Math.max(...this.held.keys()));
        },
        Date.now() - this.lastFailure < 1000 ? 1000 : this.gapMs,
      );
      this.gapTimer.unref();
    }
  }

  /** Reads every event up to `target` from the database and delivers what is still missing. */
  private fill(target: number): Promise<void> {
    if (this.filling)
      return this.filling.then(() => (target > this.horizon ? this.fill(target) : undefined));
    this.filling = (async () => {
      try {
        while (this.horizon < target) {
          const rows = await this.deps.db
            .select()
            .from(events)
            .where(and(gt(events.id, this.horizon), lte(events.id, target)))
            .orderBy(events.id)
            .limit(500);
          for (const row of rows) {
            if (row.id <= this.horizon) continue;
            this.held.delete(row.id);
            this.horizon = row.id;
            this.emit(rowToBusEvent(row));
          }
          // Ids in the range with no row belonged to transactions that rolled back.
          if (rows.length < 500) this.horizon = Math.max(this.horizon, target);
        }
        for (const id of this.held.keys()) if (id <= this.horizon) this.held.delete(id);
      } catch (error) {
        this.lastFailure = Date.now();
        this.deps.log?.warn(
          { err: error },
          'filling an event gap from the database failed; will retry',
        );
      } finally {
        this.filling = null;
      }
      this.drain();
    })();
    return this.filling;
  }

  private async poll(): Promise<void> {
    if (this.filling || this.horizon < 0) return;
    try {
      const max = await this.maxId();
      if (max > this.horizon) {
        // Give an in-flight publish a moment before reading the database for it.
        await new Promise((r) => setTimeout(r, this.gapMs));
        if (max > this.horizon) await this.fill(max);
      }
    } catch (error) {
      this.deps.log?.debug({ err: error }, 'event poll failed');
    }
  }

  private async maxId(): Promise<number> {
    const [row] = await this.deps.db
      .select({ max: sql<string | number | null>`max(${events.id})` })
      .from(events);
    return Number(row?.max ?? 0);
  }
}
