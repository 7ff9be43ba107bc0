import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { VNode } from 'preact';
import sirv from 'sirv';
import type { RouteHandler } from './app';
import { type DemoCatalog, demoCatalog } from './demo-seed';
import type { Deps } from './deps';
import { describeInvite } from './friends/invites';
import { sendPage } from './pages/render';
import { AppPage, DemoPage, InvitePage, NotBuiltPage } from './pages/widget-pages';
import { repoRoot } from './paths';

/**
 * The widget kit over HTTP:
 *   GET /widgets/kith.js            the stable entry brands embed: CORS *, cached 5 minutes
 *   GET /widgets/<name>-<HASH>.js   content-hashed chunks: CORS *, cached forever (immutable)
 *   GET /console (+ /console/assets/…)  the brand console, under a strict CSP
 *   GET /share?url=…&title=…         where <kith-share-button> falls back to without the extension
 *   GET /invite/<code>               an invite link opened in a browser
 *   GET /demo (+ /demo/assets/…)     a plain brand page using every element, on the seeded demo
 * Files come from `npm run build:widgets` (dist/), which also writes each one gzip- and
 * brotli-compressed; sirv serves them (the compressed copy a client accepts, ETag, ranges).
 * A server started without a build answers with a message that says so. Pages are Preact
 * components (server/pages/widget-pages.tsx).
 */

export interface WidgetRoutesOptions {
  /** Where `buildWidgets` wrote (default dist/widgets). */
  widgetsDir?: string;
  /** Where `buildPages` wrote (default dist/console). */
  pagesDir?: string;
}

const demoAssets = path.join(repoRoot, 'widgets/demo/assets');

const TYPES: Record<string, string> = {
  '.js': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.webm': 'video/webm',
  '.mp4': 'video/mp4',
  '.json': 'application/json; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
};
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

const htmlHeaders = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-cache',
  'content-security-policy': PAGE_CSP,
  'referrer-policy': 'strict-origin-when-cross-origin',
  'x-content-type-options': 'nosniff',
};

function page(res: ServerResponse, body: VNode, status = 200, headers = {}) {
  sendPage(res, status, { ...htmlHeaders, ...headers }, body);
}

