// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest';
import { button, fakeDeps, mount, popupRoot, SIGNED_IN, settle, type } from './popup-harness';

const signedOut = { ...SIGNED_IN, user: null };

/** Fills the sign-in form with a server address typed as a person would, and submits it. */
async function signInTo(server: string) {
  button('Change').click();
  await settle();
  const form = popupRoot().querySelector('form.sign-in') as HTMLFormElement;
  const field = form.querySelector<HTMLInputElement>('input[name=serverUrl]')!;
  type(form.querySelector('input[name=handle]')!, 'ana');
  type(form.querySelector('input[name=password]')!, 'correct horse battery');
  type(field, server);
  form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
  await settle();
  return field;
}

describe('popup: signing in to a self-hosted server', () => {
  it('takes a host and port as typed (no scheme), which a URL field would refuse', async () => {
    const { deps } = fakeDeps({ 'groups.list': () => [] }, { session: async () => signedOut });
    await mount(deps);
    const field = await signInTo('x');
    expect(field.type).not.toBe('url');
  });

  it('asks the browser for the server it is given, then signs in to that origin', async () => {
    const order: string[] = [];
    const requestOrigins = vi.fn(async (origins: string[]) => {
      order.push(`ask ${origins.join(' ')}`);
      return true;
    });
    const signIn = vi.fn(async (data: { serverUrl?: string }) => {
      order.push(`sign in ${data.serverUrl}`);
      return { ...SIGNED_IN, serverUrl: data.serverUrl ?? '' };
    });
    const { deps } = fakeDeps(
      { 'groups.list': () => [] },
      { session: async () => signedOut, requestOrigins, signIn },
    );
    await mount(deps);
    await signInTo('kith.example.com:8443/trpc');
    expect(order).toEqual([
      'ask https://kith.example.com/*',
      'sign in https://kith.example.com:8443',
    ]);
  });

  it('does not ask again for the server the extension already has', async () => {
    const requestOrigins = vi.fn(async () => true);
    const signIn = vi.fn(async () => SIGNED_IN);
    const { deps } = fakeDeps(
      { 'groups.list': () => [] },
      { session: async () => signedOut, requestOrigins, signIn },
    );
    await mount(deps);
    await signInTo('127.0.0.1:45999');
    expect(requestOrigins).not.toHaveBeenCalled();
    expect(signIn).toHaveBeenCalledWith(
      expect.objectContaining({ serverUrl: 'http://127.0.0.1:45999' }),
    );
  });

  it('says what to do when the person refuses the permission, and does not sign in', async () => {
    const signIn = vi.fn(async () => SIGNED_IN);
    const { deps } = fakeDeps(
      { 'groups.list': () => [] },
      { session: async () => signedOut, requestOrigins: async () => false, signIn },
    );
    await mount(deps);
    await signInTo('kith.example.com');
    expect(signIn).not.toHaveBeenCalled();
    expect(popupRoot().querySelector('[role=alert]')?.textContent).toMatch(
      /kith\.example\.com.*Allow/,
    );
  });

  it('explains an address it cannot use, without asking the browser', async () => {
    const requestOrigins = vi.fn(async () => true);
    const signIn = vi.fn(async () => SIGNED_IN);
    const { deps } = fakeDeps(
      { 'groups.list': () => [] },
      { session: async () => signedOut, requestOrigins, signIn },
    );
    await mount(deps);
    await signInTo('ftp://kith.example.com');
    expect(requestOrigins).not.toHaveBeenCalled();
    expect(signIn).not.toHaveBeenCalled();
    expect(popupRoot().querySelector('[role=alert]')?.textContent).toMatch(/http/);
  });
});
