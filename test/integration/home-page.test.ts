/**
 * The server's front door over real HTTP: `/` says what Kith is and links to the extension (the
 * built zips, or store pages when configured), the console, the demo, the privacy notice and
 * the server's status; `/privacy` is PRIVACY.md as a page; `/downloads/…` serves only the zips.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../server/app';
import { parseEnv } from '../../server/env';
import { homeRoutes } from '../../server/pages/home';
import { openTestDatabase, type TestDatabase } from '../fixtures/db';
import { makeDeps } from '../fixtures/deps';

let out: string;
let empty: string;
let database: TestDatabase;
let server: RunningServer;
let stores: RunningServer;
let bare: RunningServer;

/** The href of every link on a page. */
function links(html: string): string[] {
  return [...html.matchAll(/<a [^>]*href="([^"]*)"/g)].map((m) => m[1]!.replaceAll('&amp;', '&'));
}

beforeAll(async () => {
  out = await mkdtemp(path.join(os.tmpdir(), 'kith-home-'));
  empty = await mkdtemp(path.join(os.tmpdir(), 'kith-home-empty-'));
  await writeFile(path.join(out, 'kith-0.1.0-chrome.zip'), 'PK chrome');
  await writeFile(path.join(out, 'kith-0.1.0-firefox.zip'), 'PK firefox');
  await writeFile(path.join(out, 'kith-0.1.0-sources.zip'), 'PK sources');
  await writeFile(path.join(out, 'secret.txt'), 'not for you');
  database = await openTestDatabase('pglite');
  const deps = makeDeps(database.db);
  server = await startServer(deps, { routes: [homeRoutes(deps, { outDir: out })] });
  const withStores = makeDeps(database.db, {
    env: {
      KITH_CHROME_STORE_URL: 'https://chromewebstore.google.com/detail/kith/abc',
      KITH_FIREFOX_STORE_URL: 'https://addons.mozilla.org/firefox/addon/kith/',
    },
  });
  stores = await startServer(withStores, { routes: [homeRoutes(withStores, { outDir: out })] });
  bare = await startServer(deps, {
    routes: [homeRoutes(deps, { outDir: empty, privacyFile: path.join(empty, 'none.md') })],
  });
});

afterAll(async () => {
  await Promise.all([server?.close(), stores?.close(), bare?.close()]);
  await database?.close();
  await rm(out, { recursive: true, force: true });
  await rm(empty, { recursive: true, force: true });
});

describe('the home page', () => {
  it('tells a visitor what Kith is and links to the extension zips, console, demo, privacy and status', async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const html = await res.text();
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('short videos');
    expect(html).toContain('Running');
    expect(links(html)).toEqual(
      expect.arrayContaining([
        '/downloads/kith-0.1.0-chrome.zip',
        '/downloads/kith-0.1.0-firefox.zip',
        '/console',
        '/demo',
        '/privacy',
        '/health',
      ]),
    );
    expect(html).not.toContain('sources.zip');
  });

  it('links to the store pages when the server is told where they are', async () => {
    const html = await (await fetch(`${stores.url}/`)).text();
    expect(links(html)).toEqual(
      expect.arrayContaining([
        'https://chromewebstore.google.com/detail/kith/abc',
        'https://addons.mozilla.org/firefox/addon/kith/',
      ]),
    );
    expect(links(html).filter((l) => l.startsWith('/downloads/'))).toEqual([]);
  });

  it('says how to build the extension when there is nothing to download', async () => {
    const html = await (await fetch(`${bare.url}/`)).text();
    expect(html).toContain('npm run zip');
    expect(links(html).filter((l) => l.startsWith('/downloads/'))).toEqual([]);
  });
});

describe('downloads', () => {
  it('serves the extension zips as files', async () => {
    const res = await fetch(`${server.url}/downloads/kith-0.1.0-chrome.zip`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    expect(res.headers.get('content-disposition')).toContain('kith-0.1.0-chrome.zip');
    expect(await res.text()).toBe('PK chrome');
  });

  it.each([
    'kith-0.1.0-sources.zip',
    'secret.txt',
    '..%2Fpackage.json',
    '%2e%2e/%2e%2e/etc/passwd',
    'kith-9.9.9-chrome.zip',
    '%E0%A4%A',
  ])('refuses /downloads/%s with 404', async (name) => {
    const res = await fetch(`${server.url}/downloads/${name}`);
    expect(res.status).toBe(404);
  });
});

describe('the privacy page', () => {
  it('is PRIVACY.md as a page: what is collected, how long it is kept, export and delete', async () => {
    const res = await fetch(`${server.url}/privacy`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<h1>Kith privacy notice</h1>');
    for (const heading of ['What is collected', 'How long it is kept', 'Export and delete'])
      expect(html).toContain(`<h2>${heading}</h2>`);
    expect(html).toContain('<strong>Download my data</strong>');
    expect(html).not.toContain('**');
  });

  it('says so when the server has no notice', async () => {
    const res = await fetch(`${bare.url}/privacy`);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('PRIVACY.md');
  });
});

describe('store page settings', () => {
  it.each([
    ['KITH_CHROME_STORE_URL', 'http://chromewebstore.google.com/detail/kith'],
    ['KITH_FIREFOX_STORE_URL', 'not a url'],
  ])('a bad %s stops the server with a message naming it', (name, value) => {
    expect(() => parseEnv({ [name]: value })).toThrow(new RegExp(`${name}: must be an https://`));
  });
});
