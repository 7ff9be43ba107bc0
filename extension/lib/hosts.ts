/** Where Kith runs and what it talks to, shared by the manifest, the background and the popup. */

/** Sites the overlay runs on out of the box; any other site is enabled per site from the popup. */
export const SUPPORTED_SITES = [
  '*://www.tiktok.com/*',
  '*://m.tiktok.com/*',
  '*://www.youtube.com/*',
  '*://m.youtube.com/*',
  '*://www.instagram.com/*',
];

/** The server `npm start` serves, which development builds talk to. */
export const LOCAL_SERVER_URL = 'http://localhost:8787';

/** Server hosts a development build grants up front; any other server is asked for at sign-in. */
export const LOCAL_SERVER_HOSTS = ['http://localhost/*', 'http://127.0.0.1/*'];

/**
 * KITH_SERVER_URL as the build saw it (wxt.config.ts defines it; a store build always has it),
 * or null in development builds, unit tests and the config itself.
 */
declare const __KITH_SERVER_URL__: string | undefined;
export const BUILT_SERVER_URL: string | null =
  typeof __KITH_SERVER_URL__ === 'string' && __KITH_SERVER_URL__ ? __KITH_SERVER_URL__ : null;

/** The server a fresh install talks to: the one the build names, else the local one. */
export const DEFAULT_SERVER_URL = BUILT_SERVER_URL ?? LOCAL_SERVER_URL;

/** Server hosts the manifest grants: the built-in server's origin, or the local server's hosts. */
export function serverHostPermissions(builtServerUrl: string | null): string[] {
  return builtServerUrl ? [originPattern(builtServerUrl)] : LOCAL_SERVER_HOSTS;
}

/**
 * The value of KITH_SERVER_URL checked for a store build: the https origin of the server, like
 * `https://kith.example.com` (a trailing slash is dropped). Throws a message naming the variable.
 */
export function releaseServerOrigin(value: string | undefined): string {
  const example = 'KITH_SERVER_URL=https://kith.example.com npm run zip';
  if (!value?.trim())
    throw new Error(
      `KITH_SERVER_URL is not set. Store builds talk to your server: set it to the server's https origin, e.g. ${example}`,
    );
  let parsed: URL;
  try {
    parsed = new URL(value.trim());
  } catch {
    throw new Error(`KITH_SERVER_URL "${value}" is not a web address. Use one like ${example}`);
  }
  if (
    parsed.protocol !== 'https:' ||
    parsed.username ||
    parsed.password ||
    parsed.pathname !== '/' ||
    parsed.search ||
    parsed.hash
  )
    throw new Error(
      `KITH_SERVER_URL must be an https origin with no path, like https://kith.example.com (got "${value}")`,
    );
  const problem = hostNameProblem(parsed.hostname);
  if (problem) throw new Error(`KITH_SERVER_URL "${value}": ${problem}. Use one like ${example}`);
  const name = parsed.hostname.replace(/\.$/, '');
  if (isIpLiteral(name))
    throw new Error(
      `KITH_SERVER_URL "${value}" is an IP address; store builds need the server's public https name, like ${example}`,
    );
  if (name === 'localhost' || name.endsWith('.localhost'))
    throw new Error(
      `KITH_SERVER_URL names this machine ("${value}"); store builds need the server's public https name, like ${example}`,
    );
  if (!name.includes('.'))
    throw new Error(
      `KITH_SERVER_URL "${value}" is a single-label name that only a local network knows; store builds need the server's public https name, like ${example}`,
    );
  return parsed.origin;
}

/**
 * The origin of an http(s) page address, or null for anything else (chrome://, about:, file:,
 * the extension's own pages, the web stores) where an extension cannot run.
 */
export function pageOrigin(url: string | undefined | null): string | null {
  if (!url) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return null;
  if (!parsed.hostname) return null;
  return parsed.origin;
}

/** The match pattern that grants one origin, e.g. `https://example.com/*`. Ports are not part of match patterns. */
export function originPattern(origin: string): string {
  const parsed = new URL(origin);
  return `${parsed.protocol}//${parsed.hostname}/*`;
}

