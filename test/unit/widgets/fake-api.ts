import { vi } from 'vitest';
import type { Product } from '../../../widgets/api';

export const API = 'https://kith.test';

let next = 0;

/** A product as products.get answers it. */
export function product(overrides: Partial<Product> & { brandName?: string } = {}): Product {
  next += 1;
  const { brandName, ...rest } = overrides;
  const brandId = rest.brandId ?? '00000000-0000-4000-8000-00000000b001';
  return {
    id: `00000000-0000-4000-8000-${String(next).padStart(12, '0')}`,
    brandId,
    brand: {
      id: brandId,
      name: brandName ?? 'Acme Goods',
      slug: 'acme',
      canSell: true,
      allowedOrigins: [],
    },
    title: 'Canvas tote',
    description: 'Heavy cotton.',
    imageUrl: null,
    priceCents: 2500,
    currency: 'USD',
    stock: 10,
    active: true,
    requiresShipping: true,
    affiliateBps: 0,
    inStock: true,
    canBuy: true,
    purchasable: true,
    reason: null,
    reasonCode: null,
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
    ...rest,
  };
}

export interface Call {
  path: string;
  input: unknown;
  method: string;
}

/**
 * Replaces fetch with a tRPC server over `catalog`: products.get (unknown or inactive ids answer
 * NOT_FOUND, as the real one does), shop.forClip, and checkout.create (answers `checkout`, or
 * the error given).
 */
export function fakeApi(
  catalog: Product[],
  options: {
    checkout?: { error?: { code: string; message: string } };
    clip?: { products: (Product & { fromSeconds: number | null; toSeconds: number | null })[] };
  } = {},
) {
  const calls: Call[] = [];
  const requests: string[] = [];
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const error = (code: string, message: string) => ({
    error: { message, code: -32000, data: { code, httpStatus: 400 } },
  });
  const answer = (path: string, input: Record<string, unknown>) => {
    if (path === 'products.get') {
      const found = catalog.find((p) => p.id === input.productId && p.active);
      return found
        ? { result: { data: found } }
        : error('NOT_FOUND', 'No such product, or it is no longer for sale.');
    }
    if (path === 'shop.forClip')
      return { result: { data: { clip: input.url, products: options.clip?.products ?? [] } } };
    if (path === 'checkout.create') {
      if (options.checkout?.error)
        return error(options.checkout.error.code, options.checkout.error.message);
      return {
        result: {
          data: {
            orderId: '11111111-1111-4111-8111-111111111111',
            checkoutUrl: 'https://checkout.stripe.test/c/pay_1',
            status: 'pending',
            totalCents: 2500,
            currency: 'USD',
          },
        },
      };
    }
    return error('NOT_FOUND', `No procedure ${path}`);
  };
  const fetchMock = vi.fn(async (resource: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(resource));
    requests.push(url.href);
    const paths = url.pathname.replace(/^\/trpc\//, '').split(',');
    if (init?.method === 'POST') {
      const input = JSON.parse(String(init.body));
      calls.push({ path: paths[0]!, input, method: 'POST' });
      return json(answer(paths[0]!, input));
    }
    const inputs = JSON.parse(url.searchParams.get('input') ?? '{}');
    return json(
      paths.map((path, i) => {
        calls.push({ path, input: inputs[i], method: 'GET' });
        return answer(path, inputs[i]);
      }),
    );
  });
  vi.stubGlobal('fetch', fetchMock);
  return { calls, requests, fetch: fetchMock };
}

/** Mounts HTML into the body and returns the first element. */
export function mount<T extends Element = HTMLElement>(html: string): T {
  const template = document.createElement('template');
  template.innerHTML = html;
  const el = template.content.firstElementChild as T;
  document.body.append(template.content);
  return el;
}

export const shadow = (el: Element) => el.shadowRoot!;
