/**
 * What the extension's content script costs a page in bytes: the files every `content_scripts`
 * entry of a built manifest loads (JS and CSS), each gzipped (-9) on its own as it is served.
 * Shared by the overlay bench (test/bench/overlay.ts) and the budget test
 * (test/integration/extension-build.test.ts), which fails the build above the budget.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { constants, gzipSync } from 'node:zlib';

/** Issue 6: the content script and everything its manifest entry loads, at most 40 KB gzip. */
export const CONTENT_SCRIPT_BUDGET_BYTES = 40 * 1024;

export const gzipSize = (bytes: Buffer | string) =>
  gzipSync(bytes, { level: constants.Z_BEST_COMPRESSION }).length;

export interface FileSize {
  file: string;
  raw: number;
  gzip: number;
}

export interface ContentScriptSizes {
  files: FileSize[];
  raw: number;
  gzip: number;
}

/** Sizes of what the manifest in `extensionDir` (a built extension) injects into a page. */
export async function contentScriptSizes(extensionDir: string): Promise<ContentScriptSizes> {
  const manifest = JSON.parse(await readFile(path.join(extensionDir, 'manifest.json'), 'utf8')) as {
    content_scripts?: { js?: string[]; css?: string[] }[];
  };
  const names = new Set<string>();
  for (const cs of manifest.content_scripts ?? [])
    for (const f of [...(cs.js ?? []), ...(cs.css ?? [])]) names.add(f);
  if (!names.size) throw new Error(`the manifest in ${extensionDir} declares no content script`);
  // WXT bundles each content script into one file (no dynamic chunks); the overlay's CSS is
  // inlined into it (cssInjectionMode 'manual'), so a `css` entry appears only if that changes.
  const files: FileSize[] = [];
  for (const file of names) {
    const bytes = await readFile(path.join(extensionDir, file));
    files.push({ file, raw: bytes.length, gzip: gzipSize(bytes) });
  }
  return {
    files,
    raw: files.reduce((n, f) => n + f.raw, 0),
    gzip: files.reduce((n, f) => n + f.gzip, 0),
  };
}
