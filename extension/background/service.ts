import { KithError } from '../lib/errors';
import type {
  GroupSummary,
  MessageView,
  OutboxEntry,
  ProtocolMap,
  SessionState,
  SyncEvent,
} from '../lib/protocol';
import { RECENT_PER_THREAD } from '../store/db';
import { Outbox } from '../store/outbox';
import { afterCall } from './after-call';
import {
  type BackgroundDeps,
  type Broadcast,
  DEFAULT_TIMINGS,
  type Sender,
  type Timings,
} from './background-deps';
import { Badge } from './badge';
import { Cache } from './cache';
import { callAnonymously, checkProcedure } from './check-procedure';
import { clipKeyOf, localClipActivity } from './clip-index';
import { DockReports } from './dock-reports';
import { Notifier } from './notifications';
import { Openings, openingRequest } from './openings';
import { sendOutboxItem } from './outbox';
import { Session } from './session';
import { Sites } from './sites';
import {
  type ConnectionStatus,
  connectServer,
  describeError,
  type ServerLink,
  SyncStream,
} from './socket';
import { Views } from './views';

/** Threads whose recent messages one refresh fetches for the local clip index. */
const FILL_THREADS = 30;

// The service's inputs live in background-deps.ts; importable from here as before.
export type { BackgroundDeps, Broadcast, Sender, Timings } from './background-deps';

type Handler<K extends keyof ProtocolMap> = (
  data: Parameters<ProtocolMap[K]>[0],
  sender: Sender,
) => Promise<ReturnType<ProtocolMap[K]>>;

/**
 * The background, wired from its parts with every browser API passed in, so tests build it
 * over fakeBrowser, fake-indexeddb and a real server. The entrypoint only connects it to the
 * browser's events.
 */
export class BackgroundService {
  readonly session: Session;
  readonly cache: Cache;
  readonly outbox: Outbox;
  readonly views: Views;
  readonly sites: Sites;
  readonly badge: Badge;
  readonly docks: DockReports;
  readonly notifier: Notifier;
  readonly openings: Openings;
  readonly ready: Promise<void>;

  private link: ServerLink | null = null;
  private stream: SyncStream | null = null;
  private connection: ConnectionStatus = 'online';
  private connectionError: string | null = null;
  private pending = 0;
  private popupOpen = false;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private lastRefresh = 0;
  private filling = false;
  private readonly timings: Timings;
  private readonly handlers: { [K in keyof ProtocolMap]?: Handler<K> };

  constructor(private readonly deps: BackgroundDeps) {
    this.timings = { ...DEFAULT_TIMINGS, ...deps.timings };
    this.session = new Session({
      storage: deps.storage,
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
    });
    this.cache = new Cache(deps.db);
    this.views = new Views({ storage: deps.sessionStorage, onChange: () => this.updateNeeds() });
    this.sites = new Sites({
      storage: deps.storage,
      scripting: deps.scripting,
      permissions: deps.permissions,
      overlay: deps.overlay,
    });
    this.badge = new Badge(deps.badge);
    this.docks = new DockReports({
      action: deps.tabAction,
      storage: deps.sessionStorage,
      onChange: (tabId, report) => {
        if (this.popupOpen)
          this.deps.post('dock.changed', { tabId, report }).catch(() => undefined);
      },
    });
    this.notifier = new Notifier(deps.notifications, deps.iconUrl);
    this.openings = new Openings(deps.sessionStorage);
    this.outbox = new Outbox({
      db: deps.db,
      send: (item, signal) => this.sendItem(item, signal),
      account: () => {
        const { user, serverUrl, token } = this.session.value;
        return user && token ? { userId: user.id, serverUrl } : null;
      },
      onChange: () => void this.outboxChanged(),
      onSent: (_item, result) => void this.storeSent(result),
      attemptTimeoutMs: this.timings.attemptTimeoutMs,
    });
    this.handlers = this.makeHandlers();
    this.ready = this.start();
  }

  /** Answers one protocol message (the entrypoint routes every `onMessage` here). */
  async handle<K extends keyof ProtocolMap>(
    type: K,
    data: Parameters<ProtocolMap[K]>[0],
    sender: Sender = {},
  ): Promise<ReturnType<ProtocolMap[K]>> {
    const handler = this.handlers[type] as Handler<K> | undefined;
    if (!handler) throw new KithError('BAD_REQUEST', `The background does not handle "${type}".`);
    await this.ready;
    if (sender.tabId !== undefined) this.views.seen(sender.tabId);
    return handler(data, sender);
  }

  /** The periodic alarm: send what waits, and catch up on events (badge, notifications). */
  async tick(): Promise<void> {
    await this.ready;
    if (!this.session.signedIn) return;
    this.stream?.pulse(this.timings.catchUpMs);
    if (Date.now() - this.lastRefresh > 5 * 60_000) this.scheduleRefresh();
    await this.outbox.flush();
  }

