import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { defineExtensionMessaging } from '@webext-core/messaging';
import type { AppRouter } from '../../server/router';
import type { ClipInfo } from '../sites/types';
import type { DockReport } from './dock-report';

export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type SyncEvent =
  RouterOutputs['sync']['events'] extends AsyncIterable<infer T>
    ? T extends { data: infer D }
      ? D
      : T
    : never;
export type GroupSummary = RouterOutputs['groups']['list'][number];
export type MessageView = RouterOutputs['messages']['list']['messages'][number];
export type SessionUser = { id: string; handle: string; displayName: string };

/** What signing up with an invite code did: friends with the inviter, or why not. */
export type InviteOutcome = NonNullable<RouterOutputs['auth']['register']['invite']>;

export interface SessionState {
  serverUrl: string;
  user: SessionUser | null;
  /** 'online' when the server answered last time we asked (the socket may be idle). */
  connection: 'online' | 'connecting' | 'offline';
  /** Items waiting in the outbox. */
  pending: number;
  /** Why the last connection attempt failed, in words for the user; null when all is well. */
  error?: string | null;
}

/** A message or share queued in the outbox; its clientId makes the eventual send exactly-once. */
export type OutboxItem =
  | {
      kind: 'message';
      clientId: string;
      groupId: string;
      /** The words; empty for a product shared without any. */
      body: string;
      clip?: ClipInfo;
      atSeconds?: number;
      replyTo?: string;
      /** A product shared to the group (from the overlay's product card). */
      productId?: string;
    }
  | {
      kind: 'share';
      clientId: string;
      groupIds: string[];
      clip: ClipInfo;
      atSeconds?: number;
      note?: string;
    };

/** An outbox item as the UI sees it. */
export interface OutboxEntry {
  clientId: string;
  item: OutboxItem;
  /** `pending`: will be sent when the server is reachable; `failed`: the server refused it. */
  status: 'pending' | 'failed';
  /** The server's reason for a refusal, or why the last attempt did not go through. */
  error: string | null;
  attempts: number;
  createdAt: string;
}

/** An origin where the overlay runs because the user turned Kith on there. */
export interface SiteStatus {
  origin: string;
  /** True for the sites Kith supports out of the box (always on). */
  builtIn: boolean;
  enabled: boolean;
}

/**
 * What errors thrown across the messenger carry: the server's words and its tRPC code, or one
 * of ours: OFFLINE (server unreachable), TIMEOUT, NOT_SIGNED_IN, BAD_SERVER, PERMISSION.
 */
export interface ProtocolError {
  message: string;
  code: string;
}

/**
 * Every message between the extension's contexts. Content scripts and the popup never talk to
 * the server; they ask the background, which owns the token, the socket and the cache.
 * Handlers throw `Error`s whose `message` is for the user and whose `code` says what kind.
 */
export interface ProtocolMap {
  'session.get'(): SessionState;
  'session.signIn'(data: {
    handle: string;
    password: string;
    register?: boolean;
    displayName?: string;
    serverUrl?: string;
    /** Sign-up only: an invite code or link; the answer's `invite` says what it did. */
    inviteCode?: string;
  }): SessionState & { invite?: InviteOutcome };
  'session.signOut'(): SessionState;
  /** A plain query or mutation, run by the background with the user's token. */
  'api.call'(data: { path: string; type: 'query' | 'mutation'; input?: unknown }): unknown;
  /**
   * Queue a chat message, or a product share (`productId`, body empty): sent now if online,
   * else when the socket is back.
   */
  'outbox.send'(
    data: Omit<Extract<OutboxItem, { kind: 'message' }>, 'clientId' | 'kind'> & {
      /** Named by the sender so it can show the item under its final key from the start. */
      clientId?: string;
    },
  ): {
    clientId: string;
    queued: boolean;
  };
  'outbox.share'(data: Omit<Extract<OutboxItem, { kind: 'share' }>, 'clientId' | 'kind'>): {
    clientId: string;
    queued: boolean;
  };
  /** What is still waiting (or was refused), oldest first; only one group's with `groupId`. */
  'outbox.list'(data?: { groupId?: string }): OutboxEntry[];
  /** Drop a refused (or still pending) item. */
  'outbox.discard'(data: { clientId: string }): void;
  /** Try a refused item again. */
  'outbox.retry'(data: { clientId: string }): void;
  /** Background → tabs and popup: the outbox changed (an item was queued, sent or refused). */
  'outbox.changed'(data: OutboxEntry[]): void;
  /** The tab tells the background which thread it shows, so no notification fires for it. */
  'view.focus'(data: { groupId: string | null }): void;
  /**
   * The overlay tells the background it is on screen (`visible`) or hidden/unmounted. While a
   * tab shows the overlay, the background keeps its socket alive for live events.
   */
  'view.presence'(data: { visible: boolean }): void;
  /** Background → tabs and popup: a live event from `sync.events`. */
  'sync.event'(data: SyncEvent): void;
  /** Background → tabs and popup: session or connection changed. */
  'session.changed'(data: SessionState): void;
  /**
   * Popup → background, after the popup itself got the optional host permission for this
   * origin (only a user gesture can): register the overlay there and start it in `tabId`.
   */
  'site.enable'(data: { origin: string; tabId?: number }): { enabled: boolean };
  /** Stop running the overlay on an origin the user had turned on (and drop the permission). */
  'site.disable'(data: { origin: string }): { enabled: boolean };
  /** The origins the user turned Kith on for. */
  'site.list'(): SiteStatus[];
  /** To a tab's content script: open the overlay on the clip there (the keyboard shortcut). */
  'overlay.open'(): void;
  /** To a tab's content script: look for the clip and the dock again (the popup's "try again"). */
  'overlay.retry'(): void;
  /**
   * A tab's overlay → background: what it found there (adapter, clip id, author, video, anchor,
   * where the button docks). The background keeps the latest per tab, for the popup, and marks
   * the toolbar button of a tab where the overlay cannot dock.
   */
  'dock.report'(data: DockReport): void;
  /** Popup → background: the latest report of a tab, or null when its overlay sent none. */
  'dock.get'(data: { tabId: number }): DockReport | null;
  /** Popup → background: ask a tab's overlay to try again; false when no overlay answered. */
  'dock.retry'(data: { tabId: number }): { sent: boolean };
  /** Background → popup: a tab's report changed (null: the tab is gone). */
  'dock.changed'(data: { tabId: number; report: DockReport | null }): void;
  /**
   * Who in my groups talked about a clip, from the messages the background already holds (the
   * local clip index): answered without asking the server, so viewing a clip tells it nothing.
   */
  'clips.local'(data: {
    site: string;
    clipId: string;
    url: string;
  }): RouterOutputs['clips']['activity'];
  /**
   * Popup → background: open a shared clip in a new tab, with the overlay on `groupId`'s thread
   * at `atSeconds` (the background opens the tab, since the popup closes as the tab opens).
   */
  'clips.open'(data: { url: string; groupId: string; atSeconds?: number | null }): void;
  /**
   * A content script, as its overlay mounts: the thread its tab was opened for by `clips.open`,
   * if any (answered once, and only for the address it was opened on).
   */
  'clips.opening'(data: { url: string }): { groupId: string; atSeconds: number | null } | null;
  /** Hex SHA-256 of a short text, for pages where the content script has no `crypto.subtle`. */
  'clips.hash'(data: { text: string }): string;
}

export const messenger = defineExtensionMessaging<ProtocolMap>();
export const { sendMessage, onMessage } = messenger;
