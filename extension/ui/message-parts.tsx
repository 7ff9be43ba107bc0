import { formatMoment } from './moment';
import type { ThreadClip, ThreadItem } from './thread-store';

/**
 * Pieces of a message shared by the overlay's chat and the popup's inbox (both style the same
 * class names in their own style sheets).
 */

/** How long ago, the way chats say it: now, 5m, 3h, 2d. */
export function timeAgo(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 45) return 'now';
  if (seconds < 3600) return `${Math.round(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}

/** A message's reactions, each emoji once with its count. */
export function Reactions({ item }: { item: ThreadItem }) {
  const list = item.reactions ?? [];
  if (item.deleted || list.length === 0) return null;
  return (
    <ul class="kith-reactions" aria-label="Reactions">
      {list.map((r) => (
        <li key={r.emoji} class="kith-reaction" title={`${r.count} reacted ${r.emoji}`}>
          {r.emoji} {r.count}
        </li>
      ))}
    </ul>
  );
}

const SITE_NAMES: Record<string, string> = {
  tiktok: 'TikTok',
  youtube: 'YouTube',
  instagram: 'Instagram',
  web: 'the web',
};

/** Where a clip is from, in words: TikTok, YouTube, Instagram, or the page's host. */
export function siteName(clip: Pick<ThreadClip, 'site' | 'url'>): string {
  if (clip.site === 'web') {
    try {
      return new URL(clip.url).hostname.replace(/^www\./, '');
    } catch {
      return SITE_NAMES.web!;
    }
  }
  return SITE_NAMES[clip.site] ?? clip.site;
}

/**
 * A shared clip as a card: its thumbnail, title, site and the moment the share named. Clicking
 * it opens the clip (on its thread, at the moment).
 */
export function ClipCard({
  clip,
  atSeconds,
  onOpen,
}: {
  clip: ThreadClip;
  atSeconds: number | null;
  onOpen: () => void;
}) {
  const title = clip.title?.trim() || `A clip on ${siteName(clip)}`;
  const moment = atSeconds === null ? null : formatMoment(atSeconds);
  return (
    <button
      type="button"
      class="kith-clip-card"
      // Its visible words are its name (title, site, moment); the tooltip says what it does.
      title={`Open the clip${moment ? ` at ${moment}` : ''}`}
      onClick={onOpen}
    >
      {clip.thumbnailUrl ? (
        <img
          class="kith-clip-thumb"
          src={clip.thumbnailUrl}
          alt=""
          referrerPolicy="no-referrer"
          // A picture that does not load leaves its grey box, not a broken-image icon.
          onError={(e) => {
            e.currentTarget.style.visibility = 'hidden';
          }}
        />
      ) : (
        <span class="kith-clip-thumb is-empty" aria-hidden="true">
          ▶
        </span>
      )}
      <span class="kith-clip-text">
        <span class="kith-card-title" dir="auto">
          {title}
        </span>
        <span class="kith-clip-site">
          {siteName(clip)}
          {moment && <span class="kith-clip-moment"> · at {moment}</span>}
        </span>
      </span>
    </button>
  );
}
