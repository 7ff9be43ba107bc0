import {
  createTRPCClient,
  createWSClient,
  getUntypedClient,
  httpLink,
  splitLink,
  type TRPCClient,
  TRPCClientError,
  type TRPCUntypedClient,
  wsLink,
} from '@trpc/client';
import type { AppRouter } from '../../server/router';
import { KithError } from '../lib/errors';
import { socketUrl } from '../lib/hosts';
import type { SyncEvent } from '../lib/protocol';

export type ConnectionStatus = 'online' | 'connecting' | 'offline';

/** Chrome keeps an MV3 service worker alive while its WebSocket exchanges a message at least every 30 s. */
export const KEEPALIVE_MS = 20_000;

export interface ServerLinkOptions {
  serverUrl: string;
  token: string;
  /** The WebSocket class (Node tests pass `ws`); the browser's own by default. */
  WebSocket?: typeof WebSocket;
  fetch?: typeof fetch;
  /** The socket (re)opened: a good moment to flush the outbox. */
  onOpen?: () => void;
  onStatus?: (status: ConnectionStatus, error: string | null) => void;
  /** How long an unused socket stays open before it closes (lazy mode). */
  idleCloseMs?: number;
  retryDelayMs?: (attempt: number) => number;
}

/** One signed-in connection to a server: a lazy WebSocket and an HTTP fallback. */
export interface ServerLink {
  serverUrl: string;
  client: TRPCClient<AppRouter>;
  untyped: TRPCUntypedClient<AppRouter>;
  isOpen(): boolean;
  close(): Promise<void>;
}

const backoff = (attempt: number) => Math.min(1000 * 2 ** attempt, 30_000);

/**
 * The tRPC client the background uses. Subscriptions go over the WebSocket, and so do
 * mutations while it is open; queries (and mutations while it is not) go over HTTP, so a
 * question asked while offline fails at once instead of waiting for a socket. The socket is
 * lazy: it opens for the first subscription or request and closes `idleCloseMs` after the
 * last one ends, which lets an idle service worker be suspended. While open it pings every
 * 20 s (tRPC keepAlive), which both keeps Chrome's worker alive and notices a dead link.
 */
export function connectServer(options: ServerLinkOptions): ServerLink {
  const { serverUrl, token } = options;
  const ws = createWSClient({
    url: socketUrl(serverUrl),
    ...(options.WebSocket ? { WebSocket: options.WebSocket } : {}),
    connectionParams: async () => ({ token }),
    lazy: { enabled: true, closeMs: options.idleCloseMs ?? 10_000 },
    keepAlive: { enabled: true, intervalMs: KEEPALIVE_MS, pongTimeoutMs: 10_000 },
    retryDelayMs: options.retryDelayMs ?? backoff,
    onOpen: () => options.onOpen?.(),
  });
  const isOpen = () => ws.connection?.state === 'open';
  const state = ws.connectionState.subscribe({
    next: (value) => {
      if (value.state === 'pending') options.onStatus?.('online', null);
      else if (value.state === 'connecting') {
        options.onStatus?.(
          value.error ? 'offline' : 'connecting',
          value.error ? unreachable(serverUrl).message : null,
        );
      }
    },
  });
  const client = createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription' || (op.type === 'mutation' && isOpen()),
        true: wsLink({ client: ws }),
        false: httpLink({
          url: `${serverUrl}/trpc`,
          headers: () => ({ authorization: `Bearer ${token}` }),
          ...(options.fetch ? { fetch: options.fetch } : {}),
        }),
      }),
    ],
  });
  return {
    serverUrl,
    client,
    untyped: getUntypedClient(client),
    isOpen,
    async close() {
      state.unsubscribe();
      await ws.close();
    },
  };
}

/** A client for calls made before there is a token (sign-in, sign-up). */
export function anonymousClient(
  serverUrl: string,
  fetchImpl?: typeof fetch,
): TRPCClient<AppRouter> {
  return createTRPCClient<AppRouter>({
    links: [httpLink({ url: `${serverUrl}/trpc`, ...(fetchImpl ? { fetch: fetchImpl } : {}) })],
  });
}

function unreachable(serverUrl: string) {
  return new KithError(
    'OFFLINE',
    `Cannot reach the Kith server at ${serverUrl}. Check your connection (and that the server is running), then try again.`,
  );
}

/**
 * Turns whatever a call threw into a KithError whose message the user can act on: the server's
 * own message and code when the server answered, else why it could not be reached.
 */
export function describeError(error: unknown, serverUrl: string): KithError {
  if (error instanceof KithError) return error;
  if (error instanceof TRPCClientError) {
    const code = (error.data as { code?: string } | null | undefined)?.code;
    if (code) return new KithError(code, error.message);
    const cause = error.cause as { name?: string } | undefined;
    if (
      cause?.name === 'AbortError' ||
      cause?.name === 'TimeoutError' ||
      /aborted/i.test(error.message)
    ) {
      return new KithError(
        'TIMEOUT',
        `The Kith server at ${serverUrl} did not answer in time. Try again in a moment.`,
      );
    }
    if (/transform|JSON|Unexpected token/i.test(error.message) || cause?.name === 'SyntaxError') {
      return new KithError(
        'BAD_SERVER',
        `${serverUrl} did not answer like a Kith server. Check the server address.`,
      );
    }
    return unreachable(serverUrl);
  }
  const name = (error as { name?: string } | null)?.name;
  if (name === 'AbortError' || name === 'TimeoutError') {
    return new KithError(
      'TIMEOUT',
      `The Kith server at ${serverUrl} did not answer in time. Try again in a moment.`,
    );
  }
  if (error instanceof TypeError) return unreachable(serverUrl);
  return new KithError(
    'UNKNOWN',
    error instanceof Error ? error.message : 'Something went wrong. Please try again.',
  );
}