  /** The popup opened (a port connected) or closed. */
  setPopupOpen(open: boolean): void {
    this.popupOpen = open;
    this.updateNeeds();
  }

  tabClosed(tabId: number): void {
    this.views.remove(tabId);
    this.docks.remove(tabId);
  }

  /** A tab started loading a page (`tabs.onUpdated` with status `loading`). */
  tabNavigated(tabId: number): void {
    void this.docks.navigated(tabId);
  }

  /** The user switched tabs (`tabs.onActivated`). */
  tabActivated(tabId: number, windowId: number): void {
    this.views.activated(tabId, windowId);
  }

  /** The user switched windows, or left the browser (-1) (`windows.onFocusChanged`). */
  windowFocused(windowId: number): void {
    this.views.windowFocused(windowId);
  }

  state(): SessionState {
    const { serverUrl, user } = this.session.value;
    return {
      serverUrl,
      user,
      connection: user ? this.connection : 'offline',
      pending: this.pending,
      error: this.connectionError,
    };
  }

  /** Why the event stream is open now (empty when the worker may sleep). */
  get streamReasons(): string[] {
    return this.stream?.why ?? [];
  }

  /** Resolves once the events received so far are applied (tests). */
  async settled(): Promise<void> {
    await this.stream?.settled();
  }

  async stop(): Promise<void> {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    await this.disconnect();
  }

  // -------------------------------------------------------------------------------------------

  private async start() {
    await this.session.load();
    await this.views.load();
    await this.docks.load().catch(() => undefined);
    await this.sites.restore().catch(() => undefined);
    if (this.session.signedIn) {
      await this.connect();
      this.stream?.pulse(this.timings.catchUpMs);
      this.scheduleRefresh(0);
    }
    this.pending = await this.outbox.pendingCount();
    await this.badge.show(this.session.signedIn ? await this.cache.groups() : []);
    this.updateNeeds();
    void this.outbox.flush();
  }

  private async connect() {
    const { user, token, serverUrl } = this.session.value;
    if (!user || !token) return;
    await this.disconnect();
    await this.cache.useAccount({ userId: user.id, serverUrl });
    const link = connectServer({
      serverUrl,
      token,
      ...(this.deps.WebSocket ? { WebSocket: this.deps.WebSocket } : {}),
      ...(this.deps.fetch ? { fetch: this.deps.fetch } : {}),
      idleCloseMs: this.timings.idleCloseMs,
      retryDelayMs: this.timings.retryDelayMs,
      onOpen: () => void this.outbox.flush(),
      onStatus: (status, error) => this.setConnection(status, error),
    });
    this.link = link;
    this.stream = new SyncStream({
      link,
      lastEventId: () => this.cache.lastEventId(),
      onEvent: (event, id) => this.onEvent(event, id),
      onUnauthorized: () => void this.expire(),
      onError: (error) =>
        this.setConnection(error.code === 'OFFLINE' ? 'offline' : this.connection, error.message),
      retryMs: this.timings.retryDelayMs,
    });
    this.updateNeeds();
  }

  private async disconnect() {
    this.stream?.stop();
    this.stream = null;
    const link = this.link;
    this.link = null;
    await link?.close().catch(() => undefined);
  }

  private updateNeeds() {
    const stream = this.stream;
    if (!stream) return;
    stream.need('overlay', this.views.anyVisible);
    stream.need('popup', this.popupOpen);
    stream.need('outbox', this.pending > 0);
  }

  private setConnection(status: ConnectionStatus, error: string | null) {
    const changed = status !== this.connection || error !== this.connectionError;
    this.connection = status;
    this.connectionError = status === 'online' ? null : error;
    if (changed) this.broadcast('session.changed', this.state());
  }

  private async onEvent(event: SyncEvent, eventId: string | null) {
    const me = this.session.value.user?.id;
    if (!me) return;
    const applied = await this.cache.apply(event, eventId, me);
    this.broadcast('sync.event', event);
    if (applied.newMessage) {
      await this.notifier
        .message(applied.newMessage, { me, group: applied.group, focused: this.views.focused })
        .catch(() => false);
    }
    if (event.type !== 'typing') await this.badge.show(await this.cache.groups());
    if (event.type === 'ready') {
      // Caught up: a wake-up's catch-up is done, so the worker may go back to sleep. Reload
      // the groups if what we hold is old (first connection, or a long sleep).
      this.stream?.need('catch-up', false);
      if (Date.now() - this.lastRefresh > 60_000) this.scheduleRefresh();
    }
    if (applied.refresh) this.scheduleRefresh();
  }

