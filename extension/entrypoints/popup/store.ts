import { DEFAULT_SERVER_URL } from '../../lib/hosts';
import { accountActions } from './account-actions';
import { channelActions } from './channel-actions';
import { friendActions } from './friend-actions';
import { groupActions } from './group-actions';
import { createPopupState, explain, type Panel, type PopupDeps } from './popup-state';
import { serverToSignInTo } from './server-access';
import { siteActions } from './site-actions';

// The popup's types and helpers live in popup-state.ts; importable from here as before.
export {
  type ChannelClaim,
  explain,
  type Friend,
  type GroupAdds,
  type GroupDetail,
  type Invite,
  type Me,
  type MessageRequest,
  type Notice,
  type Order,
  type Panel,
  type PopupDeps,
  type TagRequest,
} from './popup-state';

/**
 * The popup's store: state and loaders (popup-state.ts), start-up, navigation and sign-in here,
 * and one file of actions per panel (account, friends, groups, this site).
 */
export function createPopupStore(deps: PopupDeps) {
  const state = createPopupState(deps);
  // The panels read every signal of the state; the loaders stay behind the store's actions.
  const {
    deps: _deps,
    loadFriends: _loadFriends,
    loadSites: _loadSites,
    act,
    loadGroups,
    loadRequests,
    forgetSession,
    refresh,
    ...signals
  } = state;
  const { session, signedIn, panel, notice, busy, openGroup, orders, signInError, me } = signals;

  const store = {
    ...signals,

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
