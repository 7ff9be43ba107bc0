// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { button, fakeDeps, HOSTILE, mount, popupRoot, type Routes, settle } from './popup-harness';

const me = {
  id: 'u-me',
  handle: 'me',
  displayName: 'Me',
  sendReceipts: true,
  groupAdds: 'friends',
  settings: { readReceipts: true, groupAdds: 'friends' },
};

function routesWith(earnings: () => unknown): Routes {
  return {
    'groups.list': () => [],
    'friends.list': () => [],
    'groups.requests': () => [],
    'auth.me': () => me,
    'channels.mine': () => [],
    'shop.tagRequests': () => ({ incoming: [], outgoing: [] }),
    'creators.earnings': earnings,
  };
}

async function openAccount(routes: Routes) {
  const made = fakeDeps(routes, { currentTab: async () => null });
  await mount(made.deps);
  button('Account').click();
  await settle();
  return made;
}

afterEach(() => vi.restoreAllMocks());

describe('popup earnings', () => {
  it('lists commissions with what is left after refunds, brand names as text', async () => {
    await openAccount(
      routesWith(() => ({
        account: { connected: true, payoutsEnabled: true },
        orders: [
          {
            orderId: 'o1',
            brand: HOSTILE,
            status: 'paid',
            currency: 'USD',
            totalCents: 5000,
            commissionCents: 500,
            reversedCents: 0,
            transferred: true,
            paidAt: '2026-12-01T00:00:00.000Z',
          },
          {
            orderId: 'o2',
            brand: 'Acme',
            status: 'paid',
            currency: 'USD',
            totalCents: 2500,
            commissionCents: 250,
            reversedCents: 100,
            transferred: true,
            paidAt: '2026-12-01T00:00:00.000Z',
          },
        ],
      })),
    );
    const card = popupRoot().querySelector('.earnings')!;
    const rows = [...card.querySelectorAll('[data-order]')];
    expect(rows.map((r) => r.getAttribute('data-order'))).toEqual(['o1', 'o2']);
    expect(rows[0]!.textContent).toContain(HOSTILE);
    expect(rows[0]!.textContent).toContain('$5.00');
    expect(card.querySelector('img')).toBeNull();
    expect(rows[1]!.textContent).toContain('$1.50');
    expect(rows[1]!.textContent).toContain('$1.00 returned after a refund');
    expect(card.textContent).not.toContain('Set up payouts');
  });

  it('sets up payouts through creators.connect and opens Stripe in a new tab', async () => {
    const open = vi.spyOn(window, 'open').mockReturnValue(null);
    const { calls } = await openAccount(
      Object.assign(
        routesWith(() => ({ account: { connected: false, payoutsEnabled: false }, orders: [] })),
        {
          'creators.connect': () => ({
            url: 'https://connect.stripe.com/setup/e/acct_1',
            expiresAt: '2026-12-01T00:05:00.000Z',
            accountId: 'acct_1',
            payoutsEnabled: false,
          }),
        },
      ),
    );
    expect(popupRoot().querySelector('.earnings')!.textContent).toContain('No commissions yet');
    button('Set up payouts').click();
    await settle();
    expect(calls.some((c) => c.path === 'creators.connect')).toBe(true);
    expect(open).toHaveBeenCalledWith(
      'https://connect.stripe.com/setup/e/acct_1',
      '_blank',
      'noopener',
    );
  });
});
