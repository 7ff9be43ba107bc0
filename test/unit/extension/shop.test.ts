import { afterEach, describe, expect, it, vi } from 'vitest';
import { KithError } from '../../../extension/lib/errors';
import { sendMessage } from '../../../extension/lib/protocol';
import {
  errorText,
  formatPrice,
  inRange,
  newClientId,
  openInNewTab,
  productsForClip,
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

describe('looking up the products of a clip the user only watches', () => {
  const clip = { site: 'tiktok', clipId: '7301234567890123452' } as const;
  const sha256 = async (text: string) =>
    (await import('node:crypto')).createHash('sha256').update(text).digest('hex');
  const product = (clipHash: string, id: string) => ({
    id,
    clipHash,
    fromSeconds: null,
    toSeconds: null,
  });

  it('never sends more than 4 hex digits of the clip, even to a server that always says truncated', async () => {
    const sent: Record<string, unknown>[] = [];
    const client = {
      hash: sha256,
      query: async (_path: string, input: Record<string, unknown>) => {
        sent.push(input);
        return { prefix: input.prefix, truncated: true, products: [] };
      },
    };
    await productsForClip(client as never, clip);
    expect(sent.length).toBeGreaterThan(0);
    for (const input of sent) expect(String(input.prefix)).toMatch(/^[0-9a-f]{4}$/);
  });

  it('pages through a crowded bucket and finds its own products on a later page', async () => {
    const hash = await sha256(`${clip.site}:${clip.clipId}`);
    const bucket = hash.slice(0, 4);
    // 250 other clips in the bucket, one product each, and this clip with two products, in hash order.
    const rows = [
      ...Array.from({ length: 250 }, (_, i) =>
        product(`${bucket}${'0'.repeat(56)}${String(i).padStart(4, '0')}`, `other${i}`),
      ),
      product(hash, 'mine1'),
      product(hash, 'mine2'),
    ].sort((a, b) => (a.clipHash < b.clipHash ? -1 : a.clipHash > b.clipHash ? 1 : 0));
    const sent: Record<string, unknown>[] = [];
    const client = {
      hash: sha256,
      query: async (_path: string, input: { prefix: string; after?: string }) => {
        sent.push(input);
        const rest = rows.filter(
          (r) => r.clipHash.startsWith(input.prefix) && (!input.after || r.clipHash > input.after),
        );
        return { prefix: input.prefix, truncated: rest.length > 200, products: rest.slice(0, 200) };
      },
    };
    const found = await productsForClip(client as never, clip);
    expect(found.map((p) => p.id).sort()).toEqual(['mine1', 'mine2']);
    expect(sent.length).toBeGreaterThan(1);
    for (const input of sent) expect(input.prefix).toBe(bucket);
    expect(sent.some((input) => input.after === hash)).toBe(false);
  });

  it('stops paging a server that never makes progress', async () => {
    let calls = 0;
    const client = {
      hash: sha256,
      query: async (_path: string, input: { prefix: string }) => {
        calls++;
        return {
          prefix: input.prefix,
          truncated: true,
          products: [product(`${input.prefix}${'f'.repeat(60)}`, 'x')],
        };
      },
    };
    expect(await productsForClip(client as never, clip)).toEqual([]);
    expect(calls).toBeLessThan(10);
  });
});
