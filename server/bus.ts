import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** What travels on the bus: a committed event (with its id) or an ephemeral one (typing). */
export interface BusEvent {
  /** Global event id; absent for ephemeral events that are never stored. */
  id?: number;
  groupId: string;
  type: string;
  /** The user an event is about (added, removed), so their own subscriptions can follow. */
  userId?: string | null;
  payload: unknown;
  createdAt: string;
}

export type BusListener = (event: BusEvent) => void;

export interface Bus {
  readonly kind: 'memory' | 'redis';
  publish(event: BusEvent): Promise<void>;
  /** Listens to every event on this instance; the returned function stops listening. */
  subscribe(listener: BusListener): () => void;
  /** Resolves when the bus is ready to deliver (for Redis: subscribed). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

class Listeners {
  private readonly set = new Set<BusListener>();
  add(listener: BusListener): () => void {
    this.set.add(listener);
    return () => this.set.delete(listener);
  }
  emit(event: BusEvent): void {
    for (const listener of this.set) {
      try {
        listener(event);
      } catch {
        // One broken subscriber must not stop delivery to the others.
      }
    }
  }
}

export function createMemoryBus(): Bus {
  const listeners = new Listeners();
  return {
    kind: 'memory',
    async publish(event) {
      listeners.emit(event);
    },
    subscribe: (listener) => listeners.add(listener),
    ready: async () => {},
    close: async () => {},
  };
}

export interface RedisBusOptions {
  /**
   * Names this deployment's channel. Event ids are only meaningful within one database, so
   * deployments (or test runs) sharing a Redis must never hear each other: see `busChannel`.
   */
  channel?: string;
  onError?: (error: Error) => void;
  /** Called after the subscriber connection is back from an outage, so subscribers can catch up. */
  onReconnect?: () => void;
}

/**
 * Cross-instance fan-out over Redis pub/sub. One channel carries every event; each instance
 * dispatches locally; an instance's own events skip the round trip. Redis being down never blocks a send: the event is already committed
 * and clients catch up from the database by `lastEventId`.
 */
export function createRedisBus(url: string, options: RedisBusOptions = {}): Bus {
  const listeners = new Listeners();
  const CHANNEL = options.channel ?? 'kith:events';
  const common = { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false };
  const pub = new Redis(url, common);
  const sub = new Redis(url, { ...common, enableOfflineQueue: true });
  const onError = options.onError ?? (() => {});
  pub.on('error', onError);
  sub.on('error', onError);
  let wasReady = false;
  const subscribed = sub.subscribe(CHANNEL).then(() => {
    wasReady = true;
  });
  sub.on('ready', () => {
    if (wasReady) options.onReconnect?.();
  });
  const origin = randomUUID();
  sub.on('message', (_channel: string, raw: string) => {
    let envelope: { origin: string; event: BusEvent };
    try {
      envelope = JSON.parse(raw);
    } catch {
      return;
    }
    // This instance's own events were delivered locally when published.
    if (envelope.origin !== origin) listeners.emit(envelope.event);
  });
  return {
    kind: 'redis',
    async publish(event) {
      // Local sockets are served first and do not depend on Redis being up; a send never
      // waits on Redis (other instances catch up from the database if this publish is lost).
      listeners.emit(event);
      pub.publish(CHANNEL, JSON.stringify({ origin, event })).catch(onError);
    },
    subscribe: (listener) => listeners.add(listener),
    ready: () => subscribed,
    async close() {
      sub.disconnect();
      pub.disconnect();
    },
  };
}
