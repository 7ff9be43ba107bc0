import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '../server/router';

/**
 * The widgets' whole client for the three public procedures they use. Plain JSON over tRPC's
 * HTTP wire format (no transformer, see DESIGN "API contract"), so no tRPC client is bundled:
 * queries issued in the same tick go out as one batched GET, mutations as a POST.
 */

type Outputs = inferRouterOutputs<AppRouter>;
type Inputs = inferRouterInputs<AppRouter>;
export type Product = Outputs['products']['get'];
export type ClipProducts = Outputs['shop']['forClip'];
export type ClipProduct = ClipProducts['products'][number];
export type CheckoutInput = Inputs['checkout']['create'];
export type CheckoutResult = Outputs['checkout']['create'];

/** The Kith server this script was loaded from: the default for every element's `api`. */
export const scriptOrigin = new URL(import.meta.url).origin;

export class KithError extends Error {
  constructor(
    message: string,
    /** A tRPC error code (`NOT_FOUND`, `PRECONDITION_FAILED`, …) or `NETWORK`. */
    readonly code: string,
  ) {
    super(message);
  }
}

const unreachable = () =>
  new KithError('Could not reach the shop. Check your connection and try again.', 'NETWORK');

interface Envelope {
  result?: { data?: unknown };
  error?: { message?: string; data?: { code?: string } };
}

function unwrap(item: Envelope | undefined): unknown {
  if (item?.error)
    throw new KithError(
      item.error.message || 'Something went wrong.',
      item.error.data?.code || 'INTERNAL_SERVER_ERROR',
    );
  if (!item?.result) throw unreachable();
  return item.result.data;
}

interface Pending {
  path: string;
  input: unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

const queues = new Map<string, Pending[]>();
/** Keeps a batched GET well under URL length limits. */
const BATCH = 10;

async function send(api: string, batch: Pending[]) {
  const input: Record<number, unknown> = {};
  batch.forEach((p, i) => {
    input[i] = p.input;
  });
  let body: Envelope[];
  try {
    const res = await fetch(
      `${api}/trpc/${batch.map((p) => p.path).join(',')}?batch=1&input=${encodeURIComponent(JSON.stringify(input))}`,
    );
    body = await res.json();
  } catch {
    for (const p of batch) p.reject(unreachable());
    return;
  }
  batch.forEach((p, i) => {
    try {
      p.resolve(unwrap(body[i]));
    } catch (error) {
      p.reject(error);
    }
  });
}

/** A public query; calls made in the same tick towards one server share one request. */
export function query<T>(api: string, path: string, input: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    let queue = queues.get(api);
    if (!queue) {
      queue = [];
      queues.set(api, queue);
      queueMicrotask(() => {
        queues.delete(api);
        for (let i = 0; i < queue!.length; i += BATCH) send(api, queue!.slice(i, i + BATCH));
      });
    }
    queue.push({ path, input, resolve: resolve as (v: unknown) => void, reject });
  });
}

export async function mutate<T>(api: string, path: string, input: unknown): Promise<T> {
  let body: Envelope;
  try {
    const res = await fetch(`${api}/trpc/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(input),
    });
    body = await res.json();
  } catch {
    throw unreachable();
  }
  return unwrap(body) as T;
}

const products = new Map<string, Promise<Product>>();

/** One product, fetched once per page however many elements show it. */
export function getProduct(api: string, productId: string): Promise<Product> {
  const key = `${api} ${productId}`;
  let found = products.get(key);
  if (!found) {
    found = query<Product>(api, 'products.get', { productId });
    products.set(key, found);
    // A failure is not remembered, so the next element (or a retry) asks again.
    found.catch(() => products.delete(key));
  }
  return found;
}

/** Seeds the cache with a product already in hand (the shoppable video has them all). */
export function primeProduct(api: string, product: Product) {
  products.set(`${api} ${product.id}`, Promise.resolve(product));
}