export interface SyncStreamOptions {
  link: ServerLink;
  /** Where to resume: the id of the last event applied (from the Dexie cache). */
  lastEventId: () => Promise<string | null>;
  /** Applies one event; events are handed over one at a time, in order. */
  onEvent: (event: SyncEvent, eventId: string | null) => Promise<void>;
  /** The server no longer accepts the token. */
  onUnauthorized?: () => void;
  onError?: (error: KithError) => void;
  /** Wait before subscribing again after the server refused or ended the stream. */
  retryMs?: (attempt: number) => number;
}

/**
 * The `sync.events` subscription, open only while something needs it: a tab showing the
 * overlay, the popup, items in the outbox, or a short catch-up after the worker wakes. When
 * nothing needs it, it is stopped, the lazy socket closes, and Chrome may suspend the worker;
 * the next start resumes from the stored `lastEventId`, so nothing is missed or doubled.
 */
export class SyncStream {
  private readonly reasons = new Map<string, ReturnType<typeof setTimeout> | true>();
  private subscription: { unsubscribe(): void } | null = null;
  private starting = false;
  private queue: Promise<void> = Promise.resolve();
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private failures = 0;
  private stopped = false;

  constructor(private readonly options: SyncStreamOptions) {}

  get active(): boolean {
    return this.subscription !== null;
  }

  get needed(): boolean {
    return this.reasons.size > 0;
  }

  /** Why the stream is open right now (for status and tests). */
  get why(): string[] {
    return [...this.reasons.keys()];
  }

  /** Marks (or clears) one reason to keep the stream open. */
  need(reason: string, on: boolean): void {
    const current = this.reasons.get(reason);
    if (current !== undefined && current !== true) clearTimeout(current);
    if (on) this.reasons.set(reason, true);
    else this.reasons.delete(reason);
    this.update();
  }

  /** Keeps the stream open for `ms` (catch-up after a wake-up), unless something else needs it longer. */
  pulse(ms: number, reason = 'catch-up'): void {
    const current = this.reasons.get(reason);
    if (current === true) return;
    if (current !== undefined) clearTimeout(current);
    this.reasons.set(
      reason,
      setTimeout(() => {
        this.reasons.delete(reason);
        this.update();
      }, ms),
    );
    this.update();
  }

  /** Resolves once every event received so far has been applied. */
  settled(): Promise<void> {
    return this.queue;
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.reasons.values()) if (timer !== true) clearTimeout(timer);
    this.reasons.clear();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.unsubscribe();
  }

  private update() {
    if (this.stopped) return;
    if (this.needed && !this.subscription && !this.starting && !this.retryTimer) void this.start();
    if (!this.needed) this.unsubscribe();
  }

  private unsubscribe() {
    this.subscription?.unsubscribe();
    this.subscription = null;
  }

  private async start() {
    this.starting = true;
    let lastEventId: string | null;
    try {
      // Whatever came before is applied first, so the stored id is where we really are.
      await this.queue;
      lastEventId = await this.options.lastEventId();
    } catch (error) {
      this.options.onError?.(describeError(error, this.options.link.serverUrl));
      this.retryLater();
      return;
    } finally {
      this.starting = false;
    }
    if (this.stopped || !this.needed || this.subscription) return;
    const sub = this.options.link.client.sync.events.subscribe(lastEventId ? { lastEventId } : {}, {
      onData: (envelope) => {
        this.failures = 0;
        const tracked = envelope as unknown as { id?: string; data?: SyncEvent };
        const event = (tracked.data ?? envelope) as SyncEvent;
        const id = typeof tracked.id === 'string' ? tracked.id : null;
        this.queue = this.queue
          .then(() => this.options.onEvent(event, id))
          .catch((error) =>
            this.options.onError?.(describeError(error, this.options.link.serverUrl)),
          );
      },
      onError: (error) => {
        if (this.subscription === sub) this.subscription = null;
        const described = describeError(error, this.options.link.serverUrl);
        if (described.code === 'UNAUTHORIZED') {
          this.options.onUnauthorized?.();
          return;
        }
        this.options.onError?.(described);
        this.retryLater();
      },
      onComplete: () => {
        // The server ended the stream (after a resync, or shutting down): start again.
        if (this.subscription === sub) {
          this.subscription = null;
          this.retryLater(0);
        }
      },
    });
    this.subscription = sub;
  }

  private retryLater(delay?: number) {
    if (this.stopped || this.retryTimer) return;
    this.failures += 1;
    const wait =
      delay ?? this.options.retryMs?.(this.failures) ?? Math.min(2000 * 2 ** this.failures, 60_000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      // Let what was received before the stream ended be applied first, so we resume after it.
      void this.queue.then(() => this.update());
    }, wait);
  }
}
