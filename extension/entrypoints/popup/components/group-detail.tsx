import { useSignal } from '@preact/signals';
import type { GroupDetail, PopupStore } from '../store';
import { Conversation } from './conversation';

export function GroupDetailView({ store, group }: { store: PopupStore; group: GroupDetail }) {
  const name = useSignal(group.name);
  const renaming = useSignal(false);
  const adding = useSignal<string[] | null>(null);
  const confirmLeave = useSignal(false);
  const me = store.session.value?.user?.id;
  const manager = group.role === 'owner' || group.role === 'admin';
  const direct = group.kind === 'direct';
  const busy = store.busy.value;
  const memberIds = new Set(group.members.map((m) => m.id));
  const addable = (store.friends.value ?? []).filter((f) => !memberIds.has(f.id));
  // A direct thread has no name of its own: it is the other person's.
  const title = direct
    ? (group.members.find((m) => m.id !== me)?.displayName ??
      store.groups.value?.find((g) => g.id === group.id)?.name ??
      group.name)
    : group.name;

  return (
    <div class="stack">
      <button type="button" class="link back" onClick={() => store.close()}>
        ← Inbox
      </button>
      <div class="card">
        {renaming.value ? (
          <form
            class="inline"
            onSubmit={async (e) => {
              e.preventDefault();
              if (await store.rename(group.id, name.value)) renaming.value = false;
            }}
          >
            <input
              aria-label="Group name"
              required
              maxLength={80}
              value={name.value}
              onInput={(e) => {
                name.value = e.currentTarget.value;
              }}
            />
            <button type="submit" class="primary small" disabled={busy === 'rename'}>
              Save
            </button>
            <button
              type="button"
              class="small"
              onClick={() => {
                renaming.value = false;
                name.value = group.name;
              }}
            >
              Cancel
            </button>
          </form>
        ) : (
          <div class="title-row">
            <h2>
              <bdi>{title}</bdi>
            </h2>
            {manager && !direct && (
              <button
                type="button"
                class="link"
                onClick={() => {
                  renaming.value = true;
                }}
              >
                Rename
              </button>
            )}
          </div>
        )}
      </div>
      <Conversation store={store} group={group} title={title} />
      <div class="card">
        <label class="check">
          <input
            type="checkbox"
            checked={group.muted}
            disabled={busy === 'mute'}
            onChange={(e) => store.setMuted(group.id, e.currentTarget.checked)}
          />
          Mute notifications
        </label>
      </div>
      <div class="card">
        <h2>
          Members <span class="muted small">({group.members.length})</span>
        </h2>
        <ul class="list">
          {group.members.map((m) => (
            <li key={m.id} class="row">
              <span class="who">
                <span class="name">
                  <bdi>{m.displayName}</bdi>
                  {m.id === me && <span class="muted small"> (you)</span>}
                </span>
                <span class="muted small">
                  @{m.handle}
                  {m.role !== 'member' && ` · ${m.role}`}
                </span>
              </span>
              {manager && !direct && m.id !== me && m.role !== 'owner' && (
                <button
                  type="button"
                  class="small"
                  aria-label={`Remove ${m.displayName} from the group`}
                  disabled={busy === `removeMember:${m.id}`}
                  onClick={() => store.removeMember(group.id, m.id)}
                >
                  Remove
                </button>
              )}
            </li>
          ))}
        </ul>
        {manager && !direct && addable.length > 0 && adding.value === null && (
          <button
            type="button"
            onClick={() => {
              adding.value = [];
            }}
          >
            Add friends
          </button>
        )}
        {adding.value !== null && (
          <form
            onSubmit={async (e) => {
              e.preventDefault();
              await store.addMembers(group.id, adding.value ?? []);
              adding.value = null;
            }}
          >
            <ul class="checks">
              {addable.map((f) => (
                <li key={f.id}>
                  <label class="check">
                    <input
                      type="checkbox"
                      checked={adding.value?.includes(f.id) ?? false}
                      onChange={(e) => {
                        const list = adding.value ?? [];
                        adding.value = e.currentTarget.checked
                          ? [...list, f.id]
                          : list.filter((id) => id !== f.id);
                      }}
                    />
                    {f.displayName}
                  </label>
                </li>
              ))}
            </ul>
            <div class="actions">
              <button
                type="submit"
                class="primary small"
                disabled={!adding.value.length || busy === 'addMembers'}
              >
                Add
              </button>
              <button
                type="button"
                class="small"
                onClick={() => {
                  adding.value = null;
                }}
              >
                Cancel
              </button>
            </div>
          </form>
        )}
      </div>
      {!direct && (
        <div class="card">
          {confirmLeave.value ? (
            <div class="actions">
              <span>Leave “{group.name}”? You will stop seeing its messages.</span>
              <button
                type="button"
                class="danger small"
                disabled={busy === 'leave'}
                onClick={() => store.leave(group.id)}
              >
                Leave
              </button>
              <button
                type="button"
                class="small"
                onClick={() => {
                  confirmLeave.value = false;
                }}
              >
                Stay
              </button>
            </div>
          ) : (
            <button
              type="button"
              class="danger"
              onClick={() => {
                confirmLeave.value = true;
              }}
            >
              Leave group
            </button>
          )}
        </div>
      )}
    </div>
  );
}
