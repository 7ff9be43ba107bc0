import { type CheckoutInput, type CheckoutResult, mutate } from './api';
import type { KithElement } from './kith-element';

export type CheckoutItems = CheckoutInput['items'];

/**
 * Starts Stripe Checkout for `items` and goes there. The order records the embedding site (its
 * origin only) and the clip, if any, as its attribution. `kith:checkout` fires first, carrying
 * `{ orderId, checkoutUrl, items }`; a page that cancels it navigates (or not) by itself.
 * Throws a KithError with the server's own words ("payments are not configured…", "sold out").
 */
export async function startCheckout(
  el: KithElement,
  api: string,
  items: CheckoutItems,
  clip?: string | null,
): Promise<CheckoutResult> {
  const source: NonNullable<CheckoutInput['source']> = {};
  // A file:// page has no origin to attribute the sale to.
  if (/^https?:$/.test(location.protocol)) source.widget = location.origin;
  if (clip) source.url = clip;
  const result = await mutate<CheckoutResult>(api, 'checkout.create', { items, source });
  if (el.emit('kith:checkout', { ...result, items }, true)) location.assign(result.checkoutUrl);
  return result;
}
