import { DEFAULT_SERVER_URL } from '../../lib/hosts';
import type { InviteOutcome } from '../../lib/protocol';
import { accountActions } from './account-actions';
import { channelActions } from './channel-actions';
import { friendActions } from './friend-actions';
import { groupActions } from './group-actions';
import { createPopupState, explain, type Notice, type Panel, type PopupDeps } from './popup-state';
import { serverToSignInTo } from './server-access';
import { siteActions } from './site-actions';

// The popup's types and helpers live in popup-state.ts; importable from here as before.
export {
  type ChannelClaim,
  explain,
  type Friend,
  type FriendRequests,
  type GroupAdds,
  type GroupDetail,
  type IncomingFriendRequest,
  type Invite,
  type Me,
  type MessageRequest,
  type Notice,
  type Order,
  type OutgoingFriendRequest,
  type Panel,
  type PopupDeps,
  type TagRequest,
} from './popup-state';

const WHY_NO_FRIEND = {
  unknown: 'that invite code does not exist',
  expired: 'that invite has expired',
  used: 'that invite had already been used',
} as const;

/** What a sign-up with an invite code did, for the notice bar. */
function inviteNotice(invite: InviteOutcome): Notice {
  return invite.accepted
    ? { kind: 'ok', text: `Welcome to Kith! You and ${invite.friend.displayName} are friends now.` }
    : {
        kind: 'error',
        text: `Your account is ready, but no friendship was made: ${WHY_NO_FRIEND[invite.reason]}. Ask for a new link, or add them by handle.`,
      };
}

/**
 * The popup's store: state and loaders (popup-state.ts), start-up, navigation and sign-in here,
 * and one file of actions per panel (account, friends, groups, this site).
 */
export function createPopupStore(deps: PopupDeps) {
  const state = createPopupState(deps);
  // The panels read every signal of the state; the loaders stay behind the store's actions.
  const {
    deps: popupDeps,
    loadFriends: _loadFriends,
    loadSites: _loadSites,
    act,
    loadGroups,
    loadRequests,
    loadFriendRequests,
    forgetSession,
    refresh,
    ...signals
  } = state;
  const { session, signedIn, panel, notice, busy, openGroup, orders, signInError, me } = signals;

  const store = {
    ...signals,
    /** The shared UI's client, for the inbox's open thread (absent: no messages shown). */
    client: popupDeps.client,

    async start() {
      // Unread counts and names follow what happens while the popup is open.
      let pendingReload: ReturnType<typeof setTimeout> | null = null;
      let pendingFriends: ReturnType<typeof setTimeout> | null = null;
      deps.onSyncEvent?.((event) => {
        // Someone asked me, took it back, or accepted: the Friends tab and its count follow.
        if (event.type.startsWith('friend.')) {
          if (pendingFriends) return;
          pendingFriends = setTimeout(() => {
            pendingFriends = null;
            if (!signedIn.value) return;
            void loadFriendRequests().catch(() => undefined);
            void state.loadFriends().catch(() => undefined);
          }, 100);
          return;
        }
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
        void store.loadChannels();
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
      inviteCode?: string;
    }) {
      busy.value = 'signIn';
      signInError.value = null;
      try {
        const serverUrl = await serverToSignInTo(form.serverUrl, deps.requestOrigins);
        const { invite, ...signedInState } = await deps.signIn({
          handle: form.handle,
          password: form.password,
          register: form.register,
          ...(form.register && form.displayName.trim() ? { displayName: form.displayName } : {}),
          ...(form.register && form.inviteCode?.trim() ? { inviteCode: form.inviteCode } : {}),
          serverUrl,
        });
        session.value = signedInState;
        panel.value = invite ? 'friends' : 'groups';
        await refresh();
        if (invite) notice.value = inviteNotice(invite);
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

    ...accountActions(state),
    ...channelActions(state),
    ...friendActions(state),
    ...groupActions(state),
    ...siteActions(state),
    refresh,
  };
  return store;
}

export type PopupStore = ReturnType<typeof createPopupStore>;
