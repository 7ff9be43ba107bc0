/**
 * Keyboard shortcuts (the manifest's `commands`). `open-overlay` (suggested Alt+Shift+K; people
 * can change it in the browser's shortcut settings) opens the overlay on the clip in the active
 * tab: the background tells that tab's content script, which opens the panel the way a page's
 * share button does.
 */

/** The command's name in the manifest (wxt.config.ts). */
export const OPEN_OVERLAY_COMMAND = 'open-overlay';
/** Suggested key; the browser may assign another when this one is taken. */
export const OPEN_OVERLAY_KEY = 'Alt+Shift+K';

export interface CommandsDeps {
  /** `browser.commands.onCommand`; Chrome hands the active tab to the listener. */
  onCommand: {
    addListener(listener: (command: string, tab?: { id?: number }) => void): void;
  };
  /** `browser.tabs`: the active tab of the focused window, when the browser does not hand it over. */
  tabs: {
    query(query: { active: true; lastFocusedWindow: true }): Promise<{ id?: number }[]>;
  };
  /** Sends a protocol message to a tab's content script. */
  post(type: 'overlay.open', data: undefined, tabId: number): Promise<unknown>;
}

/**
 * What one command does. Resolves to whether a content script took it: a tab without the overlay
 * (a browser page, a site Kith is not on) has nobody to answer, and nothing happens there.
 */
export async function runCommand(
  command: string,
  tab: { id?: number } | undefined,
  deps: Pick<CommandsDeps, 'tabs' | 'post'>,
): Promise<boolean> {
  if (command !== OPEN_OVERLAY_COMMAND) return false;
  const tabId =
    tab?.id ??
    (await deps.tabs.query({ active: true, lastFocusedWindow: true }).then(
      ([active]) => active?.id,
      () => undefined,
    ));
  if (tabId === undefined || tabId < 0) return false;
  try {
    await deps.post('overlay.open', undefined, tabId);
    return true;
  } catch {
    return false;
  }
}

/** Listens for the shortcuts; call once, synchronously at start-up (the worker may be waking). */
export function listenForCommands(deps: CommandsDeps): void {
  deps.onCommand.addListener((command, tab) => {
    void runCommand(command, tab, deps);
  });
}
