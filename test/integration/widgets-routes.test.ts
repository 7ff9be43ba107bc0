import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../server/app';
import { DEMO_SLUG, demoCatalog, seedDemo } from '../../server/demo-seed';
import { PAGE_CSP, widgetRoutes } from '../../server/widgets-routes';
import { buildPages, buildWidgets } from '../../widgets/build';
import { openTestDatabase, type TestDatabase } from '../fixtures/db';
import { makeDeps, signUp } from '../fixtures/deps';

let dist: string;
let database: TestDatabase;
let server: RunningServer;
let bare: RunningServer;
let chunk: string;

beforeAll(async () => {
  dist = await mkdtemp(path.join(os.tmpdir(), 'kith-widget-routes-'));
  const { files } = await buildWidgets(path.join(dist, 'widgets'));
  chunk = files.find((f) => f.startsWith('kith-shop-button-'))!;
  await buildPages(path.join(dist, 'console'));
  database = await openTestDatabase('pglite');
  const deps = makeDeps(database.db);
  server = await startServer(deps, {
    routes: [
      widgetRoutes(deps, {
        widgetsDir: path.join(dist, 'widgets'),
        pagesDir: path.join(dist, 'console'),
      }),
    ],
  });
  // A server whose widgets were never built.
  bare = await startServer(deps, {
    routes: [
      widgetRoutes(deps, {
        widgetsDir: path.join(dist, 'none'),
        pagesDir: path.join(dist, 'none'),
      }),
    ],
  });
});

afterAll(async () => {
  await server?.close();
  await bare?.close();
  await database?.close();
  if (dist) await rm(dist, { recursive: true, force: true });
});

const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers });

describe('widget routes', () => {
  it('serves kith.js to any site as JavaScript, cached briefly', async () => {
    const res = await get(`${server.url}/widgets/kith.js`, { 'accept-encoding': 'identity' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/javascript; charset=utf-8');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('cache-control')).toMatch(/^public, max-age=300\b/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toContain(`./${chunk}`);
  });

  it('serves hashed chunks as immutable', async () => {
    const res = await get(`${server.url}/widgets/${chunk}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('compresses for clients that accept it and answers If-None-Match with 304', async () => {
    const plain = await (
      await get(`${server.url}/widgets/kith.js`, { 'accept-encoding': 'identity' })
    ).text();
    const res = await fetch(`${server.url}/widgets/kith.js`, {
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(res.headers.get('vary')).toBe('accept-encoding');
    // fetch decodes gzip itself; the body is the same script.
    expect(await res.text()).toBe(plain);
    const etag = res.headers.get('etag')!;
    const again = await get(`${server.url}/widgets/kith.js`, { 'if-none-match': etag });
    expect(again.status).toBe(304);
  });

  it('answers CORS preflights and refuses odd paths', async () => {
    const pre = await fetch(`${server.url}/widgets/kith.js`, { method: 'OPTIONS' });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    for (const bad of [
      '/widgets/..%2Fpackage.json',
      '/widgets/nope.js',
      '/console/assets/..%2F..%2Fpackage.json',
    ])
      expect((await get(`${server.url}${bad}`)).status).toBe(404);
  });

  it('says the widgets are not built, in JavaScript, when they are not', async () => {
    const res = await get(`${bare.url}/widgets/kith.js`);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('application/javascript; charset=utf-8');
    expect(await res.text()).toContain('npm run build:widgets');
    expect((await get(`${bare.url}/console`)).status).toBe(503);
  });

  it('serves the console, share and invite pages under a strict CSP', async () => {
    for (const page of [
      '/console',
      '/share?url=https%3A%2F%2Fexample.com%2F',
      '/invite/ABCD2345',
    ]) {
      const res = await get(`${server.url}${page}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-security-policy')).toBe(PAGE_CSP);
      const html = await res.text();
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
      expect(html).not.toMatch(/style=/);
    }
    expect(PAGE_CSP).toContain("script-src 'self'");
    expect(PAGE_CSP).not.toContain('unsafe');
    const invite = await (await get(`${server.url}/invite/ABCD2345`)).text();
    expect(invite).toContain('data-code="ABCD2345"');
  });
});

describe('the demo', () => {
  it('explains itself on a database that was not empty', async () => {
    const res = await get(`${server.url}/demo`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('seeded only into an empty database');
  });

  it('is seeded once, only into an empty database', async () => {
    const empty = await openTestDatabase('pglite');
    try {
      const deps = makeDeps(empty.db);
      const [a, b] = await Promise.all([seedDemo(deps), seedDemo(deps)]);
      // Two instances starting on one empty database: exactly one seeds.
      expect([a, b].filter((r) => r === 'seeded')).toHaveLength(1);
      expect(await seedDemo(deps)).toBe('present');
      const catalog = (await demoCatalog(empty.db))!;
      expect(Object.keys(catalog.products).sort()).toEqual(['cap', 'mug', 'tote']);
      const tagged = await empty.db.execute<{ n: number }>(
        sql`select count(*)::int as n from clip_products`,
      );
      expect(Number(tagged.rows[0]!.n)).toBe(3);
    } finally {
      await empty.close();
    }
    // A database with users already is left alone.
    const used = await openTestDatabase('pglite');
    try {
      const deps = makeDeps(used.db);
      await signUp(deps, 'someone');
      expect(await seedDemo(deps)).toBe('skipped');
      expect(await demoCatalog(used.db)).toBeNull();
    } finally {
      await used.close();
    }
    expect(DEMO_SLUG).toBe('kith-demo');
  });
});
