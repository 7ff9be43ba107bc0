// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import '../../../widgets/kith-shop-button';
import '../../../widgets/kith-product-card';
import '../../../widgets/kith-cart';
import { allCarts, CART_PREFIX, cartFor } from '../../../widgets/cart-store';
import { API, fakeApi, mount, product, shadow } from './fake-api';

beforeEach(() => {
  document.body.replaceChildren();
  document.documentElement.lang = 'en-US';
  localStorage.clear();
});
afterEach(() => vi.unstubAllGlobals());

async function ready(el: Element) {
  await vi.waitFor(() => expect(shadow(el).querySelector('[part~="add"]')).not.toBeNull());
  return {
    add: () => (shadow(el).querySelector('[part~="add"]') as HTMLButtonElement).click(),
  };
}

const toggleOf = (cart: Element) => shadow(cart).querySelector('[part="toggle"]') as HTMLElement;

describe('the cart', () => {
  it('is one cart for a shop button and a product card, kept in localStorage per brand', async () => {
    const tote = product({ title: 'Tote', priceCents: 2500 });
    const cap = product({ title: 'Cap', priceCents: 1500 });
    fakeApi([tote, cap]);
    const cart = mount('<kith-cart></kith-cart>');
    const button = await ready(
      mount(`<kith-shop-button product="${tote.id}" api="${API}"></kith-shop-button>`),
    );
    const card = await ready(
      mount(`<kith-product-card product="${cap.id}" api="${API}"></kith-product-card>`),
    );
    const added: unknown[] = [];
    document.addEventListener('kith:add-to-cart', (e) => added.push((e as CustomEvent).detail));

    button.add();
    card.add();
    card.add();

    expect(added).toEqual([
      { productId: tote.id, brandId: tote.brandId, quantity: 1 },
      { productId: cap.id, brandId: cap.brandId, quantity: 1 },
      { productId: cap.id, brandId: cap.brandId, quantity: 2 },
    ]);
    const stored = JSON.parse(localStorage.getItem(CART_PREFIX + tote.brandId)!);
    expect(stored).toMatchObject({
      brandId: tote.brandId,
      api: API,
      lines: [
        { productId: tote.id, quantity: 1, title: 'Tote' },
        { productId: cap.id, quantity: 2, title: 'Cap' },
      ],
    });
    await vi.waitFor(() => expect(toggleOf(cart).getAttribute('aria-label')).toBe('Cart, 3 items'));
  });

  it('keeps one cart per brand', async () => {
    const a = product({ brandId: '00000000-0000-4000-8000-0000000000aa', brandName: 'A' });
    const b = product({ brandId: '00000000-0000-4000-8000-0000000000bb', brandName: 'B' });
    fakeApi([a, b]);
    (
      await ready(mount(`<kith-shop-button product="${a.id}" api="${API}"></kith-shop-button>`))
    ).add();
    (
      await ready(mount(`<kith-shop-button product="${b.id}" api="${API}"></kith-shop-button>`))
    ).add();
    expect(allCarts().map((c) => c.brandName)).toEqual(['A', 'B']);
    expect(cartFor(a.brandId)!.lines).toHaveLength(1);
    expect(cartFor(b.brandId)!.lines).toHaveLength(1);
  });

  it('survives a page load: a new cart element reads what the last page stored', async () => {
    const tote = product();
    fakeApi([tote]);
    (
      await ready(mount(`<kith-shop-button product="${tote.id}" api="${API}"></kith-shop-button>`))
    ).add();
    const saved = localStorage.getItem(CART_PREFIX + tote.brandId);
    document.body.replaceChildren();
    localStorage.clear();
    localStorage.setItem(CART_PREFIX + tote.brandId, saved!);
    const cart = mount('<kith-cart></kith-cart>');
    await vi.waitFor(() => expect(toggleOf(cart).getAttribute('aria-label')).toBe('Cart, 1 item'));
  });

  it('puts a floating cart on a page that has none when something is added', async () => {
    const tote = product();
    fakeApi([tote]);
    (
      await ready(mount(`<kith-shop-button product="${tote.id}" api="${API}"></kith-shop-button>`))
    ).add();
    const cart = document.querySelector('kith-cart')!;
    expect(cart.hasAttribute('floating')).toBe(true);
    await vi.waitFor(() => expect(toggleOf(cart).hidden).toBe(false));
  });

  it('caps quantities at the stock left', async () => {
    const few = product({ stock: 2 });
    fakeApi([few]);
    const button = await ready(
      mount(`<kith-shop-button product="${few.id}" api="${API}"></kith-shop-button>`),
    );
    button.add();
    button.add();
    button.add();
    expect(cartFor(few.brandId)!.lines[0]!.quantity).toBe(2);
  });

  it('changes quantities in the drawer and checks out every item in one order', async () => {
    const tote = product({ title: 'Tote', priceCents: 2500 });
    const cap = product({ title: 'Cap', priceCents: 1500 });
    const { calls } = fakeApi([tote, cap]);
    (
      await ready(mount(`<kith-shop-button product="${tote.id}" api="${API}"></kith-shop-button>`))
    ).add();
    (
      await ready(mount(`<kith-product-card product="${cap.id}" api="${API}"></kith-product-card>`))
    ).add();
    const cart = document.querySelector('kith-cart')!;
    await vi.waitFor(() => expect(toggleOf(cart).hidden).toBe(false));
    toggleOf(cart).click();
    await vi.waitFor(() => expect(shadow(cart).querySelector('[part="drawer"]')).not.toBeNull());
    const q = (selector: string) => shadow(cart).querySelector(selector) as HTMLElement;
    q(`[aria-label="One more Cap"]`).click();
    await vi.waitFor(() => expect(q('[part="total"]').textContent).toBe('$55.00'));
    q(`[aria-label="One less Tote"]`).click();
    await vi.waitFor(() => expect(q('[part="total"]').textContent).toBe('$30.00'));
    q(`[aria-label="One more Cap"]`).click();
    await vi.waitFor(() => expect(q('[part="total"]').textContent).toBe('$45.00'));

    const checkouts: CustomEvent[] = [];
    document.addEventListener('kith:checkout', (e) => {
      checkouts.push(e as CustomEvent);
      e.preventDefault();
    });
    q('[part~="checkout"]').click();
    await vi.waitFor(() => expect(checkouts).toHaveLength(1));
    expect(calls.at(-1)).toMatchObject({
      path: 'checkout.create',
      input: { items: [{ productId: cap.id, quantity: 3 }], source: { widget: location.origin } },
    });
    // The order holds the items now: the cart is empty.
    await vi.waitFor(() => expect(cartFor(tote.brandId)).toBeNull());
    expect(localStorage.getItem(CART_PREFIX + tote.brandId)).toBeNull();
  });

  it('opens and closes the drawer from the keyboard, with focus following', async () => {
    const tote = product();
    fakeApi([tote]);
    const cart = mount('<kith-cart></kith-cart>');
    (
      await ready(mount(`<kith-shop-button product="${tote.id}" api="${API}"></kith-shop-button>`))
    ).add();
    await vi.waitFor(() => expect(toggleOf(cart)).not.toBeNull());
    toggleOf(cart).click();
    await vi.waitFor(() =>
      expect((shadow(cart).activeElement as HTMLElement | null)?.dataset.k).toBe('close'),
    );
    expect(toggleOf(cart).getAttribute('aria-expanded')).toBe('true');
    shadow(cart)
      .querySelector('[part="drawer"]')!
      .dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    await vi.waitFor(() => expect(shadow(cart).querySelector('[part="drawer"]')).toBeNull());
    await vi.waitFor(() =>
      expect((shadow(cart).activeElement as HTMLElement | null)?.dataset.k).toBe('toggle'),
    );
  });

  it('ignores a corrupt stored cart', () => {
    localStorage.setItem(`${CART_PREFIX}x`, '{not json');
    localStorage.setItem(
      `${CART_PREFIX}y`,
      JSON.stringify({ brandId: 'y', lines: [{ productId: 1 }] }),
    );
    expect(allCarts()).toEqual([]);
  });
});

