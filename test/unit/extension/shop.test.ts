import { afterEach, describe, expect, it, vi } from 'vitest';
import { KithError } from '../../../extension/lib/errors';
import { sendMessage } from '../../../extension/lib/protocol';
import {
  errorText,
  formatPrice,
  inRange,
  newClientId,
  openInNewTab,
  safeImage,
  shopMutate,
} from '../../../extension/ui/shop-api';

// The messenger to the background, replaced so a test can answer `api.call` itself.
vi.mock('../../../extension/lib/protocol', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../../extension/lib/protocol')>()),
  sendMessage: vi.fn(),
}));

describe('overlay shop helpers', () => {
  it('formats minor units in the currency’s own digits', () => {
    expect(formatPrice(1250, 'USD', 'en-US')).toBe('$12.50');
    expect(formatPrice(1250, 'EUR', 'de-DE')).toBe('12,50\u00a0€');
    expect(formatPrice(500, 'JPY', 'en-US')).toBe('¥500');
  });

  it('shows a tag inside its range, and a tag without one always', () => {
    const open = { fromSeconds: null, toSeconds: null };
    const range = { fromSeconds: 30, toSeconds: 40 };
    expect(inRange(open, 0)).toBe(true);
    expect(inRange(range, 29)).toBe(false);
    expect(inRange(range, 30)).toBe(true);
    expect(inRange(range, 40)).toBe(true);
    expect(inRange(range, 41)).toBe(false);
    expect(inRange({ fromSeconds: 5, toSeconds: null }, 500)).toBe(true);
  });

  it('keeps only https images', () => {
    expect(safeImage('https://cdn.example/a.png')).toBe('https://cdn.example/a.png');
    expect(safeImage('http://cdn.example/a.png')).toBeNull();
    expect(safeImage('javascript:alert(1)')).toBeNull();
    expect(safeImage('data:image/png;base64,AAAA')).toBeNull();
    expect(safeImage('not a url')).toBeNull();
    expect(safeImage(null)).toBeNull();
  });

  it('makes client ids the server accepts', () => {
    const id = newClientId('buy');
    expect(id).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
    expect(newClientId('buy')).not.toBe(id);
  });

  it('reports a blocked window, so the card offers a link instead', () => {
    const blocked = { open: () => null } as unknown as Window;
    const opened = { open: () => ({ opener: {} }) } as unknown as Window;
    expect(openInNewTab('https://checkout.example/s', blocked)).toBe(false);
    expect(openInNewTab('https://checkout.example/s', opened)).toBe(true);
  });
});

describe('the shop mutations, through the background', () => {
  afterEach(() => {
    vi.mocked(sendMessage).mockReset();
  });

  it('sends each as an api.call mutation and answers with what the background returns', async () => {
    const calls: unknown[] = [];
    vi.mocked(sendMessage).mockImplementation(async (type, data) => {
      calls.push([type, data]);
      const { path } = data as { path: string };
      if (path === 'brands.ask') throw new KithError('FORBIDDEN', 'That brand takes no questions');
      return { checkoutUrl: 'https://checkout.example/s' };
    });
    const input = {
      items: [{ productId: 'p1', quantity: 1 }],
      source: { url: 'https://www.tiktok.com/@a/video/1' },
      clientId: 'buy_1',
    };
    await expect(shopMutate('checkout.create', input)).resolves.toEqual({
      checkoutUrl: 'https://checkout.example/s',
    });
    const ask = {
      brandId: 'b1',
      body: 'Does it come in blue?',
      productId: 'p1',
      clientId: 'ask_1',
    };
    const refused = await shopMutate('brands.ask', ask).catch((error: unknown) => error);
    expect(errorText(refused)).toBe('That brand takes no questions');
    expect(calls).toEqual([
      ['api.call', { path: 'checkout.create', type: 'mutation', input }],
      ['api.call', { path: 'brands.ask', type: 'mutation', input: ask }],
    ]);
  });
});