  private scheduleRefresh(delay = this.timings.refreshDelayMs) {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      void this.refreshGroups();
    }, delay);
  }

  /** Refetches `groups.list` (unread counts, names) into the cache and the badge. */
  async refreshGroups(): Promise<GroupSummary[] | null> {
    const link = this.link;
    if (!link) return null;
    try {
      const groups = await link.client.groups.list.query();
      if (link !== this.link) return null;
      this.lastRefresh = Date.now();
      const merged = await this.cache.replaceGroups(groups);
      await this.badge.show(merged);
      this.setConnection('online', null);
      void this.fillThreads(link, merged);
      return merged;
    } catch (error) {
      await this.failed(describeError(error, link.serverUrl));
      return null;
    }
  }

  /**
   * Fetches the recent messages of threads the cache is behind on (a fresh sign-in, a resync),
   * so the local clip index knows what was said about clips before. `messages.list` names a
   * group, never a clip: the server learns nothing about what is on screen. Most recently
   * active threads first, at most FILL_THREADS of them per refresh, one at a time.
   */
  private async fillThreads(link: ServerLink, groups: GroupSummary[]) {
    if (this.filling) return;
    this.filling = true;
    try {
      let fetched = 0;
      for (const group of groups) {
        if (fetched >= FILL_THREADS || link !== this.link) return;
        if (group.lastSeq === 0 || (await this.cache.newestSeq(group.id)) >= group.lastSeq)
          continue;
        fetched += 1;
        const page = await link.client.messages.list.query({
          groupId: group.id,
          limit: RECENT_PER_THREAD,
        });
        if (link !== this.link) return;
        await this.cache.putMessages(page.messages);
      }
    } catch {
      // Best effort: the next refresh tries again; meanwhile the index knows less.
    } finally {
      this.filling = false;
    }
  }

  /** Bookkeeping after a failed call: connection status, or an ended session. */
  private async failed(error: KithError) {
    if (error.code === 'OFFLINE' || error.code === 'TIMEOUT')
      this.setConnection('offline', error.message);
    else if (error.code === 'UNAUTHORIZED' && this.session.signedIn) await this.expire();
  }

  private async expire() {
    await this.disconnect();
    await this.session.expire();
    await this.badge.clear();
    this.connectionError = 'Your Kith session has ended. Sign in again.';
    this.broadcast('session.changed', this.state());
  }

  private async sendItem(item: Parameters<typeof sendOutboxItem>[1], signal: AbortSignal) {
    const link = this.link;
    if (!link) throw new KithError('OFFLINE', 'Not connected.');
    try {
      const result = await sendOutboxItem(link.client, item, signal);
      this.setConnection('online', null);
      return result;
    } catch (error) {
      const described = describeError(error, link.serverUrl);
      await this.failed(described);
      throw described;
    }
  }

  private async storeSent(result: unknown) {
    const messages: MessageView[] = [];
    if (result && typeof result === 'object') {
      if ('messages' in result && Array.isArray(result.messages))
        messages.push(...(result.messages as MessageView[]));
      else if ('id' in result && 'seq' in result) messages.push(result as MessageView);
    }
    await this.cache.putMessages(messages).catch(() => undefined);
  }

  private async outboxChanged() {
    this.pending = await this.outbox.pendingCount();
    this.updateNeeds();
    this.broadcast('outbox.changed', await this.outbox.list());
    this.broadcast('session.changed', this.state());
  }

  /** Sends to every overlay tab and the popup; a tab that no longer listens is forgotten. */
  private broadcast<K extends keyof Broadcast>(type: K, data: Broadcast[K]) {
    for (const tabId of this.views.tabIds) {
      this.deps.post(type, data, tabId).catch(() => {
        if (type === 'sync.event') this.views.remove(tabId);
      });
    }
    if (this.popupOpen) this.deps.post(type, data).catch(() => undefined);
  }

  private async apiCall(
    path: string,
    type: 'query' | 'mutation',
    input: unknown,
  ): Promise<unknown> {
    checkProcedure(path, type);
    const link = this.link;
    const serverUrl = this.session.value.serverUrl;
    const client = link?.untyped;
    try {
      const result = client
        ? type === 'query'
          ? await client.query(path, input)
          : await client.mutation(path, input)
        : await callAnonymously(serverUrl, path, type, input, this.deps.fetch);
      if (link) this.setConnection('online', null);
      await this.afterCall(path, input, result).catch(() => undefined);
      return result;
    } catch (error) {
      const described = describeError(error, serverUrl);
      if (described.code === 'UNAUTHORIZED' && !link) {
        throw new KithError(
          'NOT_SIGNED_IN',
          'Sign in to Kith first: click the Kith button in the toolbar.',
        );
      }
      await this.failed(described);
      if (described.code === 'UNAUTHORIZED') {
        throw new KithError(
          'UNAUTHORIZED',
          'Your Kith session has ended. Sign in again from the Kith button in the toolbar.',
        );
      }
      // Offline, the groups we last saw are better than nothing (the session says offline).
      if (
        path === 'groups.list' &&
        (described.code === 'OFFLINE' || described.code === 'TIMEOUT')
      ) {
        const cached = await this.cache.groups();
        if (cached.length) return cached;
      }
      throw described;
    }
  }

  /** Keeps the cache and badge in step with what the UI just did. */
  private afterCall(path: string, input: unknown, result: unknown) {
    return afterCall(path, input, result, {
      cache: this.cache,
      badge: this.badge,
      notifier: this.notifier,
      session: this.session,
      groupsRefreshed: () => {
        this.lastRefresh = Date.now();
      },
      scheduleRefresh: () => this.scheduleRefresh(),
      sessionChanged: () => this.broadcast('session.changed', this.state()),
    });
  }

  private makeHandlers(): { [K in keyof ProtocolMap]?: Handler<K> } {
    return {
      'session.get': async () => this.state(),
      'session.signIn': async (data) => {
        const before = this.session.value;
        const { invite, ...after } = await this.session.signIn(data);
        if (before.user?.id !== after.user?.id || before.serverUrl !== after.serverUrl) {
          await this.badge.clear();
        }
        this.connection = 'online';
        this.connectionError = null;
        await this.connect();
        this.pending = await this.outbox.pendingCount();
        this.updateNeeds();
        await this.refreshGroups();
        void this.outbox.flush();
        const state = this.state();
        this.broadcast('session.changed', state);
        return invite ? { ...state, invite } : state;
      },
      'session.signOut': async () => {
        await this.disconnect();
        await this.session.signOut();
        await this.cache.clear();
        await this.badge.clear();
        this.pending = 0;
        this.connectionError = null;
        const state = this.state();
        this.broadcast('session.changed', state);
        return state;
      },
      'api.call': async (data) => this.apiCall(data.path, data.type, data.input),
      'outbox.send': async (data) =>
        this.outbox.enqueue({ ...data, kind: 'message' }, this.timings.outboxWaitMs),
      'outbox.share': async (data) =>
        this.outbox.enqueue({ ...data, kind: 'share' }, this.timings.outboxWaitMs),
      'outbox.list': async (data): Promise<OutboxEntry[]> => this.outbox.list(data?.groupId),
      'outbox.discard': async (data) => this.outbox.discard(data.clientId),
      'outbox.retry': async (data) => this.outbox.retry(data.clientId),
      'view.focus': async (data, sender) => {
        if (sender.tabId === undefined) return;
        this.views.focus(sender.tabId, data.groupId);
        if (data.groupId) await this.notifier.clear(data.groupId).catch(() => undefined);
      },
      'view.presence': async (data, sender) => {
        if (sender.tabId !== undefined) this.views.presence(sender.tabId, data.visible);
      },
      'site.enable': async (data) => this.sites.enable(data.origin, data.tabId),
      'site.disable': async (data) => this.sites.disable(data.origin),
      'site.list': async () => this.sites.list(),
      'dock.report': async (data, sender) => {
        if (sender.tabId !== undefined) await this.docks.set(sender.tabId, data);
      },
      'dock.get': async (data) =>
        Number.isInteger(data?.tabId) ? this.docks.get(data.tabId) : null,
      'dock.retry': async (data) => {
        if (!Number.isInteger(data?.tabId)) return { sent: false };
        try {
          await this.deps.post('overlay.retry', undefined, data.tabId);
          return { sent: true };
        } catch {
          return { sent: false };
        }
      },
      'clips.local': async (data) => {
        const clip = clipKeyOf(data);
        if (!clip) throw new KithError('BAD_REQUEST', 'That is not a clip (site, clipId, url).');
        const me = this.session.value.user?.id ?? null;
        if (!me) return { clip, groups: [], friends: [] };
        return localClipActivity(this.deps.db, clip, me);
      },
      'clips.open': async (data) => {
        const request = openingRequest(data);
        if (!this.deps.openTab) throw new KithError('BAD_REQUEST', 'Tabs cannot be opened here.');
        const tabId = await this.deps.openTab(request.url);
        if (tabId !== undefined) await this.openings.remember(tabId, request);
      },
      'clips.opening': async (data, sender) => {
        if (sender.tabId === undefined || typeof data?.url !== 'string') return null;
        return this.openings.take(sender.tabId, data.url);
      },
      'clips.hash': async (data) => {
        const text = typeof data?.text === 'string' ? data.text : null;
        if (text === null || text.length > 5000)
          throw new KithError('BAD_REQUEST', 'Send a text of at most 5000 characters to hash.');
        return sha256Hex(text);
      },
    };
  }
}

/** Hex SHA-256 of a text's UTF-8 bytes (the background is a secure context). */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
