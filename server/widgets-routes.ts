import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { RouteHandler } from './app';
import { type DemoCatalog, demoCatalog } from './demo-seed';
import type { Deps } from './deps';

/**
 * The widget kit over HTTP:
 *   GET /widgets/kith.js            the stable entry brands embed: CORS *, cached 5 minutes
 *   GET /widgets/<name>-<HASH>.js   content-hashed chunks: CORS *, cached forever (immutable)
 *   GET /console (+ /console/assets/…)  the brand console, under a strict CSP
 *   GET /share?url=…&title=…         where <kith-share-button> falls back to without the extension
 *   GET /invite/<code>               an invite link opened in a browser
 *   GET /demo (+ /demo/assets/…)     a plain brand page using every element, on the seeded demo
 * Files come from `npm run build:widgets` (dist/); a server started without a build answers
 * with a message that says so. Responses are compressed (gzip or brotli) once and kept.
 */

export interface WidgetRoutesOptions {
  /** Where `buildWidgets` wrote (default dist/widgets). */
  widgetsDir?: string;
  /** Where `buildPages` wrote (default dist/console). */
  pagesDir?: string;
}

const repoRoot = path.resolve(import.meta.dirname, '..');
const demoAssets = path.join(repoRoot, 'widgets/demo/assets');
const demoTemplate = path.join(repoRoot, 'widgets/demo/index.html');

const TYPES: Record<string, string> = {
  '.js': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.webm': 'video/webm',
  '.mp4': 'video/mp4',
  '.json': 'application/json; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
};
const COMPRESSIBLE = new Set(['.js', '.css', '.svg', '.json', '.html']);
/** esbuild's `[name]-[hash]` file names: safe to cache forever. */
const HASHED = /^[\w-]+-[A-Z0-9]{8}\.(js|css)$/;
const SAFE_NAME = /^[\w-]+(\.[\w-]+)*$/;

/** No script but our own, no inline anything, nothing from elsewhere but https images/media. */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' https: data:",
  "media-src 'self' https:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

interface CachedFile {
  mtimeMs: number;
  size: number;
  body: Buffer;
  gzip?: Buffer;
  br?: Buffer;
  etag: string;
}

const cache = new Map<string, CachedFile>();

async function load(file: string): Promise<CachedFile | null> {
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) return null;
  const hit = cache.get(file);
  if (hit && hit.mtimeMs === info.mtimeMs && hit.size === info.size) return hit;
  const body = await readFile(file);
  const entry: CachedFile = {
    mtimeMs: info.mtimeMs,
    size: info.size,
    body,
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
  };
  if (COMPRESSIBLE.has(path.extname(file)) && body.length > 256) {
    entry.gzip = gzipSync(body, { level: constants.Z_BEST_COMPRESSION });
    entry.br = brotliCompressSync(body);
  }
  cache.set(file, entry);
  return entry;
}

function send(
  req: IncomingMessage,
  res: ServerResponse,
  file: CachedFile | { body: Buffer | string; etag?: string; gzip?: Buffer; br?: Buffer },
  headers: Record<string, string>,
  status = 200,
) {
  const out: Record<string, string> = { 'x-content-type-options': 'nosniff', ...headers };
  if (file.etag) {
    out.etag = file.etag;
    if (req.headers['if-none-match'] === file.etag) {
      res.writeHead(304, out).end();
      return;
    }
  }
  let body = typeof file.body === 'string' ? Buffer.from(file.body) : file.body;
  const range = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ''));
  if (range && !file.gzip && Number(range[1]) < body.length) {
    // Videos ask for ranges to seek.
    const start = Number(range[1]);
    const end = range[2] ? Math.min(Number(range[2]), body.length - 1) : body.length - 1;
    out['accept-ranges'] = 'bytes';
    out['content-range'] = `bytes ${start}-${end}/${body.length}`;
    body = body.subarray(start, end + 1);
    status = 206;
  } else if (file.gzip || file.br) {
    out.vary = 'accept-encoding';
    const accepts = String(req.headers['accept-encoding'] ?? '');
    if (file.br && /\bbr\b/.test(accepts)) {
      body = file.br;
      out['content-encoding'] = 'br';
    } else if (file.gzip && /\bgzip\b/.test(accepts)) {
      body = file.gzip;
      out['content-encoding'] = 'gzip';
    }
  }
  out['content-length'] = String(body.length);
  res.writeHead(status, out);
  res.end(req.method === 'HEAD' ? undefined : body);
}

const escapeHtml = (value: unknown) =>
  String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const htmlHeaders = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-cache',
  'content-security-policy': PAGE_CSP,
  'referrer-policy': 'strict-origin-when-cross-origin',
};

function notBuilt(req: IncomingMessage, res: ServerResponse, what: string) {
  const text = `Kith's ${what} is not built on this server. Run \`npm run build:widgets\` (npm start does it) and reload.`;
  if (what === 'widget script')
    return send(
      req,
      res,
      { body: `console.error(${JSON.stringify(text)});\n` },
      {
        'content-type': TYPES['.js']!,
        'access-control-allow-origin': '*',
        'cache-control': 'no-store',
      },
      503,
    );
  send(
    req,
    res,
    {
      body: `<!doctype html><meta charset="utf-8"><title>Not built</title><p>${escapeHtml(text)}</p>`,
    },
    {
      ...htmlHeaders,
      'cache-control': 'no-store',
    },
    503,
  );
}

interface PagesManifest {
  console: { js: string; css: string };
  share: { js: string; css: string };
  demo: { css: string };
}

