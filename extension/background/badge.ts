import type { GroupSummary } from '../lib/protocol';

/** The toolbar action's badge (`action` on MV3, `browserAction` on Firefox MV2). */
export interface BadgeApi {
  setBadgeText(details: { text: string }): unknown;
  setBadgeBackgroundColor(details: { color: string }): unknown;
}

/** Unread messages that count toward the badge: muted groups do not. */
export function totalUnread(groups: Pick<GroupSummary, 'unread' | 'muted'>[]): number {
  return groups.reduce((sum, g) => sum + (g.muted ? 0 : Math.max(0, g.unread)), 0);
}

/** What the badge says: nothing at zero, the count up to 99, then "99+". */
export function badgeText(unread: number): string {
  if (unread <= 0) return '';
  return unread > 99 ? '99+' : String(unread);
}

export const BADGE_COLOR = '#E0245E';

/** Shows the total unread count on the toolbar button; writes only when it changes. */
export class Badge {
  private shown: string | null = null;

  constructor(private readonly api: BadgeApi | undefined) {}

  async show(groups: Pick<GroupSummary, 'unread' | 'muted'>[]): Promise<string> {
    return this.set(badgeText(totalUnread(groups)));
  }

  async clear(): Promise<void> {
    await this.set('');
  }

  private async set(text: string): Promise<string> {
    if (text === this.shown || !this.api) return text;
    this.shown = text;
    await this.api.setBadgeBackgroundColor({ color: BADGE_COLOR });
    await this.api.setBadgeText({ text });
    return text;
  }
}