describe('opening the cart', () => {
  it('updates prices from the shop and drops products no longer for sale', async () => {
    const tote = product({ title: 'Tote', priceCents: 2500 });
    const cap = product({ title: 'Cap', priceCents: 1500 });
    localStorage.setItem(
      CART_PREFIX + tote.brandId,
      JSON.stringify({
        brandId: tote.brandId,
        brandName: 'Acme Goods',
        api: API,
        lines: [
          { ...line(tote), priceCents: 999, quantity: 2 },
          { ...line(cap), quantity: 1 },
        ],
      }),
    );
    // The cap was taken off sale since it was added; the tote costs 25.00 now.
    fakeApi([tote, { ...cap, active: false }]);
    const cart = mount('<kith-cart></kith-cart>');
    await vi.waitFor(() => expect(toggleOf(cart)).not.toBeNull());
    toggleOf(cart).click();
    await vi.waitFor(() =>
      expect(shadow(cart).querySelector('[part="total"]')?.textContent).toBe('$50.00'),
    );
    expect(shadow(cart).querySelector('[part="notice"]')!.textContent).toBe(
      'No longer available, so removed from your cart: Cap.',
    );
    expect(cartFor(tote.brandId)!.lines.map((l) => l.title)).toEqual(['Tote']);
  });
});

function line(p: ReturnType<typeof product>) {
  return {
    productId: p.id,
    quantity: 1,
    title: p.title,
    priceCents: p.priceCents,
    currency: p.currency,
    imageUrl: p.imageUrl,
    stock: p.stock,
  };
}
