import type { RouteHandler } from '../app';
import type { Deps } from '../deps';
import { paymentPagesRoute } from './pages';
import { stripeWebhookRoute } from './webhook';

/** The HTTP routes payments add to the server: the Stripe webhook and the return pages. */
export function paymentRoutes(deps: Deps): RouteHandler[] {
  return [stripeWebhookRoute(deps), paymentPagesRoute(deps)];
}
