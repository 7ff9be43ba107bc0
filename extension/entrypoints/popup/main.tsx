import { render } from 'preact';
import { browser } from 'wxt/browser';
import { backgroundClient } from '../../lib/api';
import { onMessage, sendMessage } from '../../lib/protocol';
import { extensionClient } from '../../ui/client';
import { App } from './app';
import { createPopupStore } from './store';

// While this port is open the background keeps its live connection up for the popup.
browser.runtime.connect({ name: 'kith-popup' });

// The overlay's client: the inbox's threads use it. It listens for the background's messages
// (one listener per type in a page), and the popup's own listeners go through it.
const client = extensionClient();
const forever = new AbortController().signal;

const store = createPopupStore({
  api: backgroundClient(),
  client,
  openClip: (data) => sendMessage('clips.open', data),
  session: () => sendMessage('session.get', undefined),
  signIn: (data) => sendMessage('session.signIn', data),
  signOut: () => sendMessage('session.signOut', undefined),
  onSessionChanged: (listener) => client.onSessionChanged(listener, forever),
  onSyncEvent: (listener) => client.onSyncEvent(listener, forever),
  siteList: () => sendMessage('site.list', undefined),
  siteEnable: (origin, tabId) =>
    sendMessage('site.enable', { origin, ...(tabId !== undefined ? { tabId } : {}) }),
  siteDisable: (origin) => sendMessage('site.disable', { origin }),
  requestOrigins: (origins) => browser.permissions.request({ origins }),
  currentTab: async () => {
    const [tab] = await browser.tabs.query({ active: true, currentWindow: true });
    return tab
      ? { ...(tab.id !== undefined ? { id: tab.id } : {}), ...(tab.url ? { url: tab.url } : {}) }
      : null;
  },
  copy: (text) => navigator.clipboard.writeText(text),
  dockReport: (tabId) => sendMessage('dock.get', { tabId }),
  dockRetry: (tabId) => sendMessage('dock.retry', { tabId }),
  onDockChanged: (listener) => {
    onMessage('dock.changed', ({ data }) => listener(data.tabId, data.report));
  },
  version: browser.runtime.getManifest().version,
});

render(<App store={store} />, document.getElementById('app')!);
void store.start();
