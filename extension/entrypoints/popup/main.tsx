import { render } from 'preact';
import { browser } from 'wxt/browser';
import { backgroundClient } from '../../lib/api';
import { onMessage, sendMessage } from '../../lib/protocol';
import { App } from './app';
import { createPopupStore } from './store';

// While this port is open the background keeps its live connection up for the popup.
browser.runtime.connect({ name: 'kith-popup' });

const store = createPopupStore({
  api: backgroundClient(),
  session: () => sendMessage('session.get', undefined),
  signIn: (data) => sendMessage('session.signIn', data),
  signOut: () => sendMessage('session.signOut', undefined),
  onSessionChanged: (listener) => {
    onMessage('session.changed', ({ data }) => listener(data));
  },
  onSyncEvent: (listener) => {
    onMessage('sync.event', ({ data }) => listener(data));
  },
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
