import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Deps } from '../../server/deps';

/**
 * A loopback stand-in for the video sites' public pages, reached through `CHANNEL_FETCH_BASE`
 * (`<base>/<site><path>`): profiles whose bio a test writes, clip pages naming their channel,
 * and misbehaving pages (slow, huge, redirecting) for the fetcher's limits.
 */
export interface FakeProfiles {
  url: string;
  /** Sets the bio of `@handle` on `site` (its profile page answers 404 until set). */
  setBio(site: string, handle: string, bio: string): void;
  /** Makes the clip page at `path` (e.g. `/shorts/aBcDeFgHiJk`) name `handle` as its channel. */
  setClipOwner(site: string, path: string, handle: string): void;
  /** Any other answer for a path: the handler gets the request and response. */
  route(
    site: string,
    path: string,
    handler: (req: IncomingMessage, res: ServerResponse) => void,
  ): void;
  /** The paths asked for, in order (`/<site><path>`). */
  requests: string[];
  /** Points a test server's deps (and every caller already made from them) at this fake. */
  use(deps: Deps): void;
  close(): Promise<void>;
}

const esc = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** A profile page carrying the bio where each site does: in the data describing the channel. */
function profilePage(site: string, handle: string, bio: string): string {
  // `<` escaped as in the sites' own inline JSON, so a bio cannot end the script.
  const json = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');
  const data =
    site === 'youtube'
      ? `<script>var ytInitialData = ${json({
          metadata: {
            channelMetadataRenderer: {
              title: handle,
              description: bio,
              vanityChannelUrl: `http://www.youtube.com/@${handle}`,
            },
          },
        })};</script>`
      : `<script type="application/json" id="data">${json(
          site === 'instagram'
            ? { user: { username: handle, biography: bio } }
            : { userInfo: { user: { uniqueId: handle, signature: bio } } },
        )}</script>`;
  return `<!doctype html><html><head><title>@${esc(handle)} on ${site}</title></head>
<body><h1>@${esc(handle)}</h1><p class="bio">${esc(bio)}</p>
${data}</body></html>`;
}

function clipPage(site: string, handle: string): string {
  const bySite: Record<string, string> = {
    tiktok: `<script>{"author":{"uniqueId":"${handle}"}}</script>`,
    youtube: `<link itemprop="url" href="http://www.youtube.com/@${handle}"><script>var ytInitialData = {"canonicalBaseUrl":"/@${handle}"};</script>`,
    instagram: `<meta property="og:title" content="Someone (@${handle}) on Instagram"><script>{"owner":{"id":"1","username":"${handle}"}}</script>`,
  };
  return `<!doctype html><html><head><title>A clip</title>${bySite[site] ?? ''}</head><body><video></video></body></html>`;
}

export async function startFakeProfiles(): Promise<FakeProfiles> {
  const bios = new Map<string, string>();
  const routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    requests.push(path);
    const custom = routes.get(path);
    if (custom) return custom(req, res);
    const bio = bios.get(path);
    if (bio !== undefined) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(bio);
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const profilePath = (site: string, handle: string) =>
    site === 'instagram' ? `/${site}/${handle}/` : `/${site}/@${handle}`;
  return {
    url,
    requests,
    setBio(site, handle, bio) {
      bios.set(profilePath(site, handle.toLowerCase()), profilePage(site, handle, bio));
    },
    setClipOwner(site, path, handle) {
      bios.set(`/${site}${path}`, clipPage(site, handle));
    },
    route(site, path, handler) {
      routes.set(`/${site}${path}`, handler);
    },
    use(deps) {
      // In place: callers made earlier share this env object.
      deps.env.CHANNEL_FETCH_BASE = url;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
