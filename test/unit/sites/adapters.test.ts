// @vitest-environment happy-dom
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { clipFromUrl } from '../../../extension/sites/generic';
import { adapterFor, adapters } from '../../../extension/sites/index';
import type { SiteAdapter } from '../../../extension/sites/types';
import { ClipUrlError, resolveClipUrl } from '../../../server/clips/resolve';
import { box, FIXTURES, type FixtureName, loadFixture, stubBoxes } from './fixture';

const SITES = join(import.meta.dirname, '../../../extension/sites');
const siteFiles = readdirSync(SITES)
  .filter((file) => file.endsWith('.ts') && file !== 'types.ts' && file !== 'index.ts')
  .map((file) => basename(file, '.ts'))
  .sort();

/** The block of real test URLs at the bottom of a site file. */
function testUrls(name: string): string[] {
  const source = readFileSync(join(SITES, `${name}.ts`), 'utf8');
  const block = /\/\*\s*\nTest URLs\s*\n([\s\S]*?)\*\/\s*$/.exec(source)?.[1] ?? '';
  return block
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
}

function serverClip(href: string) {
  try {
    return resolveClipUrl(href);
  } catch (error) {
    if (error instanceof ClipUrlError) return null;
    throw error;
  }
}

afterEach(() => {
  vi.restoreAllMocks();
  document.head.innerHTML = '';
  document.body.innerHTML = '';
});

describe('the adapter list', () => {
  it('registers every file in extension/sites/, and nothing else', () => {
    expect(adapters.map((adapter) => adapter.name).sort()).toEqual(siteFiles);
  });

  it.each(siteFiles)('%s.ts exports the adapter registered under its name', async (file) => {
    const module: Record<string, unknown> = await import(`../../../extension/sites/${file}.ts`);
    const exported = Object.values(module).filter(
      (value): value is SiteAdapter =>
        typeof value === 'object' && value !== null && 'matches' in value && 'watch' in value,
    );
    expect(exported.map((adapter) => adapter.name)).toEqual([file]);
    expect(adapters).toContain(exported[0]);
  });

  it('asks the generic adapter last, as the fallback', () => {
    expect(adapters.at(-1)?.name).toBe('generic');
    expect(adapterFor(new URL('https://www.youtube.com/')).name).toBe('generic');
  });

  it.each(siteFiles)('%s.ts ends with real test URLs that it handles', (file) => {
    const urls = testUrls(file);
    expect(urls.length).toBeGreaterThanOrEqual(4);
    for (const href of urls) {
      const url = new URL(href);
      expect(adapterFor(url).name, href).toBe(file);
      expect(adapterFor(url).matches(url), href).toBe(true);
    }
  });
});

