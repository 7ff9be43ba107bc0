/**
 * Money, the one copy: the currencies products may be priced in and how an amount in integer
 * minor units reads. Imported by the widgets, the brand console, the extension's overlay and the
 * server (its validation and its own HTML pages), so every part writes a price the same way.
 * Dependency-free on purpose (shared/ imports nothing from the parts); the widgets bundle only
 * what they use of it.
 */

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

const formats = new Map<string, Intl.NumberFormat | null>();

/** Intl's currency format for a locale (an invalid locale falls back to the default one). */
function formatter(currency: string, locale?: string): Intl.NumberFormat | null {
  const key = `${locale ?? ''}|${currency}`;
  let format = formats.get(key);
  if (format === undefined) {
    format = null;
    for (const tag of [locale, undefined])
      try {
        format = new Intl.NumberFormat(tag, { style: 'currency', currency });
        break;
      } catch {
        // An invalid locale: try the default one. An invalid currency fails both: null.
      }
    formats.set(key, format);
  }
  return format;
}

/** Minor units per major unit of a currency as a power of ten: 2 (cents), 0 for JPY. */
export function minorDigits(currency: string): number {
  return formatter(currency, 'en')?.resolvedOptions().maximumFractionDigits ?? 2;
}

/**
 * Integer minor units as a price: `formatPrice(2500, 'EUR', 'de-DE')` → "25,00 €",
 * `formatPrice(500, 'JPY', 'ja-JP')` → "￥500"; no locale: the reader's. The currency's own
 * number of decimals (ISO 4217, as Intl knows it) says how many minor units make one major unit.
 */
export function formatPrice(cents: number, currency: string, locale?: string): string {
  const format = formatter(currency, locale);
  if (!format) return `${(cents / 100).toFixed(2)} ${currency}`;
  return format.format(cents / 10 ** (format.resolvedOptions().maximumFractionDigits ?? 2));
}
