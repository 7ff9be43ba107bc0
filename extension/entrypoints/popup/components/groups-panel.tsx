import { useSignal } from '@preact/signals';
import type { GroupSummary } from '../../../lib/protocol';
import { timeAgo } from '../../../ui/message-parts';
import { formatMoment } from '../../../ui/moment';
import type { PopupStore } from '../store';
import { GroupDetailView } from './group-detail';
import { RequestsCard } from './requests-card';

/** A thread's last message in a line: who said what (a share names its clip and moment). */
export function preview(group: GroupSummary, me: string | undefined): string {
  const last = group.lastMessage;
  if (!last) return 'No messages yet';
  const who =
    last.senderId && last.senderId === me
      ? 'You'
      : group.kind === 'direct'
        ? ''
        : (last.sender?.displayName ?? '');
  const lead = who ? `${who}: ` : '';
  if (last.deleted) return `${lead}Message deleted`;
  if (last.kind === 'clip') {
    const what = last.clip?.title?.trim() ? `“${last.clip.title.trim()}”` : 'a clip';
    const at = last.atSeconds === null ? '' : ` at ${formatMoment(last.atSeconds)}`;
    const note = last.body ? ` — ${last.body}` : '';
    return `${lead}shared ${what}${at}${note}`;
  }
  return `${lead}${last.body ?? ''}`;
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
  const me = store.session.value?.user?.id;
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
          No conversations yet. Share a clip to a friend from any video, or make a group.
        </p>
      ) : (
        <ul class="list groups">
          {groups.map((g) => (
            <li key={g.id}>
              <button type="button" class="row group" onClick={() => store.open(g.id)}>
                {g.lastMessage?.clip?.thumbnailUrl && (
                  <img
                    class="thumb"
                    src={g.lastMessage.clip.thumbnailUrl}
                    alt=""
                    referrerPolicy="no-referrer"
                    onError={(e) => {
                      e.currentTarget.style.visibility = 'hidden';
                    }}
                  />
                )}
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
                  <span class="muted small preview">{preview(g, me)}</span>
                </span>
                {g.lastMessage && (
                  <time class="muted small when" dateTime={g.lastMessage.createdAt}>
                    {timeAgo(g.lastMessage.createdAt)}
                  </time>
                )}
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
