import { z } from 'zod';

/**
 * Currencies a product may be priced in: ISO 4217 codes Stripe settles for Connect platforms in
 * the common markets. Amounts are always integer minor units of the currency (cents; whole yen).
 */
export const CURRENCIES = [
  'USD',
  'EUR',
  'GBP',
  'CAD',
  'AUD',
  'NZD',
  'CHF',
  'SEK',
  'NOK',
  'DKK',
  'PLN',
  'CZK',
  'JPY',
  'SGD',
  'HKD',
  'MXN',
  'BRL',
] as const;
export type Currency = (typeof CURRENCIES)[number];

const ZERO_DECIMAL = new Set<string>(['JPY']);

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

/** "€19.99", "¥500": for the server's own HTML pages. */
export function formatMoney(amount: number, currency: string): string {
  const digits = ZERO_DECIMAL.has(currency.toUpperCase()) ? 0 : 2;
  try {
    return new Intl.NumberFormat('en', {
      style: 'currency',
      currency: currency.toUpperCase(),
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    }).format(amount / 10 ** digits);
  } catch {
    return `${(amount / 10 ** digits).toFixed(digits)} ${currency.toUpperCase()}`;
  }
}
