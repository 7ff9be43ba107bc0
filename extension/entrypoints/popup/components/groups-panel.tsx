import { useSignal } from '@preact/signals';
import type { GroupSummary } from '../../../lib/protocol';
import type { PopupStore } from '../store';
import { GroupDetailView } from './group-detail';
import { RequestsCard } from './requests-card';

function preview(group: GroupSummary): string {
  const last = group.lastMessage;
  if (!last) return 'No messages yet';
  if (last.deleted) return 'Message deleted';
  if (last.kind === 'clip') return last.body ? `Clip: ${last.body}` : 'Shared a clip';
  return last.body ?? '';
}

function NewGroup({ store, onDone }: { store: PopupStore; onDone: () => void }) {
  const name = useSignal('');
  const chosen = useSignal<string[]>([]);
  const friends = store.friends.value ?? [];
  if (friends.length === 0) {
    return (
      <div class="card">
        <p>Groups are made from friends. Add a friend first.</p>
        <div class="actions">
          <button type="button" class="primary" onClick={() => store.show('friends')}>
            Add a friend
          </button>
          <button type="button" onClick={onDone}>
            Cancel
          </button>
        </div>
      </div>
    );
  }
  return (
    <form
      class="card"
      onSubmit={async (e) => {
        e.preventDefault();
        if (await store.createGroup(name.value, chosen.value)) onDone();
      }}
    >
      <h2>New group</h2>
      <label>
        Name
        <input
          required
          maxLength={80}
          placeholder="Roommates"
          value={name.value}
          onInput={(e) => {
            name.value = e.currentTarget.value;
          }}
        />
      </label>
      <fieldset>
        <legend>Who's in it</legend>
        <ul class="checks">
          {friends.map((f) => (
            <li key={f.id}>
              <label class="check">
                <input
                  type="checkbox"
                  checked={chosen.value.includes(f.id)}
                  onChange={(e) => {
                    const on = e.currentTarget.checked;
                    chosen.value = on
                      ? [...chosen.value, f.id]
                      : chosen.value.filter((id) => id !== f.id);
                  }}
                />
                <bdi>{f.displayName}</bdi> <span class="muted small">@{f.handle}</span>
              </label>
            </li>
          ))}
        </ul>
      </fieldset>
      <div class="actions">
        <button type="submit" class="primary" disabled={store.busy.value === 'createGroup'}>
          Create group
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function GroupsPanel({ store }: { store: PopupStore }) {
  const creating = useSignal(false);
  const groups = store.groups.value;
  if (store.openGroup.value) return <GroupDetailView store={store} group={store.openGroup.value} />;
  if (creating.value) {
    return (
      <NewGroup
        store={store}
        onDone={() => {
          creating.value = false;
        }}
      />
    );
  }
  return (
    <div class="stack">
      <RequestsCard store={store} />
      <button
        type="button"
        class="primary"
        onClick={() => {
          creating.value = true;
        }}
      >
        New group
      </button>
      {groups === null ? (
        <p class="muted">Loading…</p>
      ) : groups.length === 0 ? (
        <p class="muted">
          No groups yet. Make one with your friends, then share clips to it from any video.
        </p>
      ) : (
        <ul class="list groups">
          {groups.map((g) => (
            <li key={g.id}>
              <button type="button" class="row group" onClick={() => store.open(g.id)}>
                <span class="who">
                  <span class="name">
                    {g.name}
                    {g.muted && (
                      <span class="muted small" title="Muted">
                        {' '}
                        · muted
                      </span>
                    )}
                  </span>
                  <span class="muted small preview">{preview(g)}</span>
                </span>
                {g.unread > 0 && (
                  <span class="count" title={`${g.unread} unread`}>
                    {g.unread > 99 ? '99+' : g.unread}
                  </span>
                )}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
