import { browser } from 'wxt/browser';
import type { DockReport } from '../lib/dock-report';
import {
  type OutboxEntry,
  onMessage,
  type ProtocolMap,
  type RouterOutputs,
  type SessionState,
  type SyncEvent,
  sendMessage,
} from '../lib/protocol';

/** The queries and mutations the shared UI runs through the background, with their answers. */
export interface ApiOutputs {
  'groups.list': RouterOutputs['groups']['list'];
  'clips.thread': RouterOutputs['clips']['thread'];
  'messages.list': RouterOutputs['messages']['list'];
  'friends.list': RouterOutputs['friends']['list'];
  'clips.activity': RouterOutputs['clips']['activity'];
  'shop.forClip': RouterOutputs['shop']['forClip'];
  'shop.forClipPrefix': RouterOutputs['shop']['forClipPrefix'];
  'products.get': RouterOutputs['products']['get'];
}

/** The mutations the shared UI runs through the background (`api.call`), with their answers. */
export interface ApiMutations {
  'messages.markRead': RouterOutputs['messages']['markRead'];
  'groups.openDirect': RouterOutputs['groups']['openDirect'];
}

/** What opened this tab from the popup: a clip card's thread, and the moment it named. */
export type ClipOpening = ReturnType<ProtocolMap['clips.opening']>;

type SendInput = Parameters<ProtocolMap['outbox.send']>[0];
type ShareInput = Parameters<ProtocolMap['outbox.share']>[0];
export type Queued = ReturnType<ProtocolMap['outbox.send']>;

/**
 * What the overlay and popup components need from the extension, as one small interface: the
 * real one goes through the background (`extensionClient`), tests pass a fake.
 */
export interface KithClient {
  session(): Promise<SessionState>;
  query<P extends keyof ApiOutputs>(path: P, input?: unknown): Promise<ApiOutputs[P]>;
  mutate<P extends keyof ApiMutations>(path: P, input: unknown): Promise<ApiMutations[P]>;
  /**
   * The thread this tab was opened for (the popup's clip cards open a tab through the
   * background), asked once when the overlay mounts; null for a tab the user opened.
   */
  opening(url: string): Promise<ClipOpening>;
  /**
   * Who in my groups talked about a clip, from what the background already holds: the server
   * is not asked (see `clips.local`).
   */
  localActivity(clip: {
    site: string;
    clipId: string;
    url: string;
  }): Promise<ApiOutputs['clips.activity']>;
  /** Where `userId` last shared a clip (share target keys, `g:<groupId>`), newest first. */
  lastShare(userId: string): Promise<string[]>;
  rememberShare(userId: string, keys: string[]): Promise<void>;
  /** Hex SHA-256 of a text, computed by the background (for pages without `crypto.subtle`). */
  hash(text: string): Promise<string>;
  send(data: SendInput): Promise<Queued>;
  share(data: ShareInput): Promise<Queued>;
  /** Tells the background which thread is on screen, so it does not notify about it. */
  focus(groupId: string | null): Promise<void>;
  /** Tells the background the overlay is on screen (it keeps the live socket up meanwhile). */
  presence(visible: boolean): Promise<void>;
  /** What is still waiting in the outbox (or was refused), for one group. */
  outbox(groupId: string): Promise<OutboxEntry[]>;
  retry(clientId: string): Promise<void>;
  discard(clientId: string): Promise<void>;
  /** Live events from `sync.events`, until `signal` aborts. */
  onSyncEvent(listener: (event: SyncEvent) => void, signal: AbortSignal): void;
  onSessionChanged(listener: (session: SessionState) => void, signal: AbortSignal): void;
  onOutboxChanged(listener: (entries: OutboxEntry[]) => void, signal: AbortSignal): void;
  /** The keyboard shortcut asked for the overlay (only a content script hears it). */
  onOpenRequested(listener: () => void, signal: AbortSignal): void;
  /** Tells the background what the overlay found on this tab (the popup's "This site"). */
  dockReport?(report: DockReport): Promise<void>;
  /** The popup's "try again" for this tab (only a content script hears it). */
  onRetryRequested?(listener: () => void, signal: AbortSignal): void;
}

/** Calls each listener of a set, until its signal removes it. */
export class Listeners<T> {
  private readonly set = new Set<(value: T) => void>();

  add(listener: (value: T) => void, signal: AbortSignal): void {
    if (signal.aborted) return;
    this.set.add(listener);
    signal.addEventListener('abort', () => this.set.delete(listener), { once: true });
  }

  emit(value: T): void {
    for (const listener of [...this.set]) listener(value);
  }
}

/** Extension storage: where the share sheet keeps the last ones shared to (per user). */
const LAST_SHARE_KEY = 'kith.lastShare';

/** The client every extension context uses: typed messages to the background (protocol.ts). */
export function extensionClient(): KithClient {
  const events = new Listeners<SyncEvent>();
  const sessions = new Listeners<SessionState>();
  const outboxes = new Listeners<OutboxEntry[]>();
  const opens = new Listeners<void>();
  const retries = new Listeners<void>();
  // @webext-core/messaging allows one listener per message type in a context: fan out here.
  onMessage('sync.event', ({ data }) => events.emit(data));
  onMessage('session.changed', ({ data }) => sessions.emit(data));
  onMessage('outbox.changed', ({ data }) => outboxes.emit(data));
  onMessage('overlay.open', () => opens.emit());
  onMessage('overlay.retry', () => retries.emit());
  return {
    session: () => sendMessage('session.get', undefined),
    query: (path, input) =>
      sendMessage('api.call', { path, type: 'query', input }) as Promise<ApiOutputs[typeof path]>,
    mutate: (path, input) =>
      sendMessage('api.call', { path, type: 'mutation', input }) as Promise<
        ApiMutations[typeof path]
      >,
    opening: (url) => sendMessage('clips.opening', { url }),
    localActivity: (clip) =>
      sendMessage('clips.local', { site: clip.site, clipId: clip.clipId, url: clip.url }),
    hash: (text) => sendMessage('clips.hash', { text }),
    lastShare: async (userId) => {
      const stored = (await browser.storage.local.get(LAST_SHARE_KEY))[LAST_SHARE_KEY] as
        | { userId?: unknown; keys?: unknown }
        | undefined;
      if (stored?.userId !== userId || !Array.isArray(stored.keys)) return [];
      return stored.keys.filter((k): k is string => typeof k === 'string').slice(0, 10);
    },
    rememberShare: (userId, keys) =>
      browser.storage.local.set({ [LAST_SHARE_KEY]: { userId, keys: keys.slice(0, 10) } }),
    send: (data) => sendMessage('outbox.send', data),
    share: (data) => sendMessage('outbox.share', data),
    focus: (groupId) => sendMessage('view.focus', { groupId }),
    presence: (visible) => sendMessage('view.presence', { visible }),
    outbox: (groupId) => sendMessage('outbox.list', { groupId }),
    retry: (clientId) => sendMessage('outbox.retry', { clientId }),
    discard: (clientId) => sendMessage('outbox.discard', { clientId }),
    onSyncEvent: (listener, signal) => events.add(listener, signal),
    onSessionChanged: (listener, signal) => sessions.add(listener, signal),
    onOutboxChanged: (listener, signal) => outboxes.add(listener, signal),
    onOpenRequested: (listener, signal) => opens.add(listener, signal),
    dockReport: (report) => sendMessage('dock.report', report),
    onRetryRequested: (listener, signal) => retries.add(listener, signal),
  };
}
