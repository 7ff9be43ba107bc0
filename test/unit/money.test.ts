import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatPrice as overlayPrice } from '../../extension/ui/shop-api';
import { formatMoney } from '../../server/payments/money';
import { CURRENCIES, formatPrice } from '../../shared/money';
import { minorDigits, money, parsePrice } from '../../widgets/console/api';

const root = path.resolve(import.meta.dirname, '../..');

describe('one way to write a price', () => {
  it.each([
    [1999, 'USD', 'en', '$19.99'],
    [2500, 'EUR', 'de-DE', '25,00\u00a0€'],
    [500, 'JPY', 'en', '¥500'],
    [500, 'JPY', 'ja-JP', '￥500'],
    [1250, 'GBP', 'not a locale!', formatPrice(1250, 'GBP')],
  ])('%i minor units of %s in %s read %s', (cents, currency, locale, expected) => {
    expect(formatPrice(cents, currency, locale)).toBe(expected);
    expect(overlayPrice(cents, currency, locale)).toBe(expected);
  });

  it('the server, the console and the overlay write the same price', () => {
    for (const currency of CURRENCIES) {
      expect(formatMoney(123456, currency.toLowerCase())).toBe(formatPrice(123456, currency, 'en'));
      expect(money(123456, currency)).toBe(formatPrice(123456, currency));
    }
  });

  it('knows how many minor units make a major one', () => {
    expect(minorDigits('USD')).toBe(2);
    expect(minorDigits('JPY')).toBe(0);
    expect(parsePrice('19.99', 'EUR')).toBe(1999);
    expect(parsePrice('500', 'JPY')).toBe(500);
  });

  it('a currency Intl does not know still reads as an amount and its code', () => {
    expect(formatPrice(1999, 'XQ1')).toBe('19.99 XQ1');
  });

  it('the currency list and the price format live in one module that every part imports', () => {
    const copies: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (/\.tsx?$/.test(entry.name)) {
          const code = readFileSync(path.join(root, file), 'utf8');
          if (/'BRL'|new Intl\.NumberFormat\([^)]*currency/.test(code)) copies.push(file);
        }
      }
    };
    for (const dir of ['shared', 'server', 'extension', 'widgets']) walk(dir);
    expect(copies).toEqual(['shared/money.ts']);
  });
});
