import { z } from 'zod';
import { CURRENCIES, formatPrice } from '../../shared/money';

// The currencies and how a price reads live in one module shared with the widgets, the console
// and the extension (shared/money.ts).
export { CURRENCIES, type Currency } from '../../shared/money';

/** Stripe's largest charge is 99,999,999 minor units in most currencies. */
export const MAX_AMOUNT = 99_999_999;

export const currencySchema = z
  .string()
  .trim()
  .transform((v) => v.toUpperCase())
  .pipe(
    z.enum(CURRENCIES, {
      message: `Currency must be an ISO code among ${CURRENCIES.join(', ')}`,
    }),
  );

export const priceCentsSchema = z
  .number({ message: 'priceCents must be a whole number of minor units (e.g. 1999 for 19.99)' })
  .int('priceCents must be a whole number of minor units (e.g. 1999 for 19.99)')
  .min(1, 'priceCents must be more than 0')
  .max(MAX_AMOUNT, `priceCents can be at most ${MAX_AMOUNT}`);

/** The platform fee on `amount` at `bps` basis points, rounded down (in the brand's favour). */
export function platformFee(amount: number, bps: number): number {
  return Math.floor((amount * bps) / 10_000);
}

/** "€19.99", "¥500": for the server's own HTML pages (written in English). */
export function formatMoney(amount: number, currency: string): string {
  return formatPrice(amount, currency.toUpperCase(), 'en');
}

/**
 * How an order's total divides: what the platform keeps, what the creator earns (0 without
 * one) and what the brand gets.
 */
export function orderSplit(order: { totalCents: number; feeCents: number; creatorCents: number }) {
  return {
    totalCents: order.totalCents,
    platformFeeCents: order.feeCents,
    creatorCents: order.creatorCents,
    brandCents: order.totalCents - order.feeCents - order.creatorCents,
  };
}
