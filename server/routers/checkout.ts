import { z } from 'zod';
import { clipUrlSchema } from '../clips/store';
import { clientIdSchema } from '../messages/schemas';
import { productIdSchema } from '../payments/catalog';
import { MAX_LINES, MAX_QUANTITY, startCheckout } from '../payments/start-checkout';
import { publicProcedure, router } from '../trpc';

const quantitySchema = z
  .number({ message: `quantity must be a whole number from 1 to ${MAX_QUANTITY}` })
  .int(`quantity must be a whole number from 1 to ${MAX_QUANTITY}`)
  .min(1, `quantity must be a whole number from 1 to ${MAX_QUANTITY}`)
  .max(MAX_QUANTITY, `quantity must be a whole number from 1 to ${MAX_QUANTITY}`);

/** The site a widget runs on, kept as its origin only (scheme, host, port). */
const widgetOriginSchema = z
  .url({ protocol: /^https?$/, message: 'source.widget must be the http(s) address of the site' })
  .max(2048)
  .transform((value) => new URL(value).origin);

/**
 * Prices and currencies are not part of the input: whatever a client adds is dropped by the
 * schema, and every amount comes from the database.
 */
const checkoutInput = z.object({
  items: z
    .array(z.object({ productId: productIdSchema, quantity: quantitySchema }))
    .min(1, 'A checkout needs at least one item')
    .max(MAX_LINES, `A checkout can hold at most ${MAX_LINES} different products`),
  source: z
    .object({
      /** The clip the buyer was watching (canonicalized). */
      url: clipUrlSchema.optional(),
      /** The group the product was shared in; kept only when the buyer is a member. */
      groupId: z.uuid('source.groupId must be a group id').optional(),
      /** The brand site that hosts the widget. */
      widget: widgetOriginSchema.optional(),
    })
    .default({}),
  /** Names this checkout attempt: retrying with the same clientId returns the same order. */
  clientId: clientIdSchema.optional(),
  /**
   * The page to send the buyer back to from the success and cancel pages: it must be on one of
   * the brand's allowedOrigins (BAD_REQUEST otherwise), so Kith never redirects elsewhere.
   */
  returnUrl: z
    .url({ protocol: /^https?$/, message: 'returnUrl must be an http(s) address' })
    .max(2048, 'returnUrl can be at most 2048 characters')
    .optional(),
});

export const checkoutRouter = router({
  /**
   * Public (a signed-in buyer is optional), limited per client address and per buyer. Prices come from the database; the order is
   * written only once Stripe has made the Checkout Session, so a Stripe error or timeout leaves
   * no order behind and the client may simply try again.
   */
  create: publicProcedure
    .input(checkoutInput)
    .mutation(({ ctx, input }) => startCheckout(ctx, ctx.user?.id ?? null, ctx.ip, input)),
});
