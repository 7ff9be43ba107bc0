import type { ServerResponse } from 'node:http';
import type { VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';

/**
 * The server's own HTML is Preact components rendered to a string: every value goes in as a
 * text child or an attribute, so it is escaped by construction (no template strings of markup).
 */
export function renderPage(page: VNode): string {
  return `<!doctype html>\n${renderToString(page)}`;
}

/** Writes a rendered page with `headers` (content type and CSP included by the caller). */
export function sendPage(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  page: VNode,
): void {
  res.writeHead(status, headers);
  res.end(renderPage(page));
}
