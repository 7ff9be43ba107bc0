// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import {
  cleanTitle,
  httpsUrl,
  MAX_TITLE,
  metaForClip,
  nearest,
  pageMeta,
} from '../../../extension/lib/page-meta';

afterEach(() => {
  document.head.innerHTML = '';
  document.body.innerHTML = '';
});

describe('cleanTitle', () => {
  it.each([
    ['  Sunset\n\n over   the harbour\t', 'Sunset over the harbour'],
    ['', null],
    ['   \n ', null],
    [null, null],
    [undefined, null],
    ['<script>alert(1)</script>', '<script>alert(1)</script>'],
  ])('%j becomes %j', (text, title) => {
    expect(cleanTitle(text)).toBe(title);
  });

  it('cuts long captions to what the server keeps, with an ellipsis', () => {
    const title = cleanTitle('word '.repeat(100))!;
    expect(title.length).toBeLessThanOrEqual(MAX_TITLE);
    expect(title.endsWith('word…')).toBe(true);
  });

  it('never cuts an emoji in half', () => {
    const title = cleanTitle(`${'a'.repeat(MAX_TITLE - 2)}🛹🛹🛹`)!;
    expect(title).toBe(`${'a'.repeat(MAX_TITLE - 2)}…`);
    expect(title.length).toBeLessThanOrEqual(MAX_TITLE);
  });
});

describe('httpsUrl', () => {
  it.each([
    ['https://cdn.example.com/a.jpg', 'https://cdn.example.com/a.jpg'],
    ['  https://cdn.example.com/a b.jpg ', 'https://cdn.example.com/a%20b.jpg'],
    ['//cdn.example.com/a.jpg', 'https://cdn.example.com/a.jpg'],
    ['http://cdn.example.com/a.jpg', null],
    ['data:image/png;base64,AAAA', null],
    ['javascript:alert(1)', null],
    [`https://cdn.example.com/${'a'.repeat(2100)}`, null],
    ['', null],
  ])('%s → %s', (value, url) => {
    expect(httpsUrl(value, 'https://www.example.com/page')).toBe(url);
  });
});

describe('page metadata', () => {
  it('reads the canonical link and og tags', () => {
    document.head.innerHTML = `
      <link rel="canonical" href="https://www.example.com/a">
      <meta property="og:url" content="https://www.example.com/a?x=1">
      <meta property="og:title" content=" A  title ">
      <meta name="og:image" content="https://cdn.example.com/a.jpg">`;
    expect(pageMeta(document)).toEqual({
      canonical: 'https://www.example.com/a',
      ogUrl: 'https://www.example.com/a?x=1',
      title: 'A title',
      image: 'https://cdn.example.com/a.jpg',
    });
  });

  it('gives og tags only when the canonical address names the clip on screen', () => {
    document.head.innerHTML = `
      <link rel="canonical" href="https://www.example.com/clip/1">
      <meta property="og:title" content="Clip one">`;
    const named = (id: string) => (url: URL) => url.pathname === `/clip/${id}`;
    expect(metaForClip(document, named('1'))).toEqual({ title: 'Clip one', image: null });
    expect(metaForClip(document, named('2'))).toEqual({ title: null, image: null });
  });

  it('finds the caption beside a player, not a farther one', () => {
    document.body.innerHTML = `
      <section><div id="p1"><video></video></div><h1 class="desc">one</h1></section>
      <section><div id="p2"><video></video></div><h1 class="desc">two</h1></section>`;
    expect(nearest(document.getElementById('p2')!, '.desc')?.textContent).toBe('two');
    expect(nearest(document.getElementById('p2')!, '.missing')).toBeNull();
  });
});
