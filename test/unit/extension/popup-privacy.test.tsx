// @vitest-environment happy-dom

import { beforeEach, describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { button, fakeDeps, mount, popupRoot, SIGNED_IN, settle } from './popup-harness';

const signedOut = { ...SIGNED_IN, user: null };

const notice = () => popupRoot().querySelector<HTMLElement>('[data-testid=privacy-notice]');

beforeEach(() => {
  fakeBrowser.reset();
});

describe('popup: the privacy notice before sign-up', () => {
  it('a new user sees what Kith sends, with a link to the server’s privacy page, before the sign-up form', async () => {
    const { deps } = fakeDeps({}, { session: async () => signedOut });
    await mount(deps);
    await settle();
    const shown = notice();
    expect(shown, 'no privacy notice on first run').not.toBeNull();
    expect(shown!.textContent).toMatch(/messages/);
    const link = shown!.querySelector('a');
    expect(link?.getAttribute('href')).toBe('http://localhost:8787/privacy');
    expect(link?.getAttribute('target')).toBe('_blank');
    // It comes before the form, not after it.
    const form = popupRoot().querySelector('form.sign-in')!;
    expect(shown!.compareDocumentPosition(form) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
  });

  it('once dismissed it stays dismissed, also the next time the popup opens', async () => {
    const { deps } = fakeDeps({}, { session: async () => signedOut });
    await mount(deps);
    await settle();
    button('Got it').click();
    await settle();
    expect(notice()).toBeNull();
    expect(Object.values(await fakeBrowser.storage.local.get(null))).toContain(true);

    popupRoot().remove();
    const again = fakeDeps({}, { session: async () => signedOut });
    await mount(again.deps);
    await settle();
    expect(notice()).toBeNull();
  });

  it('a signed-in user is not shown it', async () => {
    const { deps } = fakeDeps({ 'groups.list': () => [] });
    await mount(deps);
    await settle();
    expect(notice()).toBeNull();
  });
});
