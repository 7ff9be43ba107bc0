import { describe, expect, it } from 'vitest';
import {
  formatPrice,
  inRange,
  newClientId,
  openInNewTab,
  safeImage,
} from '../../../extension/ui/shop-api';

describe('overlay shop helpers', () => {
  it('formats minor units in the currency’s own digits', () => {
    expect(formatPrice(1250, 'USD', 'en-US')).toBe('$12.50');
    expect(formatPrice(1250, 'EUR', 'de-DE')).toBe('12,50\u00a0€');
    expect(formatPrice(500, 'JPY', 'en-US')).toBe('¥500');
  });

  it('shows a tag inside its range, and a tag without one always', () => {
    const open = { fromSeconds: null, toSeconds: null };
    const range = { fromSeconds: 30, toSeconds: 40 };
    expect(inRange(open, 0)).toBe(true);
    expect(inRange(range, 29)).toBe(false);
    expect(inRange(range, 30)).toBe(true);
    expect(inRange(range, 40)).toBe(true);
    expect(inRange(range, 41)).toBe(false);
    expect(inRange({ fromSeconds: 5, toSeconds: null }, 500)).toBe(true);
  });

  it('keeps only https images', () => {
    expect(safeImage('https://cdn.example/a.png')).toBe('https://cdn.example/a.png');
    expect(safeImage('http://cdn.example/a.png')).toBeNull();
    expect(safeImage('javascript:alert(1)')).toBeNull();
    expect(safeImage('data:image/png;base64,AAAA')).toBeNull();
    expect(safeImage('not a url')).toBeNull();
    expect(safeImage(null)).toBeNull();
  });

  it('makes client ids the server accepts', () => {
    const id = newClientId('buy');
    expect(id).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
    expect(newClientId('buy')).not.toBe(id);
  });

  it('reports a blocked window, so the card offers a link instead', () => {
    const blocked = { open: () => null } as unknown as Window;
    const opened = { open: () => ({ opener: {} }) } as unknown as Window;
    expect(openInNewTab('https://checkout.example/s', blocked)).toBe(false);
    expect(openInNewTab('https://checkout.example/s', opened)).toBe(true);
  });
});
