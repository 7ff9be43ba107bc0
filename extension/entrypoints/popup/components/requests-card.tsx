import type { MessageRequest, PopupStore } from '../store';

function preview(request: MessageRequest): string {
  const first = request.firstMessage;
  if (!first) return 'No message yet';
  if (first.body) return first.body;
  if (first.clip) return first.clip.title ? `Clip: ${first.clip.title}` : 'Shared a clip';
  return 'Sent a message';
}

/** Direct messages from friends of friends, waiting for an answer. Hidden when there are none. */
export function RequestsCard({ store }: { store: PopupStore }) {
  const requests = store.requests.value;
  if (!requests || requests.length === 0) return null;
  const busy = store.busy.value;
  return (
    <div class="card requests">
      <h2>Message requests</h2>
      <ul class="list">
        {requests.map((r) => (
          <li key={r.groupId} class="row request">
            <span class="who">
              <span class="name">
                <bdi>{r.from.displayName}</bdi> <span class="muted small">@{r.from.handle}</span>
              </span>
              <span class="muted small">
                {r.mutualFriends === 1
                  ? '1 friend in common'
                  : `${r.mutualFriends} friends in common`}
              </span>
              <span class="muted small preview">
                <bdi>{preview(r)}</bdi>
              </span>
            </span>
            <span class="actions">
              <button
                type="button"
                class="primary small"
                aria-label={`Accept ${r.from.displayName}`}
                disabled={busy === `request:${r.groupId}`}
                onClick={() => store.acceptRequest(r)}
              >
                Accept
              </button>
              <button
                type="button"
                class="small"
                aria-label={`Decline ${r.from.displayName}`}
                disabled={busy === `request:${r.groupId}`}
                onClick={() => store.declineRequest(r)}
              >
                Decline
              </button>
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}