export function widgetRoutes(
  deps: Pick<Deps, 'db' | 'env' | 'log'>,
  options: WidgetRoutesOptions = {},
): RouteHandler {
  const widgetsDir = options.widgetsDir ?? path.join(repoRoot, 'dist/widgets');
  const pagesDir = options.pagesDir ?? path.join(repoRoot, 'dist/console');

  async function manifest(): Promise<PagesManifest | null> {
    const file = await load(path.join(pagesDir, 'manifest.json'));
    return file ? (JSON.parse(file.body.toString('utf8')) as PagesManifest) : null;
  }

  /** An HTML page that is only a mount point for one of the built apps. */
  async function appPage(
    req: IncomingMessage,
    res: ServerResponse,
    app: 'console' | 'share',
    title: string,
    data: Record<string, string> = {},
  ) {
    const built = await manifest();
    if (!built) return notBuilt(req, res, app === 'console' ? 'brand console' : 'share page');
    const attrs = Object.entries(data)
      .map(([k, v]) => ` data-${k}="${escapeHtml(v)}"`)
      .join('');
    const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/console/assets/${built[app].css}">
<script type="module" src="/console/assets/${built[app].js}"></script>${app === 'console' ? '\n<script type="module" src="/widgets/kith.js"></script>' : ''}
</head><body><div id="app"${attrs}><noscript>This page needs JavaScript.</noscript></div></body></html>`;
    send(req, res, { body }, htmlHeaders);
  }

  async function demoPage(req: IncomingMessage, res: ServerResponse) {
    const built = await manifest();
    const template = await load(demoTemplate);
    if (!built || !template) return notBuilt(req, res, 'demo page');
    const catalog: DemoCatalog | null = await demoCatalog(deps.db);
    const ids = catalog?.products ?? {};
    const values: Record<string, string> = {
      css: `/console/assets/${built.demo.css}`,
      brand: catalog?.brandName ?? 'Kith Demo Goods',
      clip: catalog?.clip ?? '',
      tote: ids.tote ?? '',
      cap: ids.cap ?? '',
      mug: ids.mug ?? '',
      payments: deps.env.STRIPE_SECRET_KEY
        ? 'Payments are on: Buy takes you to Stripe Checkout once the brand has connected Stripe in the console.'
        : 'Payments are off on this server: Buy explains that STRIPE_SECRET_KEY is needed. Everything else works.',
      missing: catalog
        ? ''
        : 'The demo brand is seeded only into an empty database, and this one already had data. The elements below say their product is not available.',
    };
    const body = template.body
      .toString('utf8')
      .replace(/\{\{(\w+)\}\}/g, (_, key: string) => escapeHtml(values[key] ?? ''));
    send(req, res, { body }, htmlHeaders);
  }

  async function staticFile(
    req: IncomingMessage,
    res: ServerResponse,
    dir: string,
    name: string,
    headers: (name: string) => Record<string, string>,
  ): Promise<boolean> {
    if (!SAFE_NAME.test(name)) return false;
    const file = await load(path.join(dir, name));
    if (!file) return false;
    send(req, res, file, {
      'content-type': TYPES[path.extname(name)] ?? 'application/octet-stream',
      ...headers(name),
    });
    return true;
  }

  return async (req, res, url) => {
    const { pathname } = url;
    const get = req.method === 'GET' || req.method === 'HEAD';

    if (pathname.startsWith('/widgets/')) {
      const cors = {
        'access-control-allow-origin': '*',
        'cross-origin-resource-policy': 'cross-origin',
      };
      if (req.method === 'OPTIONS') {
        res.writeHead(204, { ...cors, 'access-control-allow-methods': 'GET, HEAD' }).end();
        return true;
      }
      if (!get) return false;
      const name = pathname.slice('/widgets/'.length);
      const served = await staticFile(req, res, widgetsDir, name, (n) => ({
        ...cors,
        'cache-control': HASHED.test(n)
          ? 'public, max-age=31536000, immutable'
          : 'public, max-age=300, stale-while-revalidate=86400',
      }));
      if (served) return true;
      if (name === 'kith.js') {
        notBuilt(req, res, 'widget script');
        return true;
      }
      return false;
    }

    if (!get) return false;
    if (pathname === '/console' || pathname === '/console/') {
      await appPage(req, res, 'console', 'Kith brand console');
      return true;
    }
    if (pathname.startsWith('/console/assets/')) {
      return staticFile(req, res, pagesDir, pathname.slice('/console/assets/'.length), (n) => ({
        'cache-control': HASHED.test(n) ? 'public, max-age=31536000, immutable' : 'no-cache',
      }));
    }
    if (pathname === '/share') {
      await appPage(req, res, 'share', 'Share to Kith', { mode: 'share' });
      return true;
    }
    const invite = /^\/invite\/([A-Za-z0-9_-]{1,64})\/?$/.exec(pathname);
    if (invite) {
      await appPage(req, res, 'share', 'Kith invite', { mode: 'invite', code: invite[1]! });
      return true;
    }
    if (pathname === '/demo' || pathname === '/demo/') {
      await demoPage(req, res);
      return true;
    }
    if (pathname.startsWith('/demo/assets/')) {
      return staticFile(req, res, demoAssets, pathname.slice('/demo/assets/'.length), () => ({
        'cache-control': 'public, max-age=3600',
        'access-control-allow-origin': '*',
        'cross-origin-resource-policy': 'cross-origin',
      }));
    }
    return false;
  };
}
