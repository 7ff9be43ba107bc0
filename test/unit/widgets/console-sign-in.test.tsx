// @vitest-environment happy-dom
import { render } from 'preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { setToken } from '../../../widgets/console/api';
import { SignIn } from '../../../widgets/console/sign-in';

interface Sent {
  path: string;
  input: Record<string, unknown>;
}

/** Replaces fetch with a server that signs anyone in, handing out `device-<n>` tokens. */
function fakeAuth() {
  const sent: Sent[] = [];
  let n = 0;
  vi.stubGlobal('fetch', async (url: string | URL, init?: RequestInit) => {
    const path = new URL(String(url), 'https://kith.test').pathname.replace('/trpc/', '');
    const body = JSON.parse(String(init?.body ?? '{}')) as Record<string, Record<string, unknown>>;
    const input = body['0'] ?? {};
    sent.push({ path, input });
    n += 1;
    const data = {
      token: `session-${n}`,
      expiresAt: '2030-01-01T00:00:00.000Z',
      deviceToken: `device-${n}`,
      user: { id: 'u1', handle: String(input.handle).toLowerCase(), displayName: 'Ana' },
    };
    return new Response(JSON.stringify([{ result: { data } }]), {
      headers: { 'content-type': 'application/json' },
    });
  });
  return sent;
}

async function submit(handle: string, password = 'correct horse battery', register = false) {
  const root = document.createElement('div');
  document.body.append(root);
  render(<SignIn />, root);
  if (register) {
    const toggle = [...root.querySelectorAll('button')].find((b) =>
      /create an account/i.test(b.textContent ?? ''),
    );
    toggle?.click();
    await new Promise((r) => setTimeout(r, 0));
  }
  const form = root.querySelector('form') as HTMLFormElement;
  (form.querySelector('[name=handle]') as HTMLInputElement).value = handle;
  (form.querySelector('[name=password]') as HTMLInputElement).value = password;
  form.dispatchEvent(new Event('submit', { cancelable: true, bubbles: true }));
  await vi.waitFor(() =>
    expect(root.querySelector('button[type=submit]')).toHaveProperty('disabled', false),
  );
  await new Promise((r) => setTimeout(r, 10));
  render(null, root);
  root.remove();
}

beforeEach(() => {
  localStorage.clear();
  setToken(null);
});
afterEach(() => vi.unstubAllGlobals());

describe('brand console sign-in', () => {
  it('a brand owner who signed in here before sends the device token back with the next sign-in', async () => {
    const sent = fakeAuth();
    await submit('Ana_Shop', 'correct horse battery', true);
    expect(sent[0]?.path).toBe('auth.register');
    setToken(null);
    await submit('ana_shop');
    expect(sent[1]?.path).toBe('auth.login');
    expect(sent[1]?.input.deviceToken).toBe('device-1');
    // The answer's token replaces it; another handle has none of its own.
    setToken(null);
    await submit('ANA_SHOP');
    expect(sent[2]?.input.deviceToken).toBe('device-2');
    setToken(null);
    await submit('bo_shop');
    expect(sent[3]?.input).not.toHaveProperty('deviceToken');
  });
});
