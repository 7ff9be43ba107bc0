import { describe, expect, it } from 'vitest';
import {
  listenForCommands,
  OPEN_OVERLAY_COMMAND,
  runCommand,
} from '../../../extension/background/commands';

/** `browser.commands.onCommand`, which the fake browser does not have: tests fire it. */
function fakeOnCommand() {
  const listeners: ((command: string, tab?: { id?: number }) => void)[] = [];
  return {
    addListener: (listener: (command: string, tab?: { id?: number }) => void) => {
      listeners.push(listener);
    },
    fire: (command: string, tab?: { id?: number }) => {
      for (const listener of listeners) listener(command, tab);
    },
  };
}

/** Two tabs, the second the one on screen (the fake browser cannot make a tab active). */
function twoTabs() {
  const queries: unknown[] = [];
  return {
    queries,
    watched: 42,
    query: async (query: { active: true; lastFocusedWindow: true }) => {
      queries.push(query);
      return [{ id: 42 }];
    },
  };
}

const until = async (probe: () => boolean) => {
  const deadline = Date.now() + 2000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe('the keyboard shortcut', () => {
  it('pressing it tells the content script of the tab being watched to open the overlay', async () => {
    // The content script's side (its overlay opening is tested in overlay-ui.test.tsx).
    let opened = 0;
    const onCommand = fakeOnCommand();
    const tabs = twoTabs();
    const posts: number[] = [];
    listenForCommands({
      onCommand,
      tabs,
      post: async (type, _data, tabId) => {
        posts.push(tabId);
        if (type === 'overlay.open') opened += 1;
      },
    });
    const watched = { id: tabs.watched };

    // Firefox hands no tab to the listener: the active one is asked for.
    onCommand.fire(OPEN_OVERLAY_COMMAND);
    await until(() => opened === 1);
    expect(posts).toEqual([watched.id]);
    expect(tabs.queries).toEqual([{ active: true, lastFocusedWindow: true }]);
    // Chrome hands the active tab over.
    onCommand.fire(OPEN_OVERLAY_COMMAND, { id: watched.id });
    await until(() => opened === 2);
    expect(posts).toEqual([watched.id, watched.id]);
  });

  it('does nothing on a tab without Kith, and on other commands', async () => {
    const posts: [string, number][] = [];
    const tabs = twoTabs();
    const deps = {
      tabs,
      post: async (type: 'overlay.open', _data: undefined, tabId: number) => {
        posts.push([type, tabId]);
        throw new Error('Could not establish connection. Receiving end does not exist.');
      },
    };
    const tab = { id: tabs.watched };
    // Nobody answers in that tab: the shortcut resolves quietly, nothing is thrown.
    await expect(runCommand(OPEN_OVERLAY_COMMAND, undefined, deps)).resolves.toBe(false);
    expect(posts).toEqual([['overlay.open', tab.id]]);
    await expect(runCommand('something-else', { id: tab.id }, deps)).resolves.toBe(false);
    // A tab with no id (devtools) is not a tab to open anything in.
    await expect(runCommand(OPEN_OVERLAY_COMMAND, { id: -1 }, deps)).resolves.toBe(false);
    expect(posts).toHaveLength(1);
  });
});
