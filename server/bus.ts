import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { CommandRedis } from './redis';

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
  /**
   * Calls `listener` each time the bus is back from an outage during which events may have
   * been lost (for Redis: the subscriber connection reconnected and resubscribed). The returned
   * function stops listening. Buses that cannot lose events never call it.
   */
  onReconnect?(listener: () => void): () => void;
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
  // Publishing is best-effort: a publish Redis does not answer fails after 500 ms and its
  // connection is dialled again, instead of piling up unanswered commands.
  const pub = new CommandRedis(url, common);
  const sub = new Redis(url, { ...common, enableOfflineQueue: true });
  const onError = options.onError ?? (() => {});
  pub.on('error', onError);
  sub.on('error', onError);
  const reconnected = new Set<() => void>();
  if (options.onReconnect) reconnected.add(options.onReconnect);
  let wasReady = false;
  const subscribed = sub.subscribe(CHANNEL).then(() => {
    wasReady = true;
  });
  // Whatever was published while the subscriber was down never arrives: once it is subscribed
  // again, listeners look again at what they might have missed. ioredis resubscribes by itself
  // but says 'ready' before that; subscribing once more (harmless) resolves after it.
  sub.on('ready', () => {
    if (!wasReady) return;
    sub.subscribe(CHANNEL).then(() => {
      for (const listener of reconnected) {
        try {
          listener();
        } catch (error) {
          onError(error as Error);
        }
      }
    }, onError);
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
    onReconnect(listener) {
      reconnected.add(listener);
      return () => reconnected.delete(listener);
    },
    async close() {
      sub.disconnect();
      pub.disconnect();
    },
  };
}
