import { type RouterInputs, type RouterOutputs, sendMessage } from '../lib/protocol';
import { randomId } from '../lib/random-id';
import type { ClipInfo } from '../sites/types';
import type { KithClient } from './client';

/** A product as `products.get` and `shop.forClip` describe it. */
export type ShopProduct = RouterOutputs['products']['get'];
/** A product tagged in a clip, with the part of the clip it shows in. */
export type TaggedProduct = RouterOutputs['shop']['forClip']['products'][number];

/** Hex digits of the clip's key hash a shop lookup sends: 65,536 buckets, like Safe Browsing. */
export const CLIP_PREFIX_DIGITS = 4;
/**
 * Pages of a crowded bucket read at most (200 products each): beyond that the clip shows what was
 * found. Every clip in the bucket is paged the same way, so the requests do not depend on which
 * clip is on screen.
 */
const MAX_BUCKET_PAGES = 25;

/**
 * Hex SHA-256 of `site:clipId`, the clip's key hash as the server stores it. The page's own
 * `crypto.subtle` where it has one; on plain-http pages (no secure context) the background,
 * which always is one, computes it.
 */
export async function clipKeyHash(
  client: Pick<KithClient, 'hash'>,
  clip: Pick<ClipInfo, 'site' | 'clipId'>,
): Promise<string> {
  const text = `${clip.site}:${clip.clipId}`;
  const subtle = globalThis.isSecureContext ? globalThis.crypto?.subtle : undefined;
  if (!subtle) return client.hash(text);
  const digest = await subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The products tagged in a clip, found without telling the server which clip: it is asked for
 * every tagged product under a 4-digit prefix of the clip's key hash (`shop.forClipPrefix`), and
 * the exact match is kept here. A bucket with more products than one answer holds is read page
 * by page (`after`, a full hash the server itself sent), always to its end, so neither a longer
 * prefix nor where the paging stops tells the server anything about the clip.
 */
export async function productsForClip(
  client: Pick<KithClient, 'hash' | 'query'>,
  clip: Pick<ClipInfo, 'site' | 'clipId'>,
): Promise<TaggedProduct[]> {
  const hash = await clipKeyHash(client, clip);
  const prefix = hash.slice(0, CLIP_PREFIX_DIGITS);
  const found: TaggedProduct[] = [];
  let after: string | undefined;
  for (let page = 0; page < MAX_BUCKET_PAGES; page++) {
    const answer = await client.query('shop.forClipPrefix', after ? { prefix, after } : { prefix });
    const hashes = answer.products.map((p) => p.clipHash);
    const last = hashes.at(-1);
    // The last clip of a cut-off page may continue on the next one: restart the next page at it
    // (after the clip before it) and keep its products from that page, not this one.
    const before = last === undefined ? undefined : hashes.filter((h) => h < last).at(-1);
    const next = answer.truncated ? (before ?? last) : undefined;
    for (const { clipHash, ...product } of answer.products) {
      if (clipHash === hash && (!next || clipHash <= next)) found.push(product);
    }
    if (!next || (after !== undefined && next <= after)) break;
    after = next;
  }
  return found;
}

/** The shop's mutations the overlay runs: checkout, brand questions. */
interface ShopMutations {
  'checkout.create': [RouterInputs['checkout']['create'], RouterOutputs['checkout']['create']];
  'brands.ask': [RouterInputs['brands']['ask'], RouterOutputs['brands']['ask']];
}

/**
 * Runs one of the shop's mutations through the background (`api.call`), which sends it with the
 * user's token. A plain message rather than a tRPC client keeps the content script small; a
 * refusal rejects with the server's words as the error's message, as the popup's client does.
 */
export function shopMutate<P extends keyof ShopMutations>(
  path: P,
  input: ShopMutations[P][0],
): Promise<ShopMutations[P][1]> {
  return sendMessage('api.call', { path, type: 'mutation', input }) as Promise<ShopMutations[P][1]>;
}

/** A price in minor units, in its currency, the way the reader's locale writes money. */
export { formatPrice } from '../../shared/money';

/** Only https images are shown; anything else (http, data:, javascript:) is dropped. */
export function safeImage(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}

/** Whether a tag shows at this moment of the clip (a missing end means to the end). */
export function inRange(
  tag: { fromSeconds: number | null; toSeconds: number | null },
  seconds: number,
): boolean {
  if (tag.fromSeconds !== null && seconds < tag.fromSeconds) return false;
  if (tag.toSeconds !== null && seconds > tag.toSeconds) return false;
  return true;
}

/** A fresh id that makes a send idempotent on the server. */
export function newClientId(prefix = 'sh'): string {
  return `${prefix}_${randomId().replace(/-/g, '')}`;
}

/**
 * Opens a checkout page in a new tab. Returns false when the browser blocked the window (the
 * caller then offers a plain link the user can click).
 */
export function openInNewTab(url: string, win: Window = window): boolean {
  try {
    const opened = win.open(url, '_blank');
    if (!opened) return false;
    try {
      opened.opener = null;
    } catch {
      // Cross-origin already: nothing to cut.
    }
    return true;
  } catch {
    return false;
  }
}

export function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message || 'Something went wrong';
}
