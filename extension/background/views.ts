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

  get tabIds(): number[] {
    return [...this.tabs.keys()];
  }

  /** Some tab shows the overlay now. */
  get anyVisible(): boolean {
    return [...this.tabs.values()].some((view) => view.visible);
  }

  /** Threads on screen in some tab. */
  get focused(): Set<string> {
    const out = new Set<string>();
    for (const view of this.tabs.values()) if (view.visible && view.focus) out.add(view.focus);
    return out;
  }

  private changed() {
    void this.deps.storage
      ?.set({ [STORAGE_KEY]: Object.fromEntries(this.tabs) })
      .catch(() => undefined);
    this.deps.onChange?.();
  }
}
