import type { PopupStore } from '../store';

export function NoticeBar({ store }: { store: PopupStore }) {
  const notice = store.notice.value;
  if (!notice) return null;
  return (
    <div class={`notice ${notice.kind}`} role={notice.kind === 'error' ? 'alert' : 'status'}>
      <span>{notice.text}</span>
      <button
        type="button"
        class="close"
        aria-label="Dismiss"
        onClick={() => store.dismissNotice()}
      >
        ×
      </button>
    </div>
  );
}
