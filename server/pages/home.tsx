import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { ComponentChildren } from 'preact';
import { renderToString } from 'preact-render-to-string';
import sirv from 'sirv';
import type { RouteHandler } from '../app';
import { repoRoot } from '../paths';
import type { Deps } from '../trpc';
import { Markdown } from './markdown';

/**
 * The server's front door, for people who type its address into a browser:
 *   GET /                      what Kith is, where to get the extension, links to the rest
 *   GET /privacy               PRIVACY.md as a page (the popup links here before sign-up)
 *   GET /downloads/<zip>       the extension zips `npm run zip` wrote, when there are any
 * Plain HTML rendered by Preact (every value escaped), no scripts.
 */

export interface HomeRoutesOptions {
  /** Where `npm run zip` wrote the store zips (default KITH_OUT_DIR, else .output). */
  outDir?: string;
  /** The privacy notice (default PRIVACY.md at the top of the repository). */
  privacyFile?: string;
}

/** The zips `wxt zip` names `<name>-<version>-<browser>.zip`; the sources zip is not offered. */
const ZIP = /^[\w.-]+-(chrome|firefox)\.zip$/;

const STYLE = `
  body { font: 16px/1.55 system-ui, sans-serif; margin: 0; background: #f6f5f2; color: #1d1d1f; }
  main { max-width: 40rem; margin: 2.5rem auto; padding: 2rem; background: #fff; border-radius: 16px; box-shadow: 0 2px 12px #0001; }
  h1 { font-size: 1.6rem; margin: 0 0 .5rem; } h2 { font-size: 1.15rem; margin: 1.6rem 0 .4rem; }
  a { color: #2a3d9c; } ul { padding-left: 1.2rem; } li { margin: .25rem 0; }
  .muted { color: #6e6e73; font-size: .9rem; } .ok { color: #0b6b2c; font-weight: 600; } .bad { color: #9c1c16; font-weight: 600; }
  code { background: #f0efe9; padding: 0 .25rem; border-radius: 4px; }
`;

function Page({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{title}</title>
        <style>{STYLE}</style>
      </head>
      <body>
        <main>{children}</main>
      </body>
    </html>
  );
}

function send(res: ServerResponse, status: number, page: preact.VNode, head = false) {
  const body = `<!doctype html>${renderToString(page)}`;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-cache',
    'content-security-policy':
      "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(head ? undefined : body);
}

interface Download {
  browser: 'Chrome' | 'Firefox';
  href: string;
  label: string;
}

interface HomeProps {
  downloads: Download[];
  dbOk: boolean;
  fanOut: string;
}

export function Home({ downloads, dbOk, fanOut }: HomeProps) {
  return (
    <Page title="Kith">
      <h1>Kith</h1>
      <p>
        Kith puts your real-life friends next to the short videos you already watch: chat and share
        clips with them right beside TikTok, YouTube Shorts and Instagram Reels. This is a Kith
        server; the browser extension signs in to it.
      </p>
      <h2 id="extension">Get the extension</h2>
      {downloads.length ? (
        <ul>
          {downloads.map((d) => (
            <li>
              <a href={d.href}>{d.label}</a>
            </li>
          ))}
        </ul>
      ) : (
        <p>
          No extension build is offered here yet. Whoever runs this server can build one with{' '}
          <code>KITH_SERVER_URL=https://this-server npm run zip</code>.
        </p>
      )}
      <p class="muted">
        Then open the extension's popup, create an account, and send a friend your invite link: Kith
        is for two or more people on the same server.
      </p>
      <h2>More</h2>
      <ul>
        <li>
          <a href="/privacy">Privacy notice</a>: what is collected, how long it is kept, how to
          export or delete it
        </li>
        <li>
          <a href="/console">Brand console</a>: sell the products shown in your clips
        </li>
        <li>
          <a href="/demo">Widget demo</a>: a brand page using the embeddable widgets
        </li>
      </ul>
      <h2>Server status</h2>
      <p>
        {dbOk ? <span class="ok">Running</span> : <span class="bad">Database unreachable</span>}
        <span class="muted">
          {' '}
          · fan-out {fanOut} · <a href="/health">/health</a>
        </span>
      </p>
    </Page>
  );
}

export function homeRoutes(
  deps: Pick<Deps, 'db' | 'env' | 'bus'>,
  options: HomeRoutesOptions = {},
): RouteHandler {
  const outDir = path.resolve(options.outDir ?? process.env.KITH_OUT_DIR ?? '.output');
  const privacyFile = options.privacyFile ?? path.join(repoRoot, 'PRIVACY.md');

  const serveZips = sirv(outDir, {
    dev: true,
    etag: true,
    extensions: [],
    dotfiles: false,
    setHeaders: (res, pathname) => {
      res.setHeader('content-disposition', `attachment; filename="${path.basename(pathname)}"`);
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('cache-control', 'no-cache');
    },
  });

  async function zips(): Promise<string[]> {
    const names = await readdir(outDir).catch(() => [] as string[]);
    return names.filter((n) => ZIP.test(n)).sort();
  }

  async function downloads(): Promise<Download[]> {
    const built = await zips();
    const list: Download[] = [];
    for (const [browser, storeUrl] of [
      ['Chrome', deps.env.KITH_CHROME_STORE_URL],
      ['Firefox', deps.env.KITH_FIREFOX_STORE_URL],
    ] as const) {
      if (storeUrl) {
        list.push({ browser, href: storeUrl, label: `Kith for ${browser} (store page)` });
        continue;
      }
      const zip = built.filter((n) => n.endsWith(`-${browser.toLowerCase()}.zip`)).at(-1);
      if (zip)
        list.push({
          browser,
          href: `/downloads/${zip}`,
          label: `Kith for ${browser} (${zip}, ${browser === 'Chrome' ? 'load unpacked from chrome://extensions' : 'install from about:addons'})`,
        });
    }
    return list;
  }

  return async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) return false;
    if (url.pathname === '/') {
      const dbOk = await deps.db.execute(sql`select 1`).then(
        () => true,
        () => false,
      );
      const fanOut = deps.bus.kind === 'redis' ? 'Redis' : 'in-process';
      send(res, 200, <Home downloads={await downloads()} dbOk={dbOk} fanOut={fanOut} />, head);
      return true;
    }
    if (url.pathname === '/privacy') {
      const source = await readFile(privacyFile, 'utf8').catch(() => null);
      if (source === null) {
        send(
          res,
          404,
          <Page title="Privacy · Kith">
            <h1>No privacy notice</h1>
            <p>
              This server has no PRIVACY.md next to its package.json. Whoever runs it should add
              one.
            </p>
          </Page>,
          head,
        );
        return true;
      }
      send(
        res,
        200,
        <Page title="Privacy · Kith">
          <Markdown source={source} />
          <p class="muted">
            <a href="/">Back to Kith</a>
          </p>
        </Page>,
        head,
      );
      return true;
    }
    if (url.pathname.startsWith('/downloads/')) {
      const name = url.pathname.slice('/downloads/'.length);
      if (!ZIP.test(name) || !(await zips()).includes(name)) return false;
      // The name is one of the zips the build wrote (checked above); sirv serves it (ETag,
      // ranges, HEAD) under its own name.
      req.url = `/${name}`;
      const found = await new Promise<boolean>((resolve) => {
        res.once('close', () => resolve(true));
        serveZips(req, res, () => resolve(false));
      });
      return found;
    }
    return false;
  };
}
