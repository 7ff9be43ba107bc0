// @vitest-environment happy-dom
import { render } from 'preact';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Brand, Order } from '../../../widgets/console/api';
import { OrdersTab } from '../../../widgets/console/orders-tab';

const brand = { id: '00000000-0000-4000-8000-00000000b001', name: 'Acme' } as Brand;

function order(id: string, over: Partial<Order>): Order {
  return {
    id,
    status: 'paid',
    brand: { id: brand.id, name: 'Acme', slug: 'acme', supportEmail: null },
    currency: 'USD',
    items: [
      { productId: 'p1', title: 'Tote', unitPriceCents: 5000, quantity: 1, subtotalCents: 5000 },
    ],
    itemCount: 1,
    totalCents: 5000,
    refundedCents: 0,
    email: null,
    shipping: null,
    tracking: null,
    shippedAt: null,
    creator: null,
    split: { totalCents: 5000, platformFeeCents: 250, creatorCents: 0, brandCents: 4750 },
    platformFeeCents: 250,
    netCents: 4750,
    buyer: 'member',
    source: { url: null, groupId: null, widget: null },
    checkoutUrl: null,
    createdAt: '2026-12-01T00:00:00.000Z',
    paidAt: '2026-12-01T00:00:00.000Z',
    closedAt: null,
    ...over,
  } as Order;
}

afterEach(() => {
  vi.unstubAllGlobals();
  document.body.innerHTML = '';
});

describe('console orders', () => {
  it('shows each order’s split: fee, the creator’s commission, the brand’s share', async () => {
    const orders = [
      order('o-creator', {
        creator: { id: 'u1', handle: 'maya' },
        split: { totalCents: 5000, platformFeeCents: 250, creatorCents: 500, brandCents: 4250 },
        netCents: 4250,
      }),
      order('o-plain', {}),
    ];
    vi.stubGlobal('fetch', async () =>
      Response.json([{ result: { data: { orders, hasMore: false } } }]),
    );
    const root = document.createElement('div');
    document.body.append(root);
    render(<OrdersTab brand={brand} />, root);
    await vi.waitFor(() => expect(root.querySelector('[data-order=o-plain]')).not.toBeNull());
    const withCreator = root.querySelector('[data-order=o-creator] .split')!.textContent;
    expect(withCreator).toContain('$50.00');
    expect(withCreator).toContain('Kith fee −$2.50');
    expect(withCreator).toContain('Creator @maya −$5.00');
    expect(withCreator).toContain('You get $42.50');
    const plain = root.querySelector('[data-order=o-plain] .split')!.textContent;
    expect(plain).not.toContain('Creator');
    expect(plain).toContain('You get $47.50');
    render(null, root);
  });
});
