import type { Product } from './api';

/**
 * One cart per brand, shared by every Kith element on the page and kept across page loads in
 * localStorage (`kith:cart:<brandId>`), so the shop button on one page and the product card on
 * the next fill the same cart. Other tabs follow through the `storage` event. A checkout holds
 * one brand's products, so a cart never mixes brands.
 */

export interface CartLine {
  productId: string;
  quantity: number;
  /** Shown in the drawer; checkout always prices from the server. */
  title: string;
  priceCents: number;
  currency: string;
  imageUrl: string | null;
  /** Units left when added (null: not tracked). */
  stock: number | null;
}

export interface Cart {
  brandId: string;
  brandName: string;
  /** The Kith server that sells these products. */
  api: string;
  lines: CartLine[];
}

/** As checkout.create allows: quantity per product and lines per checkout. */
export const MAX_QUANTITY = 10;
export const MAX_LINES = 20;
export const CART_PREFIX = 'kith:cart:';

// Where localStorage is refused (sandboxed frames, some private modes) the cart lives in memory.
const memory = new Map<string, string>();
const listeners = new Set<() => void>();

function storage(): Storage | null {
  try {
    return localStorage;
  } catch {
    return null;
  }
}

function keys(): string[] {
  const store = storage();
  if (!store) return [...memory.keys()];
  const out: string[] = [];
  for (let i = 0; i < store.length; i++) {
    const key = store.key(i);
    if (key?.startsWith(CART_PREFIX)) out.push(key);
  }
  return out;
}

function parse(raw: string | null): Cart | null {
  try {
    const cart = JSON.parse(raw ?? '') as Cart;
    if (typeof cart?.brandId !== 'string' || !Array.isArray(cart.lines)) return null;
    cart.lines = cart.lines.filter(
      (l) =>
        typeof l?.productId === 'string' &&
        Number.isInteger(l.quantity) &&
        l.quantity > 0 &&
        Number.isInteger(l.priceCents),
    );
    return cart.lines.length ? cart : null;
  } catch {
    return null;
  }
}

export function cartFor(brandId: string): Cart | null {
  const key = CART_PREFIX + brandId;
  const store = storage();
  return parse(store ? store.getItem(key) : (memory.get(key) ?? null));
}

/** Every non-empty cart, by brand name. */
export function allCarts(): Cart[] {
  return keys()
    .map((key) => cartFor(key.slice(CART_PREFIX.length)))
    .filter((c): c is Cart => c !== null)
    .sort((a, b) => a.brandName.localeCompare(b.brandName));
}

function save(cart: Cart) {
  const key = CART_PREFIX + cart.brandId;
  const value = cart.lines.length ? JSON.stringify(cart) : null;
  const store = storage();
  try {
    if (!store) throw 0;
    if (value) store.setItem(key, value);
    else store.removeItem(key);
  } catch {
    if (value) memory.set(key, value);
    else memory.delete(key);
  }
  for (const listener of listeners) listener();
}

function limit(line: CartLine): number {
  return Math.min(MAX_QUANTITY, line.stock ?? MAX_QUANTITY);
}

/** Adds `quantity` of a product to its brand's cart (capped by stock and per-product limit). */
export function addToCart(api: string, product: Product, quantity = 1): Cart {
  const cart = cartFor(product.brandId) ?? {
    brandId: product.brandId,
    brandName: product.brand.name,
    api,
    lines: [],
  };
  cart.api = api;
  cart.brandName = product.brand.name;
  let line = cart.lines.find((l) => l.productId === product.id);
  if (!line) {
    if (cart.lines.length >= MAX_LINES) return cart;
    line = { productId: product.id, quantity: 0 } as CartLine;
    cart.lines.push(line);
  }
  Object.assign(line, {
    title: product.title,
    priceCents: product.priceCents,
    currency: product.currency,
    imageUrl: product.imageUrl,
    stock: product.stock,
  });
  line.quantity = Math.min(limit(line), line.quantity + quantity);
  save(cart);
  return cart;
}

/** Sets a line's quantity; 0 removes it. */
export function setQuantity(brandId: string, productId: string, quantity: number) {
  const cart = cartFor(brandId);
  if (!cart) return;
  const line = cart.lines.find((l) => l.productId === productId);
  if (!line) return;
  line.quantity = Math.max(0, Math.min(limit(line), quantity));
  cart.lines = cart.lines.filter((l) => l.quantity > 0);
  save(cart);
}

/**
 * Brings the lines up to date with the catalog: `fresh` gives the product as the server has it
 * now, or null for one no longer for sale (its line is dropped). Returns the dropped titles.
 */
export function refreshCart(
  brandId: string,
  fresh: (productId: string) => Product | null | undefined,
) {
  const cart = cartFor(brandId);
  if (!cart) return [];
  const dropped: string[] = [];
  cart.lines = cart.lines.filter((line) => {
    const product = fresh(line.productId);
    if (product === undefined) return true;
    if (product === null || !product.inStock) {
      dropped.push(line.title);
      return false;
    }
    Object.assign(line, {
      title: product.title,
      priceCents: product.priceCents,
      currency: product.currency,
      imageUrl: product.imageUrl,
      stock: product.stock,
    });
    line.quantity = Math.min(line.quantity, limit(line));
    return true;
  });
  save(cart);
  return dropped;
}

export function clearCart(brandId: string) {
  save({ brandId, brandName: '', api: '', lines: [] });
}

/** Calls `listener` whenever any cart changes, here or in another tab, until `signal` aborts. */
export function onCartChange(listener: () => void, signal: AbortSignal) {
  listeners.add(listener);
  signal.addEventListener('abort', () => listeners.delete(listener));
}

addEventListener('storage', (event) => {
  if (!event.key || event.key.startsWith(CART_PREFIX)) for (const listener of listeners) listener();
});

export function itemCount(carts: Cart[]): number {
  return carts.reduce((n, c) => n + c.lines.reduce((m, l) => m + l.quantity, 0), 0);
}
