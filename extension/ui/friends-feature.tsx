import { activityParts } from './activity-text';
import type { OverlayFeature } from './overlay-feature';

/** Friends tab: who in my groups talked about this clip, and where ("Ana and 2 others …"). */
export const friendsFeature: OverlayFeature = {
  id: 'friends',
  label: 'Friends',
  mount(overlay) {
    return function FriendsTab() {
      const activity = overlay.activity.activity.value;
      const me = overlay.session.session.value?.user?.id ?? null;
      if (!activity) return <p class="kith-empty">Looking for friends who talked about this…</p>;
      if (activity.groups.length === 0)
        return (
          <div class="kith-empty">
            <p>None of your friends have talked about this clip yet.</p>
            <button
              type="button"
              class="kith-link"
              onClick={() => {
                overlay.tab.value = 'share';
              }}
            >
              Share it with a group
            </button>
          </div>
        );
      return (
        <div class="kith-friends">
          <h3 class="kith-section">Talked about in your groups</h3>
          <ul class="kith-activity">
            {activity.groups.map((g) => (
              <li key={g.groupId}>
                <button
                  type="button"
                  class="kith-activity-item"
                  onClick={() => {
                    overlay.chatGroupId.value = g.groupId;
                    overlay.tab.value = 'chat';
                  }}
                >
                  <span class="kith-avatar" aria-hidden="true">
                    {(g.name.trim()[0] ?? '?').toUpperCase()}
                  </span>
                  <span class="kith-activity-text">
                    <span>
                      {activityParts(g, me).map((part, i) =>
                        part.user ? <bdi key={i}>{part.text}</bdi> : part.text,
                      )}
                    </span>
                    <span class="kith-muted">
                      {g.messageCount} {g.messageCount === 1 ? 'message' : 'messages'} · Open chat
                    </span>
                  </span>
                </button>
              </li>
            ))}
          </ul>
          <button
            type="button"
            class="kith-link kith-friends-more"
            onClick={() => {
              overlay.tab.value = 'share';
            }}
          >
            Share it with another group
          </button>
        </div>
      );
    };
  },
};
