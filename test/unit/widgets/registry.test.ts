import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = path.resolve(import.meta.dirname, '../../../widgets');
const read = (file: string) => readFileSync(path.join(dir, file), 'utf8');

describe('the list of elements', () => {
  const files = readdirSync(dir)
    .filter((f) => /^kith-[a-z-]+\.ts$/.test(f) && f !== 'kith-element.ts')
    .map((f) => f.replace(/\.ts$/, ''))
    .sort();

  it('has one file per element, each defining the element it is named after', () => {
    expect(files).toEqual([
      'kith-cart',
      'kith-product-card',
      'kith-share-button',
      'kith-shop-button',
      'kith-shoppable-video',
    ]);
    for (const tag of files) expect(read(`${tag}.ts`)).toContain(`customElements.define('${tag}'`);
  });

  it('agrees with the loader and the docs', () => {
    const loader = read('kith.ts');
    const docs = read('README.md');
    for (const tag of files) {
      expect(loader).toContain(`'${tag}': () => import('./${tag}')`);
      expect(docs).toContain(`\`<${tag}>\``);
    }
  });
});
