import { computed, signal } from '@preact/signals';
import type { BackgroundApi } from '../../lib/api';
import { errorCode, errorMessage } from '../../lib/errors';
import { DEFAULT_SERVER_URL, isSupportedOrigin, originPattern, pageOrigin } from '../../lib/hosts';
import type {
  GroupSummary,
  RouterOutputs,
  SessionState,
  SiteStatus,
  SyncEvent,
} from '../../lib/protocol';
import { serverToSignInTo } from './server-access';

export type Friend = RouterOutputs['friends']['list'][number];
export type GroupDetail = RouterOutputs['groups']['get'];
export type Invite = RouterOutputs['friends']['createInvite'];
export type Order = RouterOutputs['orders']['list']['orders'][number];
export type Me = RouterOutputs['auth']['me'];
export type MessageRequest = RouterOutputs['groups']['requests'][number];
export type GroupAdds = Me['settings']['groupAdds'];
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
  }): Promise<SessionState>;
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
  copy(text: string): Promise<void>;
  /** Saves `text` as a file the user downloads (defaults to a link click in the popup page). */
  download?(filename: string, text: string, type: string): Promise<void> | void;
}

/** Saves a file from the popup page: a temporary object URL on a link with `download`. */
function downloadInPage(filename: string, text: string, type: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
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

export function createPopupStore(deps: PopupDeps) {
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
      ]);
    });
  }

  const store = {
    session,
    signedIn,
    panel,
    notice,
    busy,
    friends,
    groups,
    invite,
    openGroup,
    orders,
    sites,
    tab,
    signInError,
    me,
    requests,

    async start() {
      // Unread counts and names follow what happens while the popup is open.
      let pendingReload: ReturnType<typeof setTimeout> | null = null;
      deps.onSyncEvent?.((event) => {
        if (event.type === 'typing' || event.type === 'ready' || pendingReload) return;
        pendingReload = setTimeout(() => {
          pendingReload = null;
          if (signedIn.value) {
            void loadGroups().catch(() => undefined);
            void loadRequests().catch(() => undefined);
          }
        }, 300);
      });
      deps.onSessionChanged((state) => {
        const wasIn = signedIn.value;
        session.value = state;
        if (!wasIn && state.user) void refresh();
      });
      try {
        session.value = await deps.session();
      } catch {
        session.value = {
          serverUrl: DEFAULT_SERVER_URL,
          user: null,
          connection: 'offline',
          pending: 0,
        };
        notice.value = {
          kind: 'error',
          text: 'Kith’s background is not answering. Close this popup and open it again; if it persists, reload the extension.',
        };
      }
      await refresh();
    },

    show(next: Panel) {
      panel.value = next;
      notice.value = null;
      openGroup.value = null;
      if (next === 'account') {
        void act('me', async () => {
          me.value = await deps.api.auth.me.query();
        });
      }
      if (next === 'orders') {
        void act('orders', async () => {
          orders.value = (await deps.api.orders.list.query({ limit: 20 })).orders;
        });
      }
    },

    dismissNotice() {
      notice.value = null;
    },

    async signIn(form: {
      handle: string;
      password: string;
      register: boolean;
      displayName: string;
      serverUrl: string;
    }) {
      busy.value = 'signIn';
      signInError.value = null;
      try {
        const serverUrl = await serverToSignInTo(form.serverUrl, deps.requestOrigins);
        session.value = await deps.signIn({
          handle: form.handle,
          password: form.password,
          register: form.register,
          ...(form.register && form.displayName.trim() ? { displayName: form.displayName } : {}),
          serverUrl,
        });
        panel.value = 'groups';
        await refresh();
        return true;
      } catch (error) {
        signInError.value = explain(error);
        return false;
      } finally {
        busy.value = null;
      }
    },

    async signOut() {
      await act('signOut', forgetSession);
    },

    // Account and privacy ------------------------------------------------------------------

    async setReadReceipts(on: boolean) {
      await act(
        'settings',
        async () => {
          me.value = await deps.api.auth.update.mutate({ readReceipts: on });
        },
        on
          ? 'Read receipts are on: people see when you have read their messages.'
          : 'Read receipts are off: nobody sees when you have read their messages.',
      );
    },

    async setGroupAdds(value: GroupAdds) {
      await act(
        'settings',
        async () => {
          me.value = await deps.api.auth.update.mutate({ groupAdds: value });
        },
        value === 'nobody'
          ? 'Nobody can add you to groups now. Friends can still message you directly.'
          : 'Your friends can add you to groups.',
      );
    },

    /** Downloads everything the server holds about me as one JSON file. */
    async downloadData() {
      await act(
        'export',
        async () => {
          const data = await deps.api.account.export.query();
          const day = data.exportedAt.slice(0, 10);
          const text = JSON.stringify(data, null, 2);
          await (deps.download ?? downloadInPage)(
            `kith-data-${data.profile.handle}-${day}.json`,
            text,
            'application/json',
          );
        },
        'Your data is downloading as a JSON file.',
      );
    },

    async logoutEverywhere() {
      const done = await act('logoutAll', async () => {
        await deps.api.auth.logoutAll.mutate();
        return true;
      });
      if (!done) return;
      await forgetSession().catch(() => undefined);
      notice.value = {
        kind: 'ok',
        text: 'You are signed out on every device. Sign in again to carry on here.',
      };
    },

    /** Deletes the account after the password check; false (with the reason shown) if refused. */
    async deleteAccount(password: string): Promise<boolean> {
      if (!password) {
        notice.value = { kind: 'error', text: 'Type your password to confirm.' };
        return false;
      }
      const done = await act('deleteAccount', async () => {
        await deps.api.account.delete.mutate({ password });
        return true;
      });
      if (!done) return false;
      await forgetSession().catch(() => undefined);
      notice.value = {
        kind: 'ok',
        text: 'Your Kith account is deleted. Your messages now show as “Deleted user”.',
      };
      return true;
    },

    // Message requests ---------------------------------------------------------------------

    async acceptRequest(request: MessageRequest) {
      await act(
        `request:${request.groupId}`,
        async () => {
          await deps.api.groups.acceptRequest.mutate({ groupId: request.groupId });
          await Promise.all([loadRequests(), loadGroups()]);
        },
        `You can now message ${request.from.displayName}.`,
      );
    },

    async declineRequest(request: MessageRequest) {
      await act(
        `request:${request.groupId}`,
        async () => {
          await deps.api.groups.declineRequest.mutate({ groupId: request.groupId });
          await loadRequests();
        },
        `Declined. ${request.from.displayName} cannot send you more messages.`,
      );
    },

    // Friends ------------------------------------------------------------------------------

    async createInvite() {
      await act('invite', async () => {
        invite.value = await deps.api.friends.createInvite.mutate({ maxUses: 1 });
      });
    },

    async copyInvite() {
      const current = invite.value;
      if (!current) return;
      await act(
        'copy',
        () => deps.copy(current.url),
        'Invite link copied. Send it to your friend.',
      );
    },

    async acceptInvite(code: string): Promise<boolean> {
      const trimmed = code.trim();
      if (!trimmed) {
        notice.value = {
          kind: 'error',
          text: 'Paste the invite code or link your friend sent you.',
        };
        return false;
      }
      const result = await act('accept', async () => {
        const { friend } = await deps.api.friends.acceptInvite.mutate({ code: trimmed });
        await loadFriends();
        return friend;
      });
      if (result)
        notice.value = { kind: 'ok', text: `You and ${result.displayName} are now friends.` };
      return Boolean(result);
    },

    async removeFriend(friend: Friend) {
      await act(
        `remove:${friend.id}`,
        async () => {
          await deps.api.friends.remove.mutate({ userId: friend.id });
          await loadFriends();
        },
        `${friend.displayName} is no longer your friend.`,
      );
    },

    async blockFriend(friend: Friend) {
      await act(
        `block:${friend.id}`,
        async () => {
          await deps.api.friends.block.mutate({ userId: friend.id });
          await loadFriends();
        },
        `${friend.displayName} is blocked: they cannot add you or message you.`,
      );
    },

    // Groups -------------------------------------------------------------------------------

    async createGroup(name: string, memberIds: string[]): Promise<boolean> {
      if (!name.trim()) {
        notice.value = { kind: 'error', text: 'Give the group a name.' };
        return false;
      }
      if (memberIds.length === 0) {
        notice.value = { kind: 'error', text: 'Choose at least one friend for the group.' };
        return false;
      }
      const created = await act('createGroup', async () => {
        const group = await deps.api.groups.create.mutate({ name: name.trim(), memberIds });
        await loadGroups();
        return group;
      });
      if (created) notice.value = { kind: 'ok', text: `“${created.name}” is ready.` };
      return Boolean(created);
    },

    async open(groupId: string) {
      await act(`open:${groupId}`, async () => {
        openGroup.value = await deps.api.groups.get.query({ groupId });
      });
    },

    close() {
      openGroup.value = null;
      notice.value = null;
    },

    async rename(groupId: string, name: string): Promise<boolean> {
      const updated = await act(
        'rename',
        async () => {
          const group = await deps.api.groups.rename.mutate({ groupId, name: name.trim() });
          openGroup.value = group;
          await loadGroups();
          return group;
        },
        'Renamed.',
      );
      return Boolean(updated);
    },

    async setMuted(groupId: string, muted: boolean) {
      await act(
        'mute',
        async () => {
          await deps.api.groups.mute.mutate({ groupId, muted });
          if (openGroup.value?.id === groupId) openGroup.value = { ...openGroup.value, muted };
          await loadGroups();
        },
        muted ? 'Muted: no notifications from this group.' : 'Notifications are back on.',
      );
    },

    async addMembers(groupId: string, userIds: string[]) {
      if (userIds.length === 0) return;
      await act(
        'addMembers',
        async () => {
          openGroup.value = await deps.api.groups.addMembers.mutate({ groupId, userIds });
          await loadGroups();
        },
        'Added.',
      );
    },

    async removeMember(groupId: string, userId: string) {
      await act(`removeMember:${userId}`, async () => {
        openGroup.value = await deps.api.groups.removeMember.mutate({ groupId, userId });
        await loadGroups();
      });
    },

    async leave(groupId: string) {
      await act(
        'leave',
        async () => {
          await deps.api.groups.leave.mutate({ groupId });
          openGroup.value = null;
          await loadGroups();
        },
        'You left the group.',
      );
    },

    // This site ----------------------------------------------------------------------------

    async enableSite() {
      const current = tab.value;
      if (!current?.origin) return;
      const origin = current.origin;
      busy.value = 'site';
      notice.value = null;
      try {
        // The permission prompt needs the click's user gesture: ask before anything else.
        const granted = await deps.requestOrigins([originPattern(origin)]);
        if (!granted) {
          notice.value = {
            kind: 'error',
            text: `Kith stays off on ${new URL(origin).hostname}: the permission was not given. Click the button again and choose Allow to turn it on.`,
          };
          return;
        }
        await deps.siteEnable(origin, current.id);
        await loadSites();
        notice.value = {
          kind: 'ok',
          text: `Kith is on for ${new URL(origin).hostname}. Play a video to see it.`,
        };
      } catch (error) {
        notice.value = { kind: 'error', text: explain(error) };
      } finally {
        busy.value = null;
      }
    },

    async disableSite(origin: string) {
      await act(
        `site:${origin}`,
        async () => {
          await deps.siteDisable(origin);
          await loadSites();
        },
        `Kith is off for ${new URL(origin).hostname}.`,
      );
    },

    /** What the "This site" panel says about the current tab. */
    siteState: computed(() => {
      const origin = tab.value?.origin ?? null;
      if (!origin) return { kind: 'none' as const };
      if (isSupportedOrigin(origin)) return { kind: 'builtIn' as const, origin };
      const on = sites.value.some((s) => s.origin === origin);
      return { kind: on ? ('on' as const) : ('off' as const), origin };
    }),

    refresh,
  };
  return store;
}

export type PopupStore = ReturnType<typeof createPopupStore>;
