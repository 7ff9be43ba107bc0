// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import '../../../widgets/kith-shop-button';
import '../../../widgets/kith-product-card';
import { formatPrice } from '../../../widgets/format';
import { API, fakeApi, mount, product, shadow } from './fake-api';

beforeEach(() => {
  document.body.replaceChildren();
  document.documentElement.lang = 'en-US';
  localStorage.clear();
});
afterEach(() => vi.unstubAllGlobals());

const text = (el: Element) => shadow(el).textContent ?? '';

describe('<kith-shop-button>', () => {
  it('shows the price and Buy / Add to cart for the product named by its attribute', async () => {
    const tote = product({ priceCents: 2500, currency: 'USD' });
    const { calls } = fakeApi([tote]);
    const el = mount(`<kith-shop-button product="${tote.id}" api="${API}"></kith-shop-button>`);
    await vi.waitFor(() => expect(text(el)).toContain('$25.00'));
    const buy = shadow(el).querySelector('[part~="buy"]')!;
    expect(buy.textContent).toBe('Buy now');
    expect(buy.getAttribute('aria-label')).toBe('Buy now: Canvas tote, $25.00');
    expect(shadow(el).querySelector('[part~="add"]')!.textContent).toBe('Add to cart');
    expect(calls).toEqual([{ path: 'products.get', input: { productId: tote.id }, method: 'GET' }]);
  });

  it.each([
    ['de-DE', 'EUR', 2500, '25,00\u00a0€'],
    ['en-GB', 'GBP', 1999, '£19.99'],
    ['ja-JP', 'JPY', 500, '￥500'],
    ['en-US', 'JPY', 500, '¥500'],
    ['fr-CH', 'CHF', 123456, '1\u202f234.56\u00a0CHF'],
  ])('formats the price for the page locale %s in %s', async (lang, currency, cents, expected) => {
    const p = product({ currency, priceCents: cents });
    fakeApi([p]);
    document.documentElement.lang = lang;
    const el = mount(`<kith-shop-button product="${p.id}" api="${API}"></kith-shop-button>`);
    await vi.waitFor(() =>
      expect(shadow(el).querySelector('[part="price"]')?.textContent).toBe(expected),
    );
    expect(formatPrice(cents, currency, lang)).toBe(expected);
  });

  it('follows a lang attribute on the element over the page', async () => {
    const p = product({ currency: 'EUR', priceCents: 1000 });
    fakeApi([p]);
    const el = mount(
      `<kith-shop-button lang="de" product="${p.id}" api="${API}"></kith-shop-button>`,
    );
    await vi.waitFor(() =>
      expect(shadow(el).querySelector('[part="price"]')?.textContent).toBe('10,00\u00a0€'),
    );
  });

  it('says inline that an unknown product is not available', async () => {
    fakeApi([]);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const el = mount(
      `<kith-shop-button product="00000000-0000-4000-8000-999999999999" api="${API}"></kith-shop-button>`,
    );
    await vi.waitFor(() =>
      expect(shadow(el).querySelector('[part="message"]')?.textContent).toBe(
        'This product is not available.',
      ),
    );
    expect(shadow(el).querySelector('button')).toBeNull();
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('No such product'));
  });

  it('says inline that an inactive product is not available', async () => {
    const off = product({ active: false });
    fakeApi([off]);
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const el = mount(`<kith-shop-button product="${off.id}" api="${API}"></kith-shop-button>`);
    await vi.waitFor(() => expect(text(el)).toBe('This product is not available.'));
  });

  it('asks for a product id when the attribute is missing', async () => {
    fakeApi([]);
    const el = mount(`<kith-shop-button api="${API}"></kith-shop-button>`);
    await vi.waitFor(() => expect(text(el)).toContain('Set the product attribute'));
  });

  it('shows sold out products with disabled buttons', async () => {
    const gone = product({
      stock: 0,
      inStock: false,
      canBuy: false,
      purchasable: false,
      reason: 'Sold out',
      reasonCode: 'sold_out',
    });
    fakeApi([gone]);
    const el = mount(`<kith-shop-button product="${gone.id}" api="${API}"></kith-shop-button>`);
    await vi.waitFor(() => expect(text(el)).toContain('Sold out'));
    for (const button of shadow(el).querySelectorAll('button'))
      expect((button as HTMLButtonElement).disabled).toBe(true);
  });

  it('renders a title with markup as text', async () => {
    const title = '<img src=x onerror="alert(1)"><script>alert(2)</script>';
    const evil = product({ title, description: '<b>bold</b>' });
    fakeApi([evil]);
    const button = mount(`<kith-shop-button product="${evil.id}" api="${API}"></kith-shop-button>`);
    const card = mount(`<kith-product-card product="${evil.id}" api="${API}"></kith-product-card>`);
    await vi.waitFor(() => expect(shadow(card).querySelector('[part="title"]')).not.toBeNull());
    expect(shadow(card).querySelector('[part="title"]')!.textContent).toBe(title);
    expect(shadow(card).querySelector('[part="description"]')!.textContent).toBe('<b>bold</b>');
    expect(shadow(button).querySelector('[part~="add"]')!.getAttribute('aria-label')).toBe(
      `Add to cart: ${title}`,
    );
    for (const root of [shadow(button), shadow(card)]) {
      expect(root.querySelector('script')).toBeNull();
      expect(root.querySelector('b')).toBeNull();
      expect(root.querySelectorAll('img[onerror]')).toHaveLength(0);
    }
  });

  it('starts checkout with the embedding site as attribution and emits kith:checkout', async () => {
    const tote = product();
    const { calls } = fakeApi([tote]);
    const el = mount(
      `<kith-shop-button product="${tote.id}" api="${API}" quantity="2" clip="https://www.tiktok.com/@a/video/1"></kith-shop-button>`,
    );
    const events: CustomEvent[] = [];
    document.addEventListener('kith:checkout', (e) => {
      events.push(e as CustomEvent);
      e.preventDefault(); // no navigation in the test
    });
    await vi.waitFor(() => expect(shadow(el).querySelector('[part~="buy"]')).not.toBeNull());
    (shadow(el).querySelector('[part~="buy"]') as HTMLButtonElement).click();
    await vi.waitFor(() => expect(events).toHaveLength(1));
    expect(calls.at(-1)).toEqual({
      path: 'checkout.create',
      method: 'POST',
      input: {
        items: [{ productId: tote.id, quantity: 2 }],
        source: { widget: location.origin, url: 'https://www.tiktok.com/@a/video/1' },
      },
    });
    expect(events[0]!.detail).toMatchObject({
      orderId: '11111111-1111-4111-8111-111111111111',
      checkoutUrl: 'https://checkout.stripe.test/c/pay_1',
      items: [{ productId: tote.id, quantity: 2 }],
    });
    expect(events[0]!.composed).toBe(true);
  });

  it('shows the server’s reason inline when checkout cannot start', async () => {
    const tote = product();
    fakeApi([tote], {
      checkout: {
        error: {
          code: 'PRECONDITION_FAILED',
          message:
            'Payments are not configured on this server (no STRIPE_SECRET_KEY), so nothing can be bought yet.',
        },
      },
    });
    const el = mount(`<kith-shop-button product="${tote.id}" api="${API}"></kith-shop-button>`);
    await vi.waitFor(() => expect(shadow(el).querySelector('[part~="buy"]')).not.toBeNull());
    (shadow(el).querySelector('[part~="buy"]') as HTMLButtonElement).click();
    await vi.waitFor(() =>
      expect(shadow(el).querySelector('[part="message"]')!.textContent).toMatch(
        /Payments are not configured/,
      ),
    );
    expect(shadow(el).querySelector('[part="message"]')!.className).toContain('error');
  });

  it('asks the server once for several elements showing the same product', async () => {
    const tote = product();
    const { requests } = fakeApi([tote]);
    const a = mount(`<kith-shop-button product="${tote.id}" api="${API}"></kith-shop-button>`);
    mount(`<kith-product-card product="${tote.id}" api="${API}"></kith-product-card>`);
    await vi.waitFor(() => expect(text(a)).toContain('$25.00'));
    expect(requests).toHaveLength(1);
  });

  it('batches different products into one request', async () => {
    const [x, y] = [product(), product({ title: 'Cap' })];
    const { requests } = fakeApi([x, y]);
    const a = mount(`<kith-shop-button product="${x.id}" api="${API}"></kith-shop-button>`);
    const b = mount(`<kith-product-card product="${y.id}" api="${API}"></kith-product-card>`);
    await vi.waitFor(() => expect(text(a) && text(b)).toContain('Cap'));
    expect(requests).toHaveLength(1);
    expect(requests[0]).toContain('/trpc/products.get,products.get?batch=1');
  });

  it('follows a changed product attribute', async () => {
    const [x, y] = [product({ priceCents: 100 }), product({ priceCents: 200 })];
    fakeApi([x, y]);
    const el = mount(`<kith-shop-button product="${x.id}" api="${API}"></kith-shop-button>`);
    await vi.waitFor(() => expect(text(el)).toContain('$1.00'));
    el.setAttribute('product', y.id);
    await vi.waitFor(() => expect(text(el)).toContain('$2.00'));
  });
});

describe('<kith-product-card>', () => {
  it('shows image, brand, title, price and description', async () => {
    const p = product({
      title: 'Stoneware mug',
      description: 'Hand-glazed.',
      imageUrl: 'https://img.test/mug.jpg',
      priceCents: 1900,
      brandName: 'Clay Co',
    });
    fakeApi([p]);
    const el = mount(`<kith-product-card product="${p.id}" api="${API}"></kith-product-card>`);
    await vi.waitFor(() => expect(shadow(el).querySelector('[part="title"]')).not.toBeNull());
    const part = (name: string) => shadow(el).querySelector(`[part="${name}"]`)!;
    expect(part('title').textContent).toBe('Stoneware mug');
    expect(part('brand').textContent).toBe('Clay Co');
    expect(part('price').textContent).toBe('$19.00');
    expect(part('description').textContent).toBe('Hand-glazed.');
    expect(part('image').getAttribute('src')).toBe('https://img.test/mug.jpg');
    expect(part('image').getAttribute('alt')).toBe('Stoneware mug');
  });
});