function notBuilt(res: ServerResponse, what: string) {
  const text = `Kith's ${what} is not built on this server. Run \`npm run build:widgets\` (npm start does it) and reload.`;
  if (what === 'widget script') {
    const body = `console.error(${JSON.stringify(text)});\n`;
    res.writeHead(503, {
      'content-type': TYPES['.js']!,
      'content-length': String(Buffer.byteLength(body)),
      'access-control-allow-origin': '*',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    res.end(body);
    return;
  }
  page(res, <NotBuiltPage text={text} />, 503, { 'cache-control': 'no-store' });
}

interface PagesManifest {
  console: { js: string; css: string };
  share: { js: string; css: string };
  demo: { css: string };
}

type Serve = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/**
 * Files of one folder through sirv, looked up on each request (`dev`: a build while the server
 * runs is served at once), with `headers(name)` set first so that they are on a 304 too.
 */
function folder(dir: string, headers: (name: string) => Record<string, string>) {
  const serve: Serve = sirv(dir, {
    dev: true,
    etag: true,
    gzip: true,
    brotli: true,
    extensions: [],
    dotfiles: false,
    // sirv sets `Vary: Accept-Encoding` just before; the rest of Kith writes header values in
    // lower case.
    setHeaders: (res) => {
      if (res.hasHeader('vary')) res.setHeader('vary', 'accept-encoding');
    },
  });
  return (req: IncomingMessage, res: ServerResponse, name: string): Promise<boolean> => {
    if (!SAFE_NAME.test(name) || /\.(gz|br)$/.test(name)) return Promise.resolve(false);
    const type = TYPES[path.extname(name)] ?? 'application/octet-stream';
    return new Promise((resolve) => {
      const url = req.url;
      // sirv reads the path from req.url; give it the file's name under the folder.
      req.url = `/${name}`;
      res.setHeader('content-type', type);
      res.setHeader('x-content-type-options', 'nosniff');
      for (const [key, value] of Object.entries(headers(name))) res.setHeader(key, value);
      // sirv pipes a read stream with no error listener: a file removed between its stat and
      // the read (an old chunk dropped by a build) would throw out of the process. End the
      // response instead.
      res.once('pipe', (source) => source.once('error', () => res.destroy()));
      res.once('finish', () => resolve(true));
      res.once('close', () => resolve(true));
      serve(req, res, () => {
        req.url = url;
        for (const key of ['content-type', 'x-content-type-options', ...Object.keys(headers(name))])
          res.removeHeader(key);
        resolve(false);
      });
    });
  };
}

export function widgetRoutes(
  deps: Pick<Deps, 'db' | 'env' | 'log'>,
  options: WidgetRoutesOptions = {},
): RouteHandler {
  const widgetsDir = options.widgetsDir ?? path.join(repoRoot, 'dist/widgets');
  const pagesDir = options.pagesDir ?? path.join(repoRoot, 'dist/console');

  const cors = {
    'access-control-allow-origin': '*',
    'cross-origin-resource-policy': 'cross-origin',
  };
  const widgetFiles = folder(widgetsDir, (n) => ({
    ...cors,
    'cache-control': HASHED.test(n)
      ? 'public, max-age=31536000, immutable'
      : 'public, max-age=300, stale-while-revalidate=86400',
  }));
  const pageFiles = folder(pagesDir, (n) => ({
    'cache-control': HASHED.test(n) ? 'public, max-age=31536000, immutable' : 'no-cache',
  }));
  const demoFiles = folder(demoAssets, () => ({
    'cache-control': 'public, max-age=3600',
    ...cors,
  }));

  async function manifest(): Promise<PagesManifest | null> {
    const text = await readFile(path.join(pagesDir, 'manifest.json'), 'utf8').catch(() => null);
    return text ? (JSON.parse(text) as PagesManifest) : null;
  }

  async function appPage(
    res: ServerResponse,
    app: 'console' | 'share',
    title: string,
    data: Record<string, string> = {},
  ) {
    const built = await manifest();
    if (!built) return notBuilt(res, app === 'console' ? 'brand console' : 'share page');
    page(
      res,
      <AppPage
        title={title}
        css={`/console/assets/${built[app].css}`}
        js={`/console/assets/${built[app].js}`}
        widgets={app === 'console'}
        data={data}
      />,
    );
  }

  /** The invite page names the inviter, read here, as text; the share app signs up below it. */
  async function invitePage(res: ServerResponse, code: string) {
    const built = await manifest();
    if (!built) return notBuilt(res, 'invite page');
    const found = await describeInvite(deps, code);
    page(
      res,
      <InvitePage
        css={`/console/assets/${built.share.css}`}
        js={`/console/assets/${built.share.js}`}
        code={code.toUpperCase()}
        state={found.state}
        inviter={found.inviter}
      />,
    );
  }

  async function demoPage(res: ServerResponse) {
    const built = await manifest();
    if (!built) return notBuilt(res, 'demo page');
    const catalog: DemoCatalog | null = await demoCatalog(deps.db);
    const ids = catalog?.products ?? {};
    page(
      res,
      <DemoPage
        css={`/console/assets/${built.demo.css}`}
        brand={catalog?.brandName ?? 'Kith Demo Goods'}
        clip={catalog?.clip ?? ''}
        brandId={catalog?.brandId ?? ''}
        tote={ids.tote ?? ''}
        cap={ids.cap ?? ''}
        mug={ids.mug ?? ''}
        payments={
          deps.env.STRIPE_SECRET_KEY
            ? 'Payments are on: Buy takes you to Stripe Checkout once the brand has connected Stripe in the console.'
            : 'Payments are off on this server: Buy explains that STRIPE_SECRET_KEY is needed. Everything else works.'
        }
        missing={
          catalog
            ? ''
            : 'The demo brand is seeded only into an empty database, and this one already had data. The elements below say their product is not available.'
        }
      />,
    );
  }

  return async (req, res, url) => {
    const { pathname } = url;
    const get = req.method === 'GET' || req.method === 'HEAD';

    if (pathname.startsWith('/widgets/')) {
      if (req.method === 'OPTIONS') {
        res.writeHead(204, { ...cors, 'access-control-allow-methods': 'GET, HEAD' }).end();
        return true;
      }
      if (!get) return false;
      const name = pathname.slice('/widgets/'.length);
      if (await widgetFiles(req, res, name)) return true;
      if (name === 'kith.js') {
        notBuilt(res, 'widget script');
        return true;
      }
      return false;
    }

    if (!get) return false;
    if (pathname === '/console' || pathname === '/console/') {
      await appPage(res, 'console', 'Kith brand console');
      return true;
    }
    if (pathname.startsWith('/console/assets/'))
      return pageFiles(req, res, pathname.slice('/console/assets/'.length));
    if (pathname === '/share') {
      await appPage(res, 'share', 'Share to Kith', { mode: 'share' });
      return true;
    }
    const invite = /^\/invite\/([A-Za-z0-9_-]{1,64})\/?$/.exec(pathname);
    if (invite) {
      await invitePage(res, invite[1]!);
      return true;
    }
    if (pathname === '/demo' || pathname === '/demo/') {
      await demoPage(res);
      return true;
    }
    if (pathname.startsWith('/demo/assets/'))
      return demoFiles(req, res, pathname.slice('/demo/assets/'.length));
    return false;
  };
}
