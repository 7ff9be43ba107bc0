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

/** One attached listener and what it wants to hear about. */
interface Subscriber {
  listener: HubListener;
  /** Hears about events naming this user, whatever their group. */
  userId: string | null;
  /** Until narrowed, hears everything; then only its groups (and its user's events). */
  wide: boolean;
  groups: Set<string>;
  /** The last emit that reached it, so one listed both by group and by user hears it once. */
  stamp: number;
}

/** A listener's handle: its start position, and how to tell the hub what it listens to. */
export interface Attachment {
  position: number;
  detach: () => void;
  /**
   * From now on, only events of these groups (plus those naming the attachment's user) reach the
   * listener. Until then it hears every event, so nothing is missed while it finds its groups.
   */
  narrow: (groups: Iterable<string>) => void;
  /** Adds one group (a join seen on the stream). Safe to call before or after `narrow`. */
  watch: (groupId: string) => void;
}

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
  private readonly wide = new Set<Subscriber>();
  private readonly byGroup = new Map<string, Set<Subscriber>>();
  private readonly byUser = new Map<string, Set<Subscriber>>();
  private subscribers = 0;
  private stamp = 0;
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
    })().catch((error: unknown) => {
      // The database (or the bus) was away: start again from scratch on the next attach.
      this.unsubscribe?.();
      this.unsubscribe = null;
      this.held.clear();
      this.horizon = -1;
      this.starting = null;
      throw error;
    });
    return this.starting;
  }

  /**
   * Adds a listener and returns the position at that moment: every later event reaches the
   * listener, every earlier one is already committed and readable from the database. With a
   * `userId`, the listener can later be narrowed to its groups, so an event wakes only the
   * streams it concerns instead of every stream on the instance.
   */
  async attach(listener: HubListener, interest: { userId?: string } = {}): Promise<Attachment> {
    await this.start();
    const sub: Subscriber = {
      listener,
      userId: interest.userId ?? null,
      wide: true,
      groups: new Set(),
      stamp: 0,
    };
    this.wide.add(sub);
    this.subscribers += 1;
    if (sub.userId) index(this.byUser, sub.userId).add(sub);
    let attached = true;
    return {
      position: this.horizon,
      detach: () => {
        if (!attached) return;
        attached = false;
        this.subscribers -= 1;
        this.wide.delete(sub);
        if (sub.userId) unindex(this.byUser, sub.userId, sub);
        for (const groupId of sub.groups) unindex(this.byGroup, groupId, sub);
      },
      narrow: (groups) => {
        if (!attached) return;
        for (const groupId of groups) sub.groups.add(groupId);
        for (const groupId of sub.groups) index(this.byGroup, groupId).add(sub);
        sub.wide = false;
        this.wide.delete(sub);
      },
      watch: (groupId) => {
        if (!attached || sub.groups.has(groupId)) return;
        sub.groups.add(groupId);
        if (!sub.wide) index(this.byGroup, groupId).add(sub);
      },
    };
  }

  get listenerCount(): number {
    return this.subscribers;
  }

  stop(): void {
    this.unsubscribe?.();
    if (this.gapTimer) clearTimeout(this.gapTimer);
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.wide.clear();
    this.byGroup.clear();
    this.byUser.clear();
    this.subscribers = 0;
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
    const stamp = ++this.stamp;
    this.deliver(this.wide, event, stamp);
    this.deliver(this.byGroup.get(event.groupId), event, stamp);
    if (event.userId) this.deliver(this.byUser.get(event.userId), event, stamp);
  }

  private deliver(subs: Set<Subscriber> | undefined, event: BusEvent, stamp: number): void {
    if (!subs) return;
    for (const sub of subs) {
      if (sub.stamp === stamp) continue;
      sub.stamp = stamp;
      try {
        sub.listener(event);
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

function index<K, V>(map: Map<K, Set<V>>, key: K): Set<V> {
  const known = map.get(key);
  if (known) return known;
  const set = new Set<V>();
  map.set(key, set);
  return set;
}

function unindex<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}
