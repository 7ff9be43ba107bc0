import { isGrantedServer, normalizeServerUrl, originPattern } from '../../lib/hosts';

/**
 * The server a person typed at sign-in, as an origin the extension may reach: normalized
 * (`normalizeServerUrl`), then, unless the manifest already grants it, asked for as an optional
 * host permission. The browser's prompt needs the click's user gesture, so call this before
 * awaiting anything else. Throws an Error that says what to do next.
 */
export async function serverToSignInTo(
  typed: string,
  requestOrigins: (origins: string[]) => Promise<boolean>,
): Promise<string> {
  const serverUrl = normalizeServerUrl(typed);
  if (isGrantedServer(serverUrl)) return serverUrl;
  const granted = await requestOrigins([originPattern(serverUrl)]);
  if (!granted) {
    throw new Error(
      `Kith needs your permission to reach ${new URL(serverUrl).host}. Sign in again and choose Allow when the browser asks, or check the server address.`,
    );
  }
  return serverUrl;
}
