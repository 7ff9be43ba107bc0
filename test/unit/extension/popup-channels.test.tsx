// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { KithError } from '../../../extension/lib/errors';
import {
  button,
  fakeDeps,
  HOSTILE,
  mount,
  popupRoot,
  type Routes,
  settle,
  type,
} from './popup-harness';

const me = {
  id: 'u-me',
  handle: 'me',
  displayName: 'Me',
  sendReceipts: true,
  groupAdds: 'friends',
  settings: { readReceipts: true, groupAdds: 'friends' },
};

type Claim = {
  claimId: string;
  site: 'tiktok' | 'youtube' | 'instagram';
  handle: string;
  code: string;
  state: 'pending' | 'verified';
  brandId: string | null;
  brandName: string | null;
  createdAt: string;
  verifiedAt: string | null;
};

function world(initial: Claim[] = [], incoming: unknown[] = []) {
  const claims = [...initial];
  const routes: Routes = {
    'groups.list': () => [],
    'friends.list': () => [],
    'groups.requests': () => [],
    'auth.me': () => me,
    'channels.mine': () => claims,
    'shop.tagRequests': () => ({ incoming, outgoing: [] }),
    'channels.claim': (input) => {
      const { url } = input as { url: string };
      if (!url.includes('tiktok.com/@')) throw new KithError('BAD_REQUEST', 'Not a profile link.');
      const claim: Claim = {
        claimId: `c${claims.length + 1}`,
        site: 'tiktok',
        handle: url.split('@')[1]!.toLowerCase(),
        code: 'kith-abcdefgh23',
        state: 'pending',
        brandId: null,
        brandName: null,
        createdAt: '2026-12-01T00:00:00.000Z',
        verifiedAt: null,
      };
      claims.unshift(claim);
      return claim;
    },
  };
  return { claims, routes };
}

async function openAccount(routes: Routes, over = {}) {
  const made = fakeDeps(routes, { currentTab: async () => null, ...over });
  await mount(made.deps);
  button('Account').click();
  await settle();
  return made;
}

describe('popup channels', () => {
  it('claims a channel, shows the code and the steps, and verifies it', async () => {
    const { claims, routes } = world();
    let bioHasCode = false;
    routes['channels.verify'] = (input) => {
      const claim = claims.find((c) => c.claimId === (input as { claimId: string }).claimId)!;
      if (!bioHasCode)
        throw new KithError('PRECONDITION_FAILED', `The code ${claim.code} is not in the bio yet.`);
      claim.state = 'verified';
      return claim;
    };
    const copied: string[] = [];
    const { calls } = await openAccount(routes, {
      copy: async (text: string) => {
        copied.push(text);
      },
    });

    const input = popupRoot().querySelector<HTMLInputElement>('input[name=channelUrl]')!;
    type(input, 'https://www.tiktok.com/@Me.Makes');
    button('Claim channel').click();
    await settle();
    expect(calls.find((c) => c.path === 'channels.claim')?.input).toEqual({
      url: 'https://www.tiktok.com/@Me.Makes',
    });
    const steps = popupRoot().querySelector('.claim-steps')!;
    expect(steps.textContent).toContain('kith-abcdefgh23');
    expect(steps.textContent).toContain('@me.makes on TikTok');
    expect(input.value).toBe('');

    button('Copy').click();
    await settle();
    expect(copied).toEqual(['kith-abcdefgh23']);

    // Not in the bio yet: the server's words, and the steps stay.
    button('Verify').click();
    await settle();
    expect(popupRoot().querySelector('[role=alert]')?.textContent).toContain('not in the bio');
    expect(popupRoot().querySelector('.claim-steps')).not.toBeNull();

    bioHasCode = true;
    button('Verify').click();
    await settle();
    expect(popupRoot().querySelector('[role=status]')?.textContent).toContain(
      '@me.makes on TikTok is verified',
    );
    expect(popupRoot().querySelector('.claim-steps')).toBeNull();
    const verified = popupRoot().querySelector('[aria-label="Verified channels"]')!;
    expect(verified.textContent).toContain('@me.makes');
    expect(verified.textContent).toContain('Verified');
  });

  it('shows a bad link’s error and keeps what was typed', async () => {
    const { routes } = world();
    await openAccount(routes);
    const input = popupRoot().querySelector<HTMLInputElement>('input[name=channelUrl]')!;
    type(input, 'https://example.com/me');
    button('Claim channel').click();
    await settle();
    expect(popupRoot().querySelector('[role=alert]')?.textContent).toContain('Not a profile link');
    expect(input.value).toBe('https://example.com/me');
    expect(popupRoot().querySelector('.claim-steps')).toBeNull();
  });

  it('answers a brand’s request to tag a clip, showing the brand’s text as text', async () => {
    const request = {
      requestId: 'r1',
      clip: { site: 'tiktok', clipId: '1', url: 'https://www.tiktok.com/@me/video/1' },
      productId: 'p1',
      atSeconds: 64,
      state: 'pending',
      createdAt: '2026-12-01T00:00:00.000Z',
      respondedAt: null,
      product: { id: 'p1', title: HOSTILE, brand: { name: 'Acme' } },
    };
    const { routes } = world([], [request]);
    routes['shop.respondTag'] = (input) => {
      request.state = (input as { accept: boolean }).accept ? 'accepted' : 'declined';
      return { ...request, shown: request.state === 'accepted' };
    };
    const { calls } = await openAccount(routes);
    const row = popupRoot().querySelector('.channels .request')!;
    expect(row.textContent).toContain('Acme asks to show');
    expect(row.textContent).toContain(HOSTILE);
    expect(row.textContent).toContain('from 1:04');
    expect(row.querySelector('img')).toBeNull();

    button('Accept').click();
    await settle();
    expect(calls.find((c) => c.path === 'shop.respondTag')?.input).toEqual({
      requestId: 'r1',
      accept: true,
    });
    expect(popupRoot().querySelector('.channels .request')?.textContent).toContain(
      'Accepted: it shows in the clip',
    );
  });
});
