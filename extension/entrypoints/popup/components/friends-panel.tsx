import { useSignal } from '@preact/signals';
import type { Friend, PopupStore } from '../store';

function FriendRow({ store, friend }: { store: PopupStore; friend: Friend }) {
  const confirm = useSignal<'remove' | 'block' | null>(null);
  const busy = store.busy.value;
  return (
    <li class="row">
      <div class="who">
        <span class="name">{friend.displayName}</span>
        <span class="muted small">@{friend.handle}</span>
      </div>
      {confirm.value ? (
        <div class="actions">
          <span class="small">{confirm.value === 'remove' ? 'Remove?' : 'Block?'}</span>
          <button
            type="button"
            class="danger small"
            disabled={busy !== null}
            onClick={async () => {
              if (confirm.value === 'remove') await store.removeFriend(friend);
              else await store.blockFriend(friend);
              confirm.value = null;
            }}
          >
            Yes
          </button>
          <button
            type="button"
            class="small"
            onClick={() => {
              confirm.value = null;
            }}
          >
            No
          </button>
        </div>
      ) : (
        <div class="actions">
          <button
            type="button"
            class="small"
            aria-label={`Remove ${friend.displayName}`}
            onClick={() => {
              confirm.value = 'remove';
            }}
          >
            Remove
          </button>
          <button
            type="button"
            class="small"
            aria-label={`Block ${friend.displayName}`}
            onClick={() => {
              confirm.value = 'block';
            }}
          >
            Block
          </button>
        </div>
      )}
    </li>
  );
}

export function FriendsPanel({ store }: { store: PopupStore }) {
  const code = useSignal('');
  const friends = store.friends.value;
  const invite = store.invite.value;
  const busy = store.busy.value;
  return (
    <div class="stack">
      <div class="card">
        <h2>Add a friend</h2>
        {invite ? (
          <div class="invite">
            <p class="small">
              Send this link to a friend. It works once and expires{' '}
              {new Date(invite.expiresAt).toLocaleDateString()}.
            </p>
            <div class="copy">
              <input
                readOnly
                value={invite.url}
                aria-label="Invite link"
                onFocus={(e) => e.currentTarget.select()}
              />
              <button type="button" class="primary small" onClick={() => store.copyInvite()}>
                Copy
              </button>
            </div>
            <p class="muted small">
              Or read them the code: <strong class="code">{invite.code}</strong>
            </p>
          </div>
        ) : (
          <button
            type="button"
            class="primary"
            disabled={busy === 'invite'}
            onClick={() => store.createInvite()}
          >
            Create an invite link
          </button>
        )}
        <form
          class="inline"
          onSubmit={async (e) => {
            e.preventDefault();
            if (await store.acceptInvite(code.value)) code.value = '';
          }}
        >
          <input
            placeholder="Got a code or link? Paste it"
            aria-label="Invite code or link"
            value={code.value}
            onInput={(e) => {
              code.value = e.currentTarget.value;
            }}
          />
          <button type="submit" disabled={busy === 'accept'}>
            Accept
          </button>
        </form>
      </div>
      <div class="card">
        <h2>Friends</h2>
        {friends === null ? (
          <p class="muted">Loading…</p>
        ) : friends.length === 0 ? (
          <p class="muted">No friends yet. Invite someone you know in real life.</p>
        ) : (
          <ul class="list">
            {friends.map((f) => (
              <FriendRow key={f.id} store={store} friend={f} />
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}
