/**
 * The non-empty segments of an address's path, each percent-decoded; a segment that does not
 * decode (`%zz`) stays as it is. Decoded as the server's resolver decodes (server/clips/resolve.ts).
 */
export function pathSegments(url: URL): string[] {
  return url.pathname
    .split('/')
    .filter(Boolean)
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    });
}