describe('canonical clips agree with the server', () => {
  const pageUrls = [
    ...siteFiles.flatMap(testUrls),
    'https://www.tiktok.com/@Scout2015/video/6718335390845095173?is_from_webapp=1&sender_device=pc',
    'https://www.tiktok.com/%40scout2015/video/6718335390845095173/',
    'https://www.tiktok.com./@scout2015/video/6718335390845095173',
    'https://www.youtube.com/watch?v=dQw4w9WgXcQ&list=RD&t=42s',
    'https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ',
    'https://youtu.be/dQw4w9WgXcQ?si=abc',
    'https://www.instagram.com/Scout2015/p/C1a2B3c4D5e/?img_index=1',
    'https://www.instagram.com/REELS/C1a2B3c4D5e',
    'https://www.example.com/a%2fb/?q=one%20two&utm_source=x&fbclid=y#frag',
    'http://news.example.co.uk:8080/video?id=7&gclid=1',
  ];

  it.each(pageUrls)('%s', (href) => {
    const ours = clipFromUrl(new URL(href));
    const server = serverClip(href);
    if (ours === null) {
      // The feeds and home pages: the server would take them for plain web pages.
      expect(server?.site ?? 'web').toBe('web');
      return;
    }
    expect(ours).toEqual(server);
    expect(serverClip(ours.url)).toEqual(ours);
  });

  it('for any address the extension names a clip for, the server names the same one', () => {
    const host = fc.constantFrom(
      'www.tiktok.com',
      'm.tiktok.com',
      'tiktok.com',
      'vm.tiktok.com',
      'www.youtube.com',
      'm.youtube.com',
      'youtu.be',
      'www.youtube-nocookie.com',
      'www.instagram.com',
      'instagram.com',
      'www.example.com',
      'EXAMPLE.co.uk.',
      '192.168.0.1',
      'localhost',
      'under_score.example.com',
    );
    const segment = fc.oneof(
      fc.constantFrom(
        '@scout2015',
        '@Food.Lab_',
        '@bad!handle',
        'video',
        'photo',
        'v',
        'embed',
        'v2',
        'shorts',
        'watch',
        'reel',
        'reels',
        'p',
        'captioned',
        'videoseries',
        '6718335390845095173',
        '6718335390845095173.html',
        '0123',
        'dQw4w9WgXcQ',
        'C1a2B3c4D5e',
        'abc',
        '%40scout2015',
        'a%2fb',
        '%zz',
      ),
      fc.stringMatching(/^[A-Za-z0-9_.~%-]{1,12}$/),
    );
    const param = fc.tuple(
      fc.constantFrom(
        'v',
        'utm_source',
        'UTM_Medium',
        'si',
        'fbclid',
        'id',
        'q',
        'ref',
        'igsh',
        '%73i',
      ),
      fc.constantFrom('', 'dQw4w9WgXcQ', 'x', 'one%20two', 'a+b'),
    );
    const address = fc
      .record({
        scheme: fc.constantFrom('https', 'http'),
        host,
        port: fc.constantFrom('', '', '', ':8080', ':443'),
        path: fc.array(segment, { maxLength: 4 }),
        slash: fc.boolean(),
        query: fc.array(param, { maxLength: 3 }),
        hash: fc.constantFrom('', '#t=30'),
      })
      .map(({ scheme, host, port, path, slash, query, hash }) => {
        const search = query.map(([k, v]) => `${k}=${v}`).join('&');
        return `${scheme}://${host}${port}/${path.join('/')}${slash && path.length ? '/' : ''}${search ? `?${search}` : ''}${hash}`;
      });
    fc.assert(
      fc.property(address, (href) => {
        const url = new URL(href);
        const ours = clipFromUrl(url);
        if (ours === null) return;
        expect(ours).toEqual(serverClip(url.href));
      }),
      { numRuns: 3000 },
    );
  });

  const fixtures: [FixtureName, string, string, (() => void)?][] = [
    [
      'tiktok-foryou',
      'https://www.tiktok.com/foryou',
      // What TikTok pushes when this item is opened.
      'https://www.tiktok.com/@Food.Lab_/video/7301234567890123452?is_from_webapp=1',
      () => {
        const items = [...document.querySelectorAll('[data-e2e="recommend-list-item-container"]')];
        stubBoxes((el) => (items.indexOf(el) === 1 ? box(0) : undefined));
      },
    ],
    [
      'tiktok-video',
      'https://www.tiktok.com/@scout2015/video/7301234567890123451?is_from_webapp=1&sender_device=pc',
      'https://www.tiktok.com/@scout2015/video/7301234567890123451?is_from_webapp=1&sender_device=pc',
    ],
    [
      'youtube-shorts',
      'https://www.youtube.com/shorts/aqz-KE-bpKQ?feature=share',
      'https://www.youtube.com/shorts/aqz-KE-bpKQ?feature=share',
    ],
    [
      'instagram-reels',
      'https://www.instagram.com/reels/C1a2B3c4D5e/',
      'https://www.instagram.com/reels/C1a2B3c4D5e/',
    ],
    [
      'generic',
      'https://www.example.com/clips/sunset-timelapse?utm_source=newsletter',
      'https://www.example.com/clips/sunset-timelapse?utm_source=newsletter',
    ],
  ];

  it.each(fixtures)('the clip on the %s fixture at %s', (name, page, shared, layOut) => {
    loadFixture(name);
    layOut?.();
    const url = new URL(page);
    const current = adapterFor(url).current(document, url);
    expect(current).not.toBeNull();
    const { site, clipId, url: canonical } = current!.clip;
    expect({ site, clipId, url: canonical }).toEqual(serverClip(shared));
    expect(serverClip(canonical)).toEqual({ site, clipId, url: canonical });
  });
});

describe('fixture pages', () => {
  const files = readdirSync(FIXTURES);
  const pages = files.filter((file) => file.endsWith('.html'));
  const readme = readFileSync(join(FIXTURES, 'README.md'), 'utf8');

  it('are all in the README mapping, and the README names no missing file', () => {
    expect(pages.sort()).toEqual([
      'generic.html',
      'instagram-reels.html',
      'tiktok-foryou.html',
      'tiktok-video.html',
      'youtube-shorts.html',
    ]);
    for (const page of pages) expect(readme).toContain(`\`${page}\``);
    for (const [, file] of readme.matchAll(/`([\w./-]+\.(?:html|js|css|webm))`/g)) {
      expect(existsSync(join(FIXTURES, file!)), file).toBe(true);
    }
  });

  it.each(pages)('%s loads under a strict CSP: no inline script, style or handler', (page) => {
    const html = readFileSync(join(FIXTURES, page), 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
    expect(html).not.toMatch(/<style\b/i);
    expect(html).not.toMatch(/\sstyle\s*=/i);
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/javascript:/i);
  });

  it.each(pages)('%s takes its assets from /__fixtures__/sites/, and they exist', (page) => {
    const html = readFileSync(join(FIXTURES, page), 'utf8');
    const assets = [
      ...html.matchAll(/<(?:script|link|video|source)\b[^>]*\b(?:src|href)="([^"]+)"/g),
    ]
      .map(([, href]) => href!)
      .filter((href) => !href.startsWith('https://'));
    expect(assets.length).toBeGreaterThan(0);
    for (const href of assets) {
      expect(href).toMatch(/^\/__fixtures__\/sites\//);
      const file = join(FIXTURES, href.slice('/__fixtures__/sites/'.length));
      expect(statSync(file).isFile(), href).toBe(true);
    }
  });

  it('play a real video file of at most 50 KB', () => {
    const media = readFileSync(join(FIXTURES, 'media/clip.webm'));
    expect(media.length).toBeLessThanOrEqual(50 * 1024);
    // The EBML magic number that starts every WebM file.
    expect([...media.subarray(0, 4)]).toEqual([0x1a, 0x45, 0xdf, 0xa3]);
  });
});
