import { computed, signal } from '@preact/signals';
import type { BackgroundApi } from '../../lib/api';
import type { DockReport } from '../../lib/dock-report';
import { errorCode, errorMessage } from '../../lib/errors';
import { pageOrigin } from '../../lib/hosts';
import type {
  GroupSummary,
  InviteOutcome,
  RouterOutputs,
  SessionState,
  SiteStatus,
  SyncEvent,
} from '../../lib/protocol';
import type { KithClient } from '../../ui/client';

/**
 * The popup's state: its signals, the loaders that fill them and `act`, which runs one user
 * action. createPopupStore (store.ts) adds the actions, one file per panel.
 */

export type Friend = RouterOutputs['friends']['list'][number];
export type GroupDetail = RouterOutputs['groups']['get'];
export type Invite = RouterOutputs['friends']['createInvite'];
export type Order = RouterOutputs['orders']['list']['orders'][number];
export type Me = RouterOutputs['auth']['me'];
export type MessageRequest = RouterOutputs['groups']['requests'][number];
export type GroupAdds = Me['settings']['groupAdds'];
export type FriendRequests = RouterOutputs['friends']['requests'];
export type IncomingFriendRequest = FriendRequests['incoming'][number];
export type OutgoingFriendRequest = FriendRequests['outgoing'][number];
export type ChannelClaim = RouterOutputs['channels']['mine'][number];
export type Earnings = RouterOutputs['creators']['earnings'];
export type TagRequest = RouterOutputs['shop']['tagRequests']['incoming'][number];
export type Panel = 'groups' | 'friends' | 'orders' | 'site' | 'account';

/** What the popup needs from the extension; main.tsx passes the real one, tests a fake. */
export interface PopupDeps {
  api: BackgroundApi;
  session(): Promise<SessionState>;
  signIn(data: {
    handle: string;
    password: string;
    register?: boolean;
    displayName?: string;
    serverUrl?: string;
    inviteCode?: string;
  }): Promise<SessionState & { invite?: InviteOutcome }>;
  signOut(): Promise<SessionState>;
  onSessionChanged(listener: (state: SessionState) => void): void;
  /** Live events the background passes on while the popup is open. */
  onSyncEvent?(listener: (event: SyncEvent) => void): void;
  siteList(): Promise<SiteStatus[]>;
  siteEnable(origin: string, tabId?: number): Promise<{ enabled: boolean }>;
  siteDisable(origin: string): Promise<{ enabled: boolean }>;
  /** `browser.permissions.request`: must be the first thing a click handler awaits. */
  requestOrigins(origins: string[]): Promise<boolean>;
  currentTab(): Promise<{ id?: number; url?: string } | null>;
  /** What the overlay found on a tab (the "This site" diagnostics); null when it sent nothing. */
  dockReport?(tabId: number): Promise<DockReport | null>;
  /** Asks a tab's overlay to look again; false when no overlay answered. */
  dockRetry?(tabId: number): Promise<{ sent: boolean }>;
  /** A tab's report changed while the popup is open. */
  onDockChanged?(listener: (tabId: number, report: DockReport | null) => void): void;
  /** The extension's version, named in a copied report. */
  version?: string;
  copy(text: string): Promise<void>;
  /**
   * The shared UI's client (the overlay's): the inbox's open thread runs on it, live, with the
   * outbox. Without one the inbox shows threads but not their messages.
   */
  client?: KithClient;
  /** Opens a shared clip in a tab with the overlay on its thread, at its moment. */
  openClip?(data: { url: string; groupId: string; atSeconds: number | null }): Promise<void>;
  /** Saves `text` as a file the user downloads (defaults to a link click in the popup page). */
  download?(filename: string, text: string, type: string): Promise<void> | void;
}

export interface Notice {
  kind: 'error' | 'ok';
  text: string;
}

/** Turns an error into words with a next step, for codes where the server's words need one. */
export function explain(error: unknown): string {
  const message = errorMessage(error);
  switch (errorCode(error)) {
    case 'TOO_MANY_REQUESTS':
      return `${message} Wait a moment, then try again.`;
    case 'INTERNAL_SERVER_ERROR':
      return 'Something went wrong on the Kith server. Try again in a moment.';
    default:
      return message;
  }
}

