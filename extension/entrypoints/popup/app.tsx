import { OPEN_OVERLAY_KEY } from '../../background/commands';
import { AccountPanel } from './components/account-panel';
import { FriendsPanel } from './components/friends-panel';
import { GroupsPanel } from './components/groups-panel';
import { Header } from './components/header';
import { NoticeBar } from './components/notice';
import { OrdersPanel } from './components/orders-panel';
import { SignIn } from './components/sign-in';
import { SitePanel } from './components/site-panel';
import type { Panel, PopupStore } from './store';

const PANELS: { id: Panel; label: string }[] = [
  { id: 'groups', label: 'Inbox' },
  { id: 'friends', label: 'Friends' },
  { id: 'orders', label: 'Orders' },
  { id: 'site', label: 'This site' },
  { id: 'account', label: 'Account' },
];

export function App({ store }: { store: PopupStore }) {
  const session = store.session.value;
  if (!session) {
    return (
      <main class="popup">
        <p class="muted center" aria-live="polite">
          Loading…
        </p>
      </main>
    );
  }
  if (!session.user) {
    return (
      <main class="popup">
        <Header store={store} />
        <NoticeBar store={store} />
        <SignIn store={store} />
      </main>
    );
  }
  const panel = store.panel.value;
  return (
    <main class="popup">
      <Header store={store} />
      <div class="tabs" role="tablist" aria-label="Kith">
        {PANELS.map((p) => (
          <button
            key={p.id}
            type="button"
            role="tab"
            id={`tab-${p.id}`}
            aria-selected={panel === p.id}
            aria-controls={`panel-${p.id}`}
            class={panel === p.id ? 'tab active' : 'tab'}
            onClick={() => store.show(p.id)}
          >
            {p.label}
            {p.id === 'friends' && store.incomingCount.value > 0 && (
              <span class="count tab-count" data-testid="friend-request-count">
                <span class="visually-hidden"> (</span>
                {store.incomingCount.value}
                <span class="visually-hidden">
                  {store.incomingCount.value === 1 ? ' request)' : ' requests)'}
                </span>
              </span>
            )}
          </button>
        ))}
      </div>
      <NoticeBar store={store} />
      <section class="panel" role="tabpanel" id={`panel-${panel}`} aria-labelledby={`tab-${panel}`}>
        {panel === 'groups' && <GroupsPanel store={store} />}
        {panel === 'friends' && <FriendsPanel store={store} />}
        {panel === 'orders' && <OrdersPanel store={store} />}
        {panel === 'site' && <SitePanel store={store} />}
        {panel === 'account' && <AccountPanel store={store} />}
      </section>
      <p class="muted hint">
        On a clip, press <kbd>{OPEN_OVERLAY_KEY}</kbd> to open Kith (change it in the browser's
        extension shortcuts).
      </p>
    </main>
  );
}
