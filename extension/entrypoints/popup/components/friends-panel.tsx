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

/** Requests waiting for my answer, with their count; accept or decline each. */
function IncomingRequests({ store }: { store: PopupStore }) {
  const incoming = store.friendRequests.value?.incoming ?? [];
  const busy = store.busy.value;
  if (incoming.length === 0) return null;
  return (
    <section class="card" aria-labelledby="incoming-title">
      <h2 id="incoming-title">
        Friend requests <span class="count">{incoming.length}</span>
      </h2>
      <ul class="list">
        {incoming.map((r) => (
          <li key={r.id} class="row" data-testid="incoming-request">
            <div class="who">
              <span class="name">{r.from.displayName}</span>
              <span class="muted small">@{r.from.handle}</span>
            </div>
            <div class="actions">
              <button
                type="button"
                class="primary small"
                disabled={busy !== null}
                aria-label={`Accept ${r.from.displayName}`}
                onClick={() => store.respondToFriend(r, true)}
              >
                Accept
              </button>
              <button
                type="button"
                class="small"
                disabled={busy !== null}
                aria-label={`Decline ${r.from.displayName}`}
                onClick={() => store.respondToFriend(r, false)}
              >
                Decline
              </button>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Add by handle, and my requests not yet answered, each with a take-back. */
function AddByHandle({ store }: { store: PopupStore }) {
  const handle = useSignal('');
  const outgoing = store.friendRequests.value?.outgoing ?? [];
  const busy = store.busy.value;
  return (
    <>
      <form
        class="inline"
        onSubmit={async (e) => {
          e.preventDefault();
          if (await store.requestFriend(handle.value)) handle.value = '';
        }}
      >
        <input
          name="friendHandle"
          placeholder="Add by handle, e.g. @ana"
          aria-label="Handle to add"
          autocapitalize="off"
          spellcheck={false}
          maxLength={30}
          value={handle.value}
          onInput={(e) => {
            handle.value = e.currentTarget.value;
          }}
        />
        <button type="submit" disabled={busy === 'friendRequest'}>
          Add
        </button>
      </form>
      {outgoing.length > 0 && (
        <>
          <h3 class="small">Waiting for an answer</h3>
          <ul class="list">
            {outgoing.map((r) => (
              <li key={r.id} class="row" data-testid="outgoing-request">
                <div class="who">
                  <span class="name">{r.to.displayName}</span>
                  <span class="muted small">@{r.to.handle}</span>
                </div>
                <div class="actions">
                  <button
                    type="button"
                    class="small"
                    disabled={busy !== null}
                    aria-label={`Cancel the request to ${r.to.displayName}`}
                    onClick={() => store.cancelFriendRequest(r)}
                  >
                    Cancel
                  </button>
                </div>
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}

/** Whether a friend matches what was typed in the search box (name or handle, any case). */
function matches(friend: Friend, query: string): boolean {
  const q = query.trim().replace(/^@/, '').toLocaleLowerCase();
  if (!q) return true;
  return (
    friend.displayName.toLocaleLowerCase().includes(q) ||
    friend.handle.toLocaleLowerCase().includes(q)
  );
}

export function FriendsPanel({ store }: { store: PopupStore }) {
  const code = useSignal('');
  const search = useSignal('');
  const friends = store.friends.value;
  const invite = store.invite.value;
  const busy = store.busy.value;
  const shown = friends?.filter((f) => matches(f, search.value)) ?? [];
  return (
    <div class="stack">
      <IncomingRequests store={store} />
      <div class="card">
        <h2>Add a friend</h2>
        <AddByHandle store={store} />
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
        {friends !== null && friends.length > 0 && (
          <input
            type="search"
            class="friend-search"
            name="friendSearch"
            placeholder="Search friends"
            aria-label="Search friends"
            value={search.value}
            onInput={(e) => {
              search.value = e.currentTarget.value;
            }}
          />
        )}
        {friends === null ? (
          <p class="muted">Loading…</p>
        ) : friends.length === 0 ? (
          <p class="muted">No friends yet. Add someone by handle, or invite someone you know.</p>
        ) : shown.length === 0 ? (
          <p class="muted">No friend matches “{search.value.trim()}”.</p>
        ) : (
          <ul class="list" data-testid="friend-list">
            {shown.map((f) => (
              <FriendRow key={f.id} store={store} friend={f} />
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}
