import { signal } from '@preact/signals';
import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '../../server/router';
import { minorDigits } from '../../shared/money';

/**
 * The console's (and the share page's) client: the typed tRPC client over HTTP on this origin,
 * with the session token kept in this origin's localStorage.
 */

export type Outputs = inferRouterOutputs<AppRouter>;
export type Brand = Outputs['brands']['mine'][number];
export type Product = Outputs['products']['list'][number];
export type Tag = Outputs['shop']['tags'][number];
export type Order = Outputs['brands']['orders']['orders'][number];
export type Thread = Outputs['brands']['threads'][number];
export type Message = Outputs['messages']['list']['messages'][number];
export type User = Outputs['auth']['me'];

const TOKEN_KEY = 'kith:token';

function stored(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export const token = signal<string | null>(stored());

export function setToken(value: string | null) {
  token.value = value;
  try {
    if (value) localStorage.setItem(TOKEN_KEY, value);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {}
}

const DEVICE_KEY = 'kith:deviceTokens';

function deviceTokens(): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(DEVICE_KEY) ?? '{}');
    const tokens: Record<string, string> = {};
    if (parsed && typeof parsed === 'object')
      for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') tokens[k] = v;
    return tokens;
  } catch {
    return {};
  }
}

/**
 * The device token this browser got when it last signed in as `handle` here: sent back with
 * the next sign-in, it lets the owner in while guessers have the account held back.
 */
export function deviceTokenFor(handle: string): string | undefined {
  return deviceTokens()[handle.trim().toLowerCase()];
}

/** Keeps the device token a sign-in, sign-up or password change answered with (kept on sign-out). */
export function keepDeviceToken(handle: string, value: string | null | undefined) {
  if (!value) return;
  const tokens = deviceTokens();
  const key = handle.trim().toLowerCase();
  delete tokens[key];
  tokens[key] = value;
  const keys = Object.keys(tokens);
  for (const old of keys.slice(0, Math.max(0, keys.length - 20))) delete tokens[old];
  try {
    localStorage.setItem(DEVICE_KEY, JSON.stringify(tokens));
  } catch {}
}

export const api = createTRPCClient<AppRouter>({
  links: [
    httpBatchLink({
      url: '/trpc',
      headers: () => (token.value ? { authorization: `Bearer ${token.value}` } : {}),
    }),
  ],
});

/** The server's own words for a failure, or what to do when it could not be reached. */
export function errorText(error: unknown): string {
  if (error instanceof TRPCClientError) {
    if (error.data?.code === 'UNAUTHORIZED') setToken(null);
    return error.message;
  }
  return 'Could not reach Kith. Check your connection and try again.';
}

/** A random id for idempotent sends. */
export function clientId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `c${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

// Money lives in one module (shared/money.ts); the console's names for it.
export { CURRENCIES, formatPrice as money, minorDigits } from '../../shared/money';

/** "19.99" in a currency → 1999 minor units, or null if it is not a price. */
export function parsePrice(text: string, currency: string): number | null {
  const clean = text.trim().replace(',', '.');
  if (!/^\d+(\.\d+)?$/.test(clean)) return null;
  const digits = minorDigits(currency);
  const cents = Math.round(Number(clean) * 10 ** digits);
  return cents > 0 ? cents : null;
}
