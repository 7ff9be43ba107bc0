import { browser } from 'wxt/browser';
import { listenForCommands } from '../background/commands';
import type { TabActionApi } from '../background/dock-reports';
import { BackgroundService } from '../background/service';
import type { OverlayFiles, ScriptingApi } from '../background/sites';
import { onMessage, type ProtocolMap, sendMessage } from '../lib/protocol';
import { openKithDb } from '../store/db';

/** Messages the background answers; the rest of the protocol flows from it to tabs and popup. */
const HANDLED = [
  'session.get',
  'session.signIn',
  'session.signOut',
  'api.call',
  'outbox.send',
  'outbox.share',
  'outbox.list',
  'outbox.discard',
  'outbox.retry',
  'view.focus',
  'view.presence',
  'site.enable',
  'site.disable',
  'site.list',
  'dock.report',
  'dock.get',
  'dock.retry',
  'clips.local',
  'clips.open',
  'clips.opening',
  'clips.hash',
] as const satisfies (keyof ProtocolMap)[];

const TICK = 'kith-tick';

/** The overlay's built files, read from the manifest so registrations match the build. */
function overlayFiles(): OverlayFiles {
  const scripts = browser.runtime.getManifest().content_scripts ?? [];
  const overlay = scripts.find((s) => s.js?.some((file) => file.includes('overlay'))) ?? scripts[0];
  return {
    js: overlay?.js ?? ['content-scripts/overlay.js'],
    css: overlay?.css ?? [],
  };
}

// The background owns the socket, the token and the local cache; its parts live in
// extension/background/ and are wired together here. Every listener is added synchronously
// at start-up, so an event that wakes a suspended service worker is not missed.
export default defineBackground(() => {
  const service = new BackgroundService({
    db: openKithDb(),
    storage: browser.storage.local,
    sessionStorage: browser.storage.session,
    badge: browser.action ?? browser.browserAction,
    // Per tab, `text: null` hands the tab back to the global badge (Chrome and Firefox).
    tabAction: (browser.action ?? browser.browserAction) as unknown as TabActionApi,
    notifications: browser.notifications,
    iconUrl: browser.runtime.getURL('/icon/128.png'),
    // WXT types executeScript's files as this build's public paths; the overlay's come from the manifest.
    scripting: browser.scripting as unknown as ScriptingApi,
    permissions: browser.permissions,
    overlay: overlayFiles,
    openTab: async (url) => (await browser.tabs.create({ url, active: true })).id,
    post: (type, data, tabId) => {
      const send = sendMessage as (type: string, data: unknown, tabId?: number) => Promise<unknown>;
      return tabId === undefined ? send(type, data) : send(type, data, tabId);
    },
  });

  for (const type of HANDLED) {
    onMessage(type, ({ data, sender }) =>
      service.handle(type, data as never, { tabId: sender.tab?.id }),
    );
  }

  // Wakes the worker every minute: send what is queued, catch up on events for the badge and
  // notifications. (Chrome's minimum period is 30 s; Firefox's is 1 minute.)
  void browser.alarms.get(TICK).then((alarm) => {
    if (!alarm) void browser.alarms.create(TICK, { periodInMinutes: 1 });
  });
  browser.alarms.onAlarm.addListener((alarm) => {
    if (alarm.name === TICK) void service.tick();
  });

  // The popup holds a port open while it is showing: the stream stays up for it.
  let popups = 0;
  browser.runtime.onConnect.addListener((port) => {
    if (port.name !== 'kith-popup') return;
    popups += 1;
    service.setPopupOpen(true);
    port.onDisconnect.addListener(() => {
      popups -= 1;
      service.setPopupOpen(popups > 0);
    });
  });

  // The keyboard shortcut that opens the overlay on the current clip.
  if (browser.commands) {
    listenForCommands({
      onCommand: browser.commands.onCommand,
      tabs: browser.tabs,
      post: (type, data, tabId) => sendMessage(type, data, tabId),
    });
  }

  browser.tabs.onRemoved.addListener((tabId) => service.tabClosed(tabId));
  // A page that cannot dock marks the toolbar on its tab; the next page starts unmarked.
  browser.tabs.onUpdated.addListener((tabId, change) => {
    if (change.status === 'loading') service.tabNavigated(tabId);
  });

  // Which tab the user is looking at (no "tabs" permission needed for ids): a thread open in a
  // background tab or window must not silence its notifications.
  browser.tabs.onActivated.addListener(({ tabId, windowId }) =>
    service.tabActivated(tabId, windowId),
  );
  browser.windows?.onFocusChanged.addListener((windowId) => service.windowFocused(windowId));
  void browser.tabs.query({ active: true, lastFocusedWindow: true }).then(([tab]) => {
    if (tab?.id !== undefined) service.tabActivated(tab.id, tab.windowId);
  });

  browser.notifications?.onClicked.addListener((id) => {
    const url = service.notifier.target(id);
    if (url) void browser.tabs.create({ url });
    void browser.notifications.clear(id);
  });

  // Starting with the browser re-registers the sites the user turned on and flushes the outbox
  // (both happen in the service's start-up; this listener makes the browser start the worker).
  browser.runtime.onStartup.addListener(() => undefined);
});
