import type { PopupStore } from '../store';

const STATUS = {
  online: 'Connected',
  connecting: 'Connecting…',
  offline: 'Offline',
} as const;

export function Header({ store }: { store: PopupStore }) {
  const session = store.session.value;
  const user = session?.user;
  return (
    <header class="header">
      <img class="logo" src="/icon/32.png" alt="" width="24" height="24" />
      <h1>Kith</h1>
      {user && session && (
        <div class="who">
          <span
            class={`dot ${session.connection}`}
            title={session.error ?? STATUS[session.connection]}
          />
          <span class="name" title={`@${user.handle}`}>
            {user.displayName}
          </span>
          {session.pending > 0 && (
            <span class="pending" title="Waiting to be sent when Kith is back online">
              {session.pending} waiting
            </span>
          )}
          <button
            type="button"
            class="link"
            onClick={() => store.signOut()}
            disabled={store.busy.value === 'signOut'}
          >
            Sign out
          </button>
        </div>
      )}
      {user && session?.connection === 'offline' && session.error && (
        <p class="offline" role="status">
          {session.error}
        </p>
      )}
    </header>
  );
}
