import { describe, expect, it } from 'vitest';
import { BUDGET_BYTES, measureWidgets } from '../bench/widget-size';

describe('the widget size budget', () => {
  it('a page with one shop button loads at most 8 KB of gzipped script', async () => {
    const sizes = await measureWidgets();
    const files = sizes.kith.files.map((f) => `${f.file} ${f.gzip} B`).join(', ');
    console.log(
      `kith shop button: ${sizes.kith.gzip} B gzip (${files}); Shopify Buy Button: ${sizes.shopify.gzip} B; ratio ${sizes.ratio.toFixed(1)}×`,
    );
    expect(sizes.kith.files.map((f) => f.file)).toContain('kith.js');
    expect(sizes.kith.files.some((f) => f.file.startsWith('kith-shop-button-'))).toBe(true);
    // Nothing a shop button does not need: no other element's code.
    expect(
      sizes.kith.files.some((f) =>
        /^kith-(cart|product-card|shoppable-video|share-button)-/.test(f.file),
      ),
    ).toBe(false);
    expect(sizes.kith.gzip, `over budget: ${files}`).toBeLessThanOrEqual(BUDGET_BYTES);
  });
});
