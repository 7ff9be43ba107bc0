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
  /** The brand's own sites: on one of them, the return pages link back to this page. */
  allowedOrigins?: readonly string[],
): Promise<CheckoutResult> {
  const source: NonNullable<CheckoutInput['source']> = {};
  const web = /^https?:$/.test(location.protocol);
  // A file:// page has no origin to attribute the sale to.
  if (web) source.widget = location.origin;
  if (clip) source.url = clip;
  const back = web && allowedOrigins?.includes(location.origin);
  const returnUrl = back ? location.href.split('#')[0] : undefined;
  const result = await mutate<CheckoutResult>(api, 'checkout.create', {
    items,
    source,
    ...(returnUrl ? { returnUrl } : {}),
  });
  if (el.emit('kith:checkout', { ...result, items }, true)) location.assign(result.checkoutUrl);
  return result;
}
