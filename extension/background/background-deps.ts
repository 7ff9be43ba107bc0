import type { ProtocolMap } from '../lib/protocol';
import type { KithDb } from '../store/db';
import type { BadgeApi } from './badge';
import type { TabActionApi } from './dock-reports';
import type { NotificationsApi } from './notifications';
import type { KeyValueStorage } from './session';
import type { OverlayFiles, PermissionsApi, ScriptingApi } from './sites';

/**
 * What the background service is built from: every browser API passed in (tests pass fakes),
 * and the timings it waits by.
 */

/** Messages the background sends out (to tabs, and to the popup when it is open). */
export type Broadcast = {
  [K in
    | 'sync.event'
    | 'session.changed'
    | 'outbox.changed'
    | 'dock.changed'
    | 'overlay.retry']: Parameters<ProtocolMap[K]>[0];
};

export interface BackgroundDeps {
  db: KithDb;
  /** `browser.storage.local`: the session and the enabled sites. */
  storage: KeyValueStorage;
  /** `browser.storage.session`: which tabs show the overlay (survives a worker restart). */
  sessionStorage?: KeyValueStorage | undefined;
  badge?: BadgeApi | undefined;
  /** The same toolbar button, per tab: marks tabs where the overlay cannot dock. */
  tabAction?: TabActionApi | undefined;
  notifications?: NotificationsApi | undefined;
  iconUrl: string;
  scripting?: ScriptingApi | undefined;
  permissions?: PermissionsApi | undefined;
  overlay: () => OverlayFiles;
  /** Delivers a message to one tab (`tabId`) or to the extension's pages (the popup). */
  post<K extends keyof Broadcast>(type: K, data: Broadcast[K], tabId?: number): Promise<unknown>;
  /** Opens a tab on `url` (a clip card's clip) and answers its id. */
  openTab?(url: string): Promise<number | undefined>;
  WebSocket?: typeof WebSocket;
  fetch?: typeof fetch;
  timings?: Partial<Timings>;
}

export interface Timings {
  /** An unused socket closes after this long (then the worker may sleep). */
  idleCloseMs: number;
  /** After a wake-up (alarm, start), the stream stays open this long to catch up. */
  catchUpMs: number;
  /** How long `outbox.send` waits for the server before answering `queued: true`. */
  outboxWaitMs: number;
  /** One send attempt is abandoned (outcome unknown, retried later) after this long. */
  attemptTimeoutMs: number;
  /** Group list refetches are coalesced over this long. */
  refreshDelayMs: number;
  /** Reconnect delay of the socket after the n-th failure. */
  retryDelayMs: (attempt: number) => number;
}

export const DEFAULT_TIMINGS: Timings = {
  idleCloseMs: 10_000,
  catchUpMs: 20_000,
  outboxWaitMs: 5000,
  attemptTimeoutMs: 15_000,
  refreshDelayMs: 500,
  retryDelayMs: (attempt) => Math.min(1000 * 2 ** attempt, 30_000),
};

export interface Sender {
  tabId?: number | undefined;
}
