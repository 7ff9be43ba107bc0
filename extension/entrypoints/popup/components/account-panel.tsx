import { useSignal } from '@preact/signals';
import type { GroupAdds, PopupStore } from '../store';
import { ChannelsCard } from './channels-card';
import { EarningsCard } from './earnings-card';

function Privacy({ store }: { store: PopupStore }) {
  const me = store.me.value;
  const busy = store.busy.value !== null;
  if (!me) return <p class="muted">Loading…</p>;
  return (
    <>
      <label class="check">
        <input
          type="checkbox"
          name="readReceipts"
          checked={me.settings.readReceipts}
          disabled={busy}
          onChange={(e) => store.setReadReceipts(e.currentTarget.checked)}
        />
        Send read receipts (others see when I have read their messages)
      </label>
      <label class="check">
        <input
          type="checkbox"
          name="findableByHandle"
          checked={me.settings.findableByHandle}
          disabled={busy}
          onChange={(e) => store.setFindable(e.currentTarget.checked)}
        />
        Let people who know my handle send me friend requests
      </label>
      <fieldset>
        <legend>Who can add me to groups</legend>
        {(
          [
            ['friends', 'My friends'],
            ['nobody', 'Nobody'],
          ] as [GroupAdds, string][]
        ).map(([value, label]) => (
          <label class="check" key={value}>
            <input
              type="radio"
              name="groupAdds"
              value={value}
              checked={me.settings.groupAdds === value}
              disabled={busy}
              onChange={() => store.setGroupAdds(value)}
            />
            {label}
          </label>
        ))}
      </fieldset>
    </>
  );
}

function LogOutEverywhere({ store }: { store: PopupStore }) {
  const confirming = useSignal(false);
  if (!confirming.value) {
    return (
      <button
        type="button"
        onClick={() => {
          confirming.value = true;
        }}
      >
        Log out everywhere
      </button>
    );
  }
  return (
    <div class="actions">
      <span class="small">Sign out on every device, this one too?</span>
      <button
        type="button"
        class="danger small"
        disabled={store.busy.value !== null}
        onClick={() => store.logoutEverywhere()}
      >
        Yes, log out everywhere
      </button>
      <button
        type="button"
        class="small"
        onClick={() => {
          confirming.value = false;
        }}
      >
        No
      </button>
    </div>
  );
}

function DeleteAccount({ store }: { store: PopupStore }) {
  const open = useSignal(false);
  const password = useSignal('');
  if (!open.value) {
    return (
      <button
        type="button"
        class="danger"
        onClick={() => {
          open.value = true;
        }}
      >
        Delete account…
      </button>
    );
  }
  return (
    <form
      class="delete-account"
      onSubmit={async (e) => {
        e.preventDefault();
        if (await store.deleteAccount(password.value)) password.value = '';
      }}
    >
      <p class="warning" role="note">
        This cannot be undone. You leave every group and lose your friends; your messages stay in
        your groups as “Deleted user”; orders stay with the brands, without your name. Your handle
        becomes free for anyone. Download your data first if you want a copy.
      </p>
      <label>
        Password
        <input
          type="password"
          name="deletePassword"
          autocomplete="current-password"
          required
          value={password.value}
          onInput={(e) => {
            password.value = e.currentTarget.value;
          }}
        />
      </label>
      <div class="actions">
        <button type="submit" class="danger" disabled={store.busy.value === 'deleteAccount'}>
          Delete my account forever
        </button>
        <button
          type="button"
          onClick={() => {
            open.value = false;
            password.value = '';
          }}
        >
          Cancel
        </button>
      </div>
    </form>
  );
}

export function AccountPanel({ store }: { store: PopupStore }) {
  return (
    <div class="stack">
      <div class="card">
        <h2>Privacy</h2>
        <Privacy store={store} />
      </div>
      <ChannelsCard store={store} />
      <EarningsCard store={store} />
      <div class="card">
        <h2>Your data</h2>
        <p class="small">Everything Kith keeps about you, as one JSON file.</p>
        <button
          type="button"
          disabled={store.busy.value === 'export'}
          onClick={() => store.downloadData()}
        >
          Download my data
        </button>
      </div>
      <div class="card">
        <h2>Sessions</h2>
        <LogOutEverywhere store={store} />
      </div>
      <div class="card">
        <h2>Delete account</h2>
        <DeleteAccount store={store} />
      </div>
    </div>
  );
}
