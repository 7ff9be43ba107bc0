/**
 * How any web page is named as a clip, shared by the server's resolver (server/clips/resolve.ts)
 * and the extension's generic adapter (extension/sites/generic.ts), so both name a page the same
 * way. It lives in shared/ and imports nothing, like everything the parts share.
 */

// Parameters that only say where a click came from; the page is the same without them. Generic
// names such as `ref` or `source` stay: some sites route on them.
const TRACKING_PARAMS: ReadonlySet<string> = new Set([
  '_ga',
  '_gl',
  '_hsenc',
  '_hsmi',
  'dclid',
  'fbclid',
  'gbraid',
  'gclid',
  'gclsrc',
  'igsh',
  'igshid',
  'is_from_webapp',
  'mc_cid',
  'mc_eid',
  'mibextid',
  'mkt_tok',
  'msclkid',
  'ref_src',
  'sender_device',
  'share_id',
  'si',
  'spm',
  'srsltid',
  'ttclid',
  'twclid',
  'wbraid',
  'yclid',
]);

/** Whether a query parameter's name (as written, maybe percent-encoded) only tracks a click. */
export function isTrackingParam(rawName: string): boolean {
  try {
    const name = decodeURIComponent(rawName.replace(/\+/g, ' ')).toLowerCase();
    return name.startsWith('utm_') || TRACKING_PARAMS.has(name);
  } catch {
    return false;
  }
}

/**
 * A web page's address without its fragment and tracking parameters, the host without a
 * trailing dot, and percent escapes in one spelling (`%2f` and `%2F` are the same character).
 * The other parameters are kept as written rather than re-serialized through URLSearchParams,
 * which would rewrite encodings (`%20` → `+`) that some servers treat differently.
 */
export function cleanWebUrl(url: URL): string {
  const host = url.hostname.replace(/\.$/, '');
  const port = url.port === '' ? '' : `:${url.port}`;
  const kept = url.search
    .slice(1)
    .split('&')
    .filter((pair) => pair !== '' && !isTrackingParam(pair.split('=', 1)[0]!));
  const query = kept.length > 0 ? `?${kept.join('&')}` : '';
  return `${url.protocol}//${host}${port}${url.pathname}${query}`.replace(/%[0-9a-f]{2}/gi, (pct) =>
    pct.toUpperCase(),
  );
}
