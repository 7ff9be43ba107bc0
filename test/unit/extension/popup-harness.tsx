import { render } from 'preact';
import { afterEach, vi } from 'vitest';
import { App } from '../../../extension/entrypoints/popup/app';
import { createPopupStore, type PopupDeps } from '../../../extension/entrypoints/popup/store';
import { backgroundClient, backgroundLink } from '../../../extension/lib/api';
import { KithError } from '../../../extension/lib/errors';
import type { SessionState } from '../../../extension/lib/protocol';

/** The popup rendered by the test files that use this harness, against a fake background. */
const tick = () => new Promise((r) => setTimeout(r, 0));
export async function settle() {
  for (let i = 0; i < 6; i++) await tick();
}

export const SIGNED_IN: SessionState = {
  serverUrl: 'http://localhost:8787',
  user: { id: 'u-me', handle: 'me', displayName: 'Me' },
  connection: 'online',
  pending: 0,
  error: null,
};

export const HOSTILE = '<img src=x onerror="window.pwned=1">';

export type Routes = Record<string, (input: unknown) => unknown>;

/** A background answering API calls from `routes`; records every call. */
export function fakeDeps(routes: Routes, over: Partial<PopupDeps> = {}) {
  const calls: { path: string; input: unknown }[] = [];
  const call = vi.fn(async ({ path, input }: { path: string; input?: unknown }) => {
    calls.push({ path, input });
    const route = routes[path];
    if (!route) throw new KithError('NOT_FOUND', `no route ${path}`);
    return route(input);
  });
  const signOut = vi.fn(async () => ({ ...SIGNED_IN, user: null }));
  const download = vi.fn();
  const deps: PopupDeps = {
    api: backgroundClient(backgroundLink(call)),
    session: async () => SIGNED_IN,
    signIn: async () => SIGNED_IN,
    signOut,
    onSessionChanged: () => undefined,
    siteList: async () => [],
    siteEnable: async () => ({ enabled: true }),
    siteDisable: async () => ({ enabled: false }),
    requestOrigins: async () => true,
    currentTab: async () => ({ id: 3, url: 'https://vimeo.com/123' }),
    copy: async () => undefined,
    download,
    ...over,
  };
  return { deps, calls, signOut, download };
}

let root: HTMLElement | null = null;

/** The element the popup is rendered into (after `mount`). */
export function popupRoot(): HTMLElement {
  if (!root) throw new Error('mount the popup first');
  return root;
}

export async function mount(deps: PopupDeps) {
  root = document.createElement('div');
  document.body.append(root);
  const store = createPopupStore(deps);
  render(<App store={store} />, root);
  await store.start();
  await settle();
  return store;
}

export function button(name: string | RegExp): HTMLButtonElement {
  const all = [...popupRoot().querySelectorAll('button')];
  const match = all.find((b) =>
    typeof name === 'string' ? b.textContent?.trim() === name : name.test(b.textContent ?? ''),
  );
  if (!match) throw new Error(`no button ${name}: ${all.map((b) => b.textContent).join(' | ')}`);
  return match;
}

export function type(input: HTMLInputElement, value: string) {
  input.value = value;
  input.dispatchEvent(new Event('input', { bubbles: true }));
}

afterEach(() => {
  if (!root) return;
  render(null, root);
  root.remove();
  root = null;
});
