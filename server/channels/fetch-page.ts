import type { ChannelSite } from '../db/schema';

/**
 * The one way Kith reads a video site's public pages (a channel's profile, a clip's page): a
 * GET with a timeout and a size limit, following redirects only within the site's own hosts.
 * `CHANNEL_FETCH_BASE` points every site at another server (`<base>/<site><path>`), for tests.
 */

/** The hosts each site serves its public pages from; a redirect elsewhere is refused. */
export const SITE_HOSTS: Record<ChannelSite, string[]> = {
  tiktok: ['www.tiktok.com', 'tiktok.com', 'm.tiktok.com'],
  youtube: ['www.youtube.com', 'youtube.com', 'm.youtube.com'],
  instagram: ['www.instagram.com', 'instagram.com'],
};

export const FETCH_TIMEOUT_MS = 8000;
/** Profile and clip pages are large (inline JSON), but not this large. */
export const FETCH_MAX_BYTES = 3 * 1024 * 1024;
const MAX_REDIRECTS = 3;

export interface FetchOptions {
  /** `CHANNEL_FETCH_BASE`: every site's pages come from here instead. */
  base?: string | undefined;
  timeoutMs?: number;
  maxBytes?: number;
}

export class PageFetchError extends Error {
  override readonly name = 'PageFetchError';
}

/** The address of `path` on `site` (or on the base that stands in for it). */
export function siteUrl(site: ChannelSite, path: string, base?: string): URL {
  if (!path.startsWith('/')) throw new PageFetchError('A site path must start with "/".');
  if (base) return new URL(`${base.replace(/\/+$/, '')}/${site}${path}`);
  return new URL(path, `https://${SITE_HOSTS[site][0]}`);
}

/** Whether a redirect target stays on the site (or on the base standing in for it). */
function allowedTarget(site: ChannelSite, target: URL, base?: string): boolean {
  if (base) {
    const origin = new URL(base);
    return target.origin === origin.origin;
  }
  return (
    target.protocol === 'https:' && target.port === '' && SITE_HOSTS[site].includes(target.hostname)
  );
}

/** Reads at most `maxBytes` of the body, or fails: a page past the limit is not read whole. */
async function readLimited(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw new PageFetchError(`The page is larger than ${maxBytes} bytes.`);
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new PageFetchError(`The page is larger than ${maxBytes} bytes.`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Fetches the public page at `path` on `site` and answers its text; PageFetchError when it
 * cannot be read (timeout, too large, a redirect off the site, not found, any other failure).
 */
export async function fetchSitePage(
  site: ChannelSite,
  path: string,
  options: FetchOptions = {},
): Promise<string> {
  const timeoutMs = options.timeoutMs ?? FETCH_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? FETCH_MAX_BYTES;
  const signal = AbortSignal.timeout(timeoutMs);
  let url = siteUrl(site, path, options.base);
  try {
    for (let hop = 0; ; hop++) {
      const response = await fetch(url, {
        redirect: 'manual',
        signal,
        headers: { accept: 'text/html', 'accept-language': 'en' },
      });
      if (response.status >= 300 && response.status < 400) {
        await response.body?.cancel();
        const location = response.headers.get('location');
        if (!location || hop >= MAX_REDIRECTS) {
          throw new PageFetchError('The site redirected too many times.');
        }
        const target = new URL(location, url);
        if (!allowedTarget(site, target, options.base)) {
          throw new PageFetchError(`The site redirected off its own hosts (to ${target.host}).`);
        }
        url = target;
        continue;
      }
      if (response.status === 404) {
        await response.body?.cancel();
        throw new PageFetchError('The site has no such page.');
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw new PageFetchError(`The site answered ${response.status}.`);
      }
      return await readLimited(response, maxBytes);
    }
  } catch (error) {
    if (error instanceof PageFetchError) throw error;
    if (signal.aborted) {
      throw new PageFetchError(`The site did not answer within ${timeoutMs} ms.`);
    }
    throw new PageFetchError('The site could not be reached.');
  }
}
