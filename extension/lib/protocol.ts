import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { defineExtensionMessaging } from '@webext-core/messaging';
import type { AppRouter } from '../../server/router';
import type { ClipInfo } from '../sites/types';

export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type SyncEvent = RouterOutputs['sync']['events'] extends AsyncIterable<infer T>
  ? T extends { data: infer D }
    ? D
    : T
  : never;
export type GroupSummary = RouterOutputs['groups']['list'][number];
export type MessageView = RouterOutputs['messages']['list']['messages'][number];

export interface SessionState {
  serverUrl: string;
  user: { id: string; handle: string; displayName: string } | null;
  /** 'online' when the event socket is connected. */
  connection: 'online' | 'connecting' | 'offline';
  /** Items waiting in the outbox. */
  pending: number;
}

/** A message or share queued in the outbox; its clientId makes the eventual send exactly-once. */
export type OutboxItem =
  | { kind: 'message'; clientId: string; groupId: string; body: string; clip?: ClipInfo; atSeconds?: number }
  | { kind: 'share'; clientId: string; groupIds: string[]; clip: ClipInfo; atSeconds?: number; note?: string };

/**
 * Every message between the extension's contexts. Content scripts and the popup never talk to
 * the server; they ask the background, which owns the token, the socket and the cache.
 */
export interface ProtocolMap {
  'session.get'(): SessionState;
  'session.signIn'(data: { handle: string; password: string; register?: boolean; displayName?: string; serverUrl?: string }): SessionState;
  'session.signOut'(): SessionState;
  /** A plain query or mutation, run by the background with the user's token. */
  'api.call'(data: { path: string; type: 'query' | 'mutation'; input?: unknown }): unknown;
  /** Queue a chat message (sent now if online, else when the socket is back). */
  'outbox.send'(data: Omit<Extract<OutboxItem, { kind: 'message' }>, 'clientId' | 'kind'>): { clientId: string; queued: boolean };
  'outbox.share'(data: Omit<Extract<OutboxItem, { kind: 'share' }>, 'clientId' | 'kind'>): { clientId: string; queued: boolean };
  /** The tab tells the background which thread it shows, so no notification fires for it. */
  'view.focus'(data: { groupId: string | null }): void;
  /** Background → tabs and popup: a live event from `sync.events`. */
  'sync.event'(data: SyncEvent): void;
  /** Background → tabs and popup: session or connection changed. */
  'session.changed'(data: SessionState): void;
  /** Popup → background: ask for the optional host permission on this site, then register the overlay there. */
  'site.enable'(data: { origin: string }): { enabled: boolean };
}

export const messenger = defineExtensionMessaging<ProtocolMap>();
export const { sendMessage, onMessage } = messenger;
