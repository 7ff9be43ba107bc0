// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest';
import { KithError } from '../../../extension/lib/errors';
import type { SyncEvent } from '../../../extension/lib/protocol';
import {
  button,
  fakeDeps,
  HOSTILE,
  mount,
  popupRoot,
  type Routes,
  SIGNED_IN,
  settle,
  type,
} from './popup-harness';

const baseRoutes: Routes = {
  'groups.list': () => [],
  'friends.list': () => [
    { id: 'u-ana', handle: 'ana', displayName: HOSTILE, since: '2026-11-01T00:00:00.000Z' },
    { id: 'u-ben', handle: 'ben', displayName: 'Ben', since: '2026-11-01T00:00:00.000Z' },
  ],
};

describe('popup', () => {
  it('signed out, it shows the sign-in form and the server’s error in words', async () => {
    const { deps } = fakeDeps(baseRoutes, {
      session: async () => ({ ...SIGNED_IN, user: null }),
      signIn: async () => {
        throw new KithError('UNAUTHORIZED', 'Wrong handle or password.');
      },
    });
    await mount(deps);
    const form = popupRoot().querySelector('form.sign-in') as HTMLFormElement;
    type(form.querySelector('input[name=handle]')!, 'ana');
    type(form.querySelector('input[name=password]')!, 'nope nope');
    form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await settle();
    expect(popupRoot().querySelector('[role=alert]')?.textContent).toBe(
      'Wrong handle or password.',
    );
  });

  it('the inbox says who said what last, a share its clip and moment, and what waits unread', async () => {
    const at = new Date().toISOString();
    const base = { role: 'member', muted: false, lastSeq: 3, lastReadSeq: 0, createdAt: at };
    const ben = { id: 'u-ben', handle: 'ben', displayName: 'Ben' };
    const last = (over: Record<string, unknown>) => ({
      id: 'm',
      seq: 3,
      kind: 'text',
      senderId: ben.id,
      sender: ben,
      body: null,
      clip: null,
      atSeconds: null,
      deleted: false,
      createdAt: at,
      ...over,
    });
    const threads = [
      {
        ...base,
        id: 'g-dm',
        kind: 'direct',
        name: 'Ben',
        memberCount: 2,
        unread: 1,
        peer: ben,
        lastMessage: last({
          kind: 'clip',
          body: 'look',
          atSeconds: 12,
          clip: {
            site: 'tiktok',
            clipId: '1',
            url: 'https://www.tiktok.com/@a/video/1',
            title: 'Scout skates',
            thumbnailUrl: 'https://p16-sign.tiktokcdn.com/t.jpeg',
          },
        }),
      },
      {
        ...base,
        id: 'g-room',
        kind: 'group',
        name: 'Roommates',
        memberCount: 3,
        unread: 2,
        peer: null,
        lastMessage: last({ body: 'dinner?' }),
      },
      {
        ...base,
        id: 'g-mine',
        kind: 'group',
        name: 'Quiet',
        memberCount: 3,
        unread: 0,
        peer: null,
        lastMessage: last({ senderId: SIGNED_IN.user!.id, sender: SIGNED_IN.user, body: 'hi' }),
      },
    ];
    const { deps } = fakeDeps({ ...baseRoutes, 'groups.list': () => threads });
    await mount(deps);
    const rows = [...popupRoot().querySelectorAll('.list.groups button.group')];
    expect(rows.map((r) => r.querySelector('.preview')?.textContent)).toEqual([
      'shared “Scout skates” at 0:12 — look',
      'Ben: dinner?',
      'You: hi',
    ]);
    expect(rows.map((r) => r.querySelector('.count')?.textContent ?? null)).toEqual([
      '1',
      '2',
      null,
    ]);
    expect(rows[0]!.querySelector('img.thumb')?.getAttribute('src')).toBe(
      'https://p16-sign.tiktokcdn.com/t.jpeg',
    );
    expect(button(/^Inbox$/).getAttribute('aria-selected')).toBe('true');
  });

  it('renders names as text, never as markup', async () => {
    const { deps } = fakeDeps(baseRoutes);
    await mount(deps);
    button('Friends').click();
    await settle();
    expect(popupRoot().textContent).toContain(HOSTILE);
    expect(popupRoot().querySelector('img[src=x]')).toBeNull();
  });

  it('creates a group from the friends ticked', async () => {
    const created = {
      id: 'g1',
      name: 'Roommates',
      kind: 'group',
      role: 'owner',
      muted: false,
      members: [],
    };
    const { deps, calls } = fakeDeps({ ...baseRoutes, 'groups.create': () => created });
    await mount(deps);
    button('New group').click();
    await settle();
    type(popupRoot().querySelector('input[placeholder=Roommates]')!, 'Roommates');
    const boxes = popupRoot().querySelectorAll<HTMLInputElement>('input[type=checkbox]');
    boxes[1]!.click();
    await settle();
    popupRoot()
      .querySelector('form')!
      .dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await settle();
    expect(calls.find((c) => c.path === 'groups.create')?.input).toEqual({
      name: 'Roommates',
      memberIds: ['u-ben'],
    });
    expect(popupRoot().querySelector('[role=status]')?.textContent).toContain(
      '“Roommates” is ready.',
    );
  });

  it('shows the server’s reason when accepting an invite fails', async () => {
    const { deps } = fakeDeps({
      ...baseRoutes,
      'friends.acceptInvite': () => {
        throw new KithError(
          'PRECONDITION_FAILED',
          'This invite has expired. Ask your friend for a new one.',
        );
      },
    });
    await mount(deps);
    button('Friends').click();
    await settle();
    type(
      popupRoot().querySelector('input[aria-label="Invite code or link"]')!,
      'https://kith.test/invite/ABCDEFGH',
    );
    button('Accept').click();
    await settle();
    expect(popupRoot().querySelector('[role=alert]')?.textContent).toContain(
      'This invite has expired. Ask your friend for a new one.',
    );
  });

  it('asks for the site permission first, then turns Kith on for the tab’s site', async () => {
    const order: string[] = [];
    const { deps } = fakeDeps(baseRoutes, {
      requestOrigins: async (origins) => {
        order.push(`request ${origins.join()}`);
        return true;
      },
      siteEnable: async (origin, tabId) => {
        order.push(`enable ${origin} in ${tabId}`);
        return { enabled: true };
      },
    });
    await mount(deps);
    button('This site').click();
    await settle();
    button('Turn on Kith for this site').click();
    await settle();
    expect(order).toEqual(['request https://vimeo.com/*', 'enable https://vimeo.com in 3']);
    expect(popupRoot().querySelector('[role=status]')?.textContent).toContain(
      'Kith is on for vimeo.com',
    );
  });

  it('follows unread counts live while open', async () => {
    let unread = 0;
    let emit: (event: SyncEvent) => void = () => undefined;
    const { deps } = fakeDeps(
      {
        ...baseRoutes,
        'groups.list': () => [
          { id: 'g1', name: 'Roommates', kind: 'group', muted: false, unread, lastMessage: null },
        ],
      },
      { onSyncEvent: (listener) => (emit = listener) },
    );
    await mount(deps);
    expect(popupRoot().querySelector('.count')).toBeNull();
    unread = 2;
    emit({
      id: 5,
      type: 'message.created',
      groupId: 'g1',
      userId: null,
      payload: {},
      createdAt: '',
    } as SyncEvent);
    await new Promise((r) => setTimeout(r, 350));
    await settle();
    expect(popupRoot().querySelector('.count')?.textContent).toBe('2');
  });

  it('lists orders with their status, total, and a pay link only while payment is due', async () => {
    const order = (over: Record<string, unknown>) => ({
      id: crypto.randomUUID(),
      status: 'paid',
      brand: { id: 'b1', name: 'Sock Co', slug: 'sock-co' },
      currency: 'EUR',
      items: [
        {
          productId: 'p1',
          title: 'Striped socks',
          unitPriceCents: 1250,
          quantity: 2,
          subtotalCents: 2500,
        },
      ],
      itemCount: 2,
      totalCents: 2500,
      refundedCents: 0,
      source: { url: null, groupId: null, widget: null },
      checkoutUrl: null,
      createdAt: '2026-11-20T10:00:00.000Z',
      paidAt: null,
      closedAt: null,
      ...over,
    });
    const { deps, calls } = fakeDeps({
      ...baseRoutes,
      'orders.list': () => ({
        orders: [
          order({ status: 'pending', checkoutUrl: 'https://checkout.stripe.com/c/pay/cs_test_1' }),
          order({ checkoutUrl: 'javascript:alert(1)', status: 'pending' }),
          order({}),
        ],
        hasMore: false,
      }),
    });
    await mount(deps);
    button('Orders').click();
    await settle();
    expect(calls.find((c) => c.path === 'orders.list')?.input).toEqual({ limit: 20 });
    const rows = [...popupRoot().querySelectorAll('li.order')];
    expect(rows).toHaveLength(3);
    expect(rows[0]?.textContent).toContain('2 × Striped socks');
    expect(rows[0]?.textContent).toContain('Waiting for payment');
    expect(rows[0]?.textContent).toMatch(/25[.,]00/);
    expect(rows[2]?.textContent).toContain('Paid');
    const links = [...popupRoot().querySelectorAll<HTMLAnchorElement>('li.order a')].map(
      (a) => a.href,
    );
    expect(links).toEqual(['https://checkout.stripe.com/c/pay/cs_test_1']);
  });

  it('says what to do when the permission is refused', async () => {
    const enable = vi.fn();
    const { deps } = fakeDeps(baseRoutes, {
      requestOrigins: async () => false,
      siteEnable: enable,
    });
    await mount(deps);
    button('This site').click();
    await settle();
    button('Turn on Kith for this site').click();
    await settle();
    expect(enable).not.toHaveBeenCalled();
    expect(popupRoot().querySelector('[role=alert]')?.textContent).toMatch(/choose Allow/);
  });
});
