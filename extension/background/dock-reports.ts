import { cannotDock, type DockReport, isDockReport } from '../lib/dock-report';
import type { KeyValueStorage } from './session';

/** The toolbar button's per-tab text and title (`action` on MV3, `browserAction` on Firefox). */
export interface TabActionApi {
  /** `text: null` drops the tab's own text: the button shows the global badge (unread) again. */
  setBadgeText(details: { text: string | null; tabId: number }): unknown;
  setTitle?(details: { title: string; tabId: number }): unknown;
}

/** The toolbar's title when all is well (the manifest's `default_title`). */
export const DEFAULT_TITLE = 'Kith';
/** What the toolbar button says on a tab where the overlay cannot dock. */
export const CANNOT_DOCK_BADGE = '!';

const STORAGE_KEY = 'kith.docks';
/** Tabs whose reports are kept (a browser with more open tabs forgets the oldest). */
const MAX_TABS = 200;

/** The toolbar title for a report's state. */
export function toolbarTitle(report: DockReport | null): string {
  if (!cannotDock(report)) return DEFAULT_TITLE;
  return report?.state === 'missing'
    ? "Kith can't find the video on this page. Click for details and to try again."
    : "Kith can't dock on this video. Click for details and to try again.";
}

/**
 * The latest dock report of each tab (what the overlay found there), for the popup's "This
 * site" panel; and the toolbar button of a tab where the overlay cannot dock, which says so
 * with "!" and its title. Kept in `storage.session`, so a restarted service worker still knows.
 */
export class DockReports {
  private readonly reports = new Map<number, DockReport>();
  /** What the toolbar shows per tab, so it is only written when that changes. */
  private readonly shown = new Map<number, boolean>();

  constructor(
    private readonly deps: {
      action?: TabActionApi | undefined;
      storage?: KeyValueStorage | undefined;
      onChange?: (tabId: number, report: DockReport | null) => void;
    } = {},
  ) {}

  async load(): Promise<void> {
    if (!this.deps.storage) return;
    const stored = (await this.deps.storage.get([STORAGE_KEY]))[STORAGE_KEY];
    if (!stored || typeof stored !== 'object') return;
    for (const [id, report] of Object.entries(stored as Record<string, unknown>)) {
      const tabId = Number(id);
      if (Number.isInteger(tabId) && isDockReport(report)) this.reports.set(tabId, report);
    }
  }

  get(tabId: number): DockReport | null {
    return this.reports.get(tabId) ?? null;
  }

  /** A tab's overlay reported; anything that is not a report is ignored (false). */
  async set(tabId: number, report: unknown): Promise<boolean> {
    if (!Number.isInteger(tabId) || tabId < 0 || !isDockReport(report)) return false;
    this.reports.delete(tabId);
    this.reports.set(tabId, report);
    for (const old of this.reports.keys()) {
      if (this.reports.size <= MAX_TABS) break;
      this.reports.delete(old);
      this.shown.delete(old);
    }
    this.save();
    this.deps.onChange?.(tabId, report);
    await this.showOnToolbar(tabId, report);
    return true;
  }

  remove(tabId: number): void {
    this.shown.delete(tabId);
    if (!this.reports.delete(tabId)) return;
    this.save();
    this.deps.onChange?.(tabId, null);
  }

  /**
   * The tab started loading another page: its mark goes (the new page's overlay, if any, reports
   * afresh; a page without one must not keep the last page's `!`).
   */
  async navigated(tabId: number): Promise<void> {
    if (!this.shown.get(tabId)) return;
    this.shown.set(tabId, false);
    try {
      await this.deps.action?.setBadgeText({ tabId, text: null });
      await this.deps.action?.setTitle?.({ tabId, title: DEFAULT_TITLE });
    } catch {
      this.shown.delete(tabId);
    }
  }

  private async showOnToolbar(tabId: number, report: DockReport) {
    const problem = cannotDock(report);
    if (this.shown.get(tabId) === problem) return;
    this.shown.set(tabId, problem);
    const action = this.deps.action;
    if (!action) return;
    try {
      await action.setBadgeText({ tabId, text: problem ? CANNOT_DOCK_BADGE : null });
      await action.setTitle?.({ tabId, title: toolbarTitle(report) });
    } catch {
      // The tab closed meanwhile.
      this.shown.delete(tabId);
    }
  }

  private save() {
    void this.deps.storage
      ?.set({ [STORAGE_KEY]: Object.fromEntries(this.reports) })
      .catch(() => undefined);
  }
}