/** Whether a match pattern like `*://www.tiktok.com/*` covers the origin. */
function patternCovers(pattern: string, origin: URL): boolean {
  const match = /^(\*|https?):\/\/([^/]+)\//.exec(pattern);
  if (!match) return false;
  const [, scheme, host] = match;
  if (scheme !== '*' && `${scheme}:` !== origin.protocol) return false;
  if (host === '*') return true;
  if (host?.startsWith('*.')) {
    const base = host.slice(2);
    return origin.hostname === base || origin.hostname.endsWith(`.${base}`);
  }
  return origin.hostname === host;
}

/** Whether Kith runs on this origin without the user turning it on. */
export function isSupportedOrigin(origin: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  return SUPPORTED_SITES.some((pattern) => patternCovers(pattern, parsed));
}

/** Whether the manifest already grants this server (no permission prompt needed). */
export function isGrantedServer(serverUrl: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(serverUrl);
  } catch {
    return false;
  }
  return serverHostPermissions(BUILT_SERVER_URL).some((pattern) => patternCovers(pattern, parsed));
}

/** Whether a parsed host name is an IP literal (v4 as the URL parser writes it, or v6 in brackets). */
function isIpLiteral(hostname: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname) || hostname.startsWith('[');
}

/**
 * What is wrong with a parsed host name as a server's name, or null: wildcards, empty labels
 * (`.`, `a..b`), labels over 63 characters, names over 253. One trailing dot is allowed.
 */
export function hostNameProblem(hostname: string): string | null {
  if (hostname.includes('*')) return 'wildcards (*) are not allowed; name one server';
  if (isIpLiteral(hostname)) return null;
  const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
  if (name.length > 253) return 'the host name is longer than 253 characters';
  const labels = name.split('.');
  if (labels.some((label) => label === ''))
    return 'the host name has an empty part (like "a..b" or ".")';
  if (labels.some((label) => label.length > 63))
    return 'a part of the host name is longer than 63 characters';
  return null;
}

/** Hosts that are this machine or a local network, where servers rarely have certificates. */
function isLocalHost(host: string): boolean {
  const name = host.toLowerCase();
  return (
    name === 'localhost' ||
    name.endsWith('.localhost') ||
    /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || // an IPv4 literal
    name.startsWith('[') // an IPv6 literal
  );
}

/**
 * A server address as typed by a person, as the origin Kith talks to: `kith.example.com` →
 * `https://kith.example.com`; `127.0.0.1:45999`, `localhost:8787`, `192.168.1.20:8787` → http
 * (no scheme typed and the host is this machine, a `.localhost` name or an IP literal); a full
 * URL keeps its scheme and loses its path (`/trpc`, `/privacy`…). Empty means the default
 * server. Throws an Error that says what is wrong.
 */
export function normalizeServerUrl(input: string): string {
  const typed = input.trim();
  if (!typed) return DEFAULT_SERVER_URL;
  if (/^(?:[a-z][a-z0-9+.-]*:\/\/)?[^/?#\\]*@/i.test(typed)) throw credentialsError();
  let value = typed;
  if (!/^[a-z][a-z0-9+.-]*:/i.test(value) || /^[^/]+:\d+(\/|$)/.test(value)) {
    const host = /^(\[[^\]]*\]|[^/:?#]*)/.exec(value)?.[1] ?? '';
    value = `${isLocalHost(host) ? 'http' : 'https'}://${value}`;
  }
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new Error(
      `"${typed}" is not a web address. Type your server's address, like kith.example.com or 127.0.0.1:8787.`,
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error('The server address must start with http:// or https://, or with no scheme.');
  }
  if (!parsed.hostname) {
    throw new Error(
      `"${typed}" is not a web address. Type your server's address, like kith.example.com.`,
    );
  }
  if (parsed.username || parsed.password) throw credentialsError();
  const problem = hostNameProblem(parsed.hostname);
  if (problem) {
    throw new Error(
      `"${typed.length > 80 ? `${typed.slice(0, 80)}…` : typed}" is not a server address: ${problem}. Type your server's address, like kith.example.com.`,
    );
  }
  return parsed.origin;
}

function credentialsError(): Error {
  return new Error(
    'Credentials are not allowed in the server address: leave the name and password out and sign in with them below instead.',
  );
}

/** The WebSocket address of a server's tRPC endpoint. */
export function socketUrl(serverUrl: string): string {
  const url = new URL(`${serverUrl.replace(/\/+$/, '')}/trpc`);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}
