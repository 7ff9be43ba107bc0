import type { KeyValueStorage } from './session';

interface TabView {
  /** The overlay is mounted and on screen. */
  visible: boolean;
  /** The thread the overlay shows, if a chat is open. */
  focus: string | null;
}

const STORAGE_KEY = 'kith.views';

/**
 * The tabs that run the overlay: where live events go, which threads are on screen (no
 * notification for those), and whether any overlay is showing (keep the socket alive). Kept in
 * `storage.session` so a restarted service worker still knows them.
 */
export class Views {
  private readonly tabs = new Map<number, TabView>();
  /** The active tab of each window, as `tabs.onActivated` reports it. */
  private readonly active = new Map<number, number>();
  /** The focused window; -1 when the browser itself is not focused; undefined until known. */
  private focusedWindow: number | undefined;

  constructor(
    private readonly deps: { storage?: KeyValueStorage | undefined; onChange?: () => void } = {},
  ) {}

  async load(): Promise<void> {
    if (!this.deps.storage) return;
    const stored = (await this.deps.storage.get([STORAGE_KEY]))[STORAGE_KEY];
    if (!stored || typeof stored !== 'object') return;
    for (const [id, view] of Object.entries(stored as Record<string, TabView>)) {
      const tabId = Number(id);
      if (Number.isInteger(tabId) && view && typeof view === 'object') {
        this.tabs.set(tabId, { visible: view.visible === true, focus: view.focus ?? null });
      }
    }
  }

  /** Any message from a tab means an overlay runs there: it should get live events. */
  seen(tabId: number): void {
    if (this.tabs.has(tabId)) return;
    this.tabs.set(tabId, { visible: false, focus: null });
    this.changed();
  }

  presence(tabId: number, visible: boolean): void {
    const view = this.tabs.get(tabId) ?? { visible: false, focus: null };
    if (view.visible === visible && this.tabs.has(tabId)) return;
    this.tabs.set(tabId, { visible, focus: visible ? view.focus : null });
    this.changed();
  }

  focus(tabId: number, groupId: string | null): void {
    const view = this.tabs.get(tabId) ?? { visible: false, focus: null };
    // A tab that opens a thread is showing it.
    this.tabs.set(tabId, { visible: groupId !== null || view.visible, focus: groupId });
    this.changed();
  }

  remove(tabId: number): void {
    if (this.tabs.delete(tabId)) this.changed();
  }

  /** `tabs.onActivated`: a thread open in a tab the user switched away from is not on screen. */
  activated(tabId: number, windowId: number): void {
    this.active.set(windowId, tabId);
  }

  /** `windows.onFocusChanged`: -1 (WINDOW_ID_NONE) when the user is in another application. */
  windowFocused(windowId: number): void {
    this.focusedWindow = windowId;
  }

  /** Whether the user can be looking at this tab (if we know nothing yet, trust the overlay). */
  private looking(tabId: number): boolean {
    if (this.focusedWindow === -1) return false;
    if (this.focusedWindow !== undefined && this.active.has(this.focusedWindow)) {
      return this.active.get(this.focusedWindow) === tabId;
    }
    return this.active.size === 0 || [...this.active.values()].includes(tabId);
  }

  get tabIds(): number[] {
    return [...this.tabs.keys()];
  }

  /** Some tab shows the overlay now. */
  get anyVisible(): boolean {
    return [...this.tabs.values()].some((view) => view.visible);
  }

  /** Threads on screen: open in a tab that is the active tab of the focused window. */
  get focused(): Set<string> {
    const out = new Set<string>();
    for (const [tabId, view] of this.tabs) {
      if (view.visible && view.focus && this.looking(tabId)) out.add(view.focus);
    }
    return out;
  }

  private changed() {
    void this.deps.storage
      ?.set({ [STORAGE_KEY]: Object.fromEntries(this.tabs) })
      .catch(() => undefined);
    this.deps.onChange?.();
  }
}
