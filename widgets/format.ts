/** The locale to format for: the nearest `lang` (the element's own, then the page's), else the browser's. */
export function localeOf(element: Element): string | undefined {
  return element.closest('[lang]')?.getAttribute('lang') || navigator.language || undefined;
}

function formatter(currency: string, locale?: string): Intl.NumberFormat {
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency });
  } catch {
    // An invalid `lang` value: the browser's own locale still formats the currency.
    return new Intl.NumberFormat(undefined, { style: 'currency', currency });
  }
}

/**
 * Integer minor units as a price: `formatPrice(2500, 'EUR', 'de-DE')` → "25,00 €",
 * `formatPrice(500, 'JPY', 'ja-JP')` → "￥500". The currency's own number of decimals (ISO 4217,
 * as Intl knows it) says how many minor units make one major unit, as on the server.
 */
export function formatPrice(cents: number, currency: string, locale?: string): string {
  const format = formatter(currency, locale);
  return format.format(cents / 10 ** (format.resolvedOptions().maximumFractionDigits ?? 2));
}
