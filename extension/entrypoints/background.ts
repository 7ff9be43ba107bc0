// The background owns the socket, the token and the local cache; it is wired up here.
export default defineBackground(() => {
  browser.runtime.onInstalled.addListener(() => {
    void browser.storage.local.set({ installedAt: new Date().toISOString() });
  });
});