/** The popup's signals and loaders, shared by every group of actions. */
export function createPopupState(deps: PopupDeps) {
  const session = signal<SessionState | null>(null);
  const panel = signal<Panel>('groups');
  const notice = signal<Notice | null>(null);
  const busy = signal<string | null>(null);
  const friends = signal<Friend[] | null>(null);
  const groups = signal<GroupSummary[] | null>(null);
  const invite = signal<Invite | null>(null);
  const openGroup = signal<GroupDetail | null>(null);
  const sites = signal<SiteStatus[]>([]);
  const orders = signal<Order[] | null>(null);
  const tab = signal<{ id?: number; origin: string | null } | null>(null);
  const signInError = signal<string | null>(null);
  const me = signal<Me | null>(null);
  const requests = signal<MessageRequest[] | null>(null);
  const friendRequests = signal<FriendRequests | null>(null);
  /** Friend requests waiting for my answer: the count on the Friends tab. */
  const incomingCount = computed(() => friendRequests.value?.incoming.length ?? 0);
  /** My channel claims, and brands' requests to tag my clips (the Account tab). */
  const channels = signal<ChannelClaim[] | null>(null);
  const tagRequests = signal<TagRequest[] | null>(null);
  /** My commissions as a creator (the Account tab's Earnings card). */
  const earnings = signal<Earnings | null>(null);

  const signedIn = computed(() => Boolean(session.value?.user));

  /** Runs one user action: one at a time, errors shown in the notice bar (or returned). */
  async function act<T>(
    label: string,
    work: () => Promise<T>,
    success?: string,
  ): Promise<T | undefined> {
    busy.value = label;
    notice.value = null;
    try {
      const result = await work();
      if (success) notice.value = { kind: 'ok', text: success };
      return result;
    } catch (error) {
      notice.value = { kind: 'error', text: explain(error) };
      return undefined;
    } finally {
      if (busy.value === label) busy.value = null;
    }
  }

  async function loadFriends() {
    friends.value = await deps.api.friends.list.query();
  }

  async function loadGroups() {
    groups.value = await deps.api.groups.list.query();
  }

  async function loadRequests() {
    requests.value = await deps.api.groups.requests.query();
  }

  async function loadFriendRequests() {
    friendRequests.value = await deps.api.friends.requests.query();
  }

  /** After the server ended every session (log out everywhere, deletion): sign out here too. */
  async function forgetSession() {
    session.value = await deps.signOut();
    friends.value = null;
    groups.value = null;
    orders.value = null;
    invite.value = null;
    openGroup.value = null;
    me.value = null;
    requests.value = null;
    friendRequests.value = null;
    channels.value = null;
    tagRequests.value = null;
    earnings.value = null;
    panel.value = 'groups';
  }

  async function loadSites() {
    const [list, current] = await Promise.all([deps.siteList(), deps.currentTab()]);
    sites.value = list;
    tab.value = current
      ? { ...(current.id !== undefined ? { id: current.id } : {}), origin: pageOrigin(current.url) }
      : null;
  }

  async function refresh() {
    if (!signedIn.value) return;
    await act('load', async () => {
      // Requests are extra: the popup works without them if they cannot be loaded.
      await Promise.all([
        loadGroups(),
        loadFriends(),
        loadSites(),
        loadRequests().catch(() => undefined),
        loadFriendRequests().catch(() => undefined),
      ]);
    });
  }

  return {
    deps,
    session,
    panel,
    notice,
    busy,
    friends,
    groups,
    invite,
    openGroup,
    sites,
    orders,
    tab,
    signInError,
    me,
    requests,
    friendRequests,
    incomingCount,
    channels,
    tagRequests,
    earnings,
    signedIn,
    act,
    loadFriends,
    loadGroups,
    loadRequests,
    loadFriendRequests,
    forgetSession,
    loadSites,
    refresh,
  };
}

export type PopupState = ReturnType<typeof createPopupState>;
