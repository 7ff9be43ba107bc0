/**
 * Builds what the server serves from `dist/` (`npm run build:widgets`):
 *   dist/widgets/  kith.js, the small stable entry brands embed, plus one content-hashed chunk per
 *                  element and for the code they share (fetched only when needed, cached forever)
 *   dist/console/  the brand console, the share page and the demo page's styles, hashed, with
 *                  manifest.json naming them for the server's HTML
 * Each script and style sheet is written compressed too (`.gz`, `.br` beside it), which the
 * server hands to clients that accept them.
 * Old widget chunks are kept for a while: a page holding a kith.js from before this build still
 * finds the chunks it names.
 */
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import { build, type Metafile, type Plugin, transform } from 'esbuild';

export const repoRoot = path.resolve(import.meta.dirname, '..');
const src = (file: string) => path.join(repoRoot, 'widgets', file);

/** `import css from './x.css?inline'` (as in Vite): the file's CSS, minified, as a string. */
const inlineCss: Plugin = {
  name: 'inline-css',
  setup(b) {
    b.onResolve({ filter: /\.css\?inline$/ }, (args) => ({
      path: path.resolve(args.resolveDir, args.path.replace(/\?inline$/, '')),
      namespace: 'inline-css',
    }));
    b.onLoad({ filter: /.*/, namespace: 'inline-css' }, async (args) => {
      const css = await readFile(args.path, 'utf8');
      const { code } = await transform(css, { loader: 'css', minify: true, target: 'chrome100' });
      return { contents: code.trim(), loader: 'text', watchFiles: [args.path] };
    });
  },
};

/** Hashed chunk names as esbuild writes them (`[name]-[hash].js`). */
export const HASHED = /^[\w-]+-[A-Z0-9]{8}\.(js|css)$/;
const KEEP_OLD_CHUNKS_MS = 7 * 24 * 3600 * 1000;
/** Compressed copies beside a file (`kith.js.gz`, `kith.js.br`). */
const COMPRESSED = /\.(gz|br)$/;
const COMPRESSIBLE = /\.(js|css|svg|json|html)$/;

/** Writes `<file>.gz` (best compression) and `<file>.br` beside each compressible file over 256 B. */
async function precompress(outDir: string, files: string[]): Promise<void> {
  await Promise.all(
    files
      .filter((file) => COMPRESSIBLE.test(file))
      .map(async (file) => {
        const full = path.join(outDir, file);
        const body = await readFile(full);
        if (body.length <= 256) return; // Too small to gain anything.
        const [gz, br] = await Promise.all([
          promisify(gzip)(body, { level: constants.Z_BEST_COMPRESSION }),
          promisify(brotliCompress)(body, {
            params: { [constants.BROTLI_PARAM_SIZE_HINT]: body.length },
          }),
        ]);
        await Promise.all([writeFile(`${full}.gz`, gz), writeFile(`${full}.br`, br)]);
      }),
  );
}

export interface WidgetBuild {
  outDir: string;
  metafile: Metafile;
  /** Output files by name, relative to outDir. */
  files: string[];
}

export async function buildWidgets(
  outDir = path.join(repoRoot, 'dist/widgets'),
): Promise<WidgetBuild> {
  await mkdir(outDir, { recursive: true });
  const result = await build({
    entryPoints: [src('kith.ts')],
    outdir: outDir,
    bundle: true,
    splitting: true,
    format: 'esm',
    minify: true,
    target: ['chrome100', 'firefox100', 'safari15.4'],
    entryNames: '[name]',
    chunkNames: '[name]-[hash]',
    charset: 'utf8',
    legalComments: 'none',
    metafile: true,
    plugins: [inlineCss],
    logLevel: 'warning',
  });
  const files = Object.keys(result.metafile.outputs).map((f) => path.relative(outDir, f));
  await precompress(outDir, files);
  // Drop chunks (and their compressed copies) no build has written for a week.
  const now = Date.now();
  for (const name of await readdir(outDir)) {
    const original = name.replace(COMPRESSED, '');
    if (files.includes(original) || !HASHED.test(original)) continue;
    const info = await stat(path.join(outDir, name));
    if (now - info.mtimeMs > KEEP_OLD_CHUNKS_MS) await rm(path.join(outDir, name));
  }
  return { outDir, metafile: result.metafile, files };
}

export interface PagesManifest {
  console: { js: string; css: string };
  share: { js: string; css: string };
  demo: { css: string };
}

export async function buildPages(
  outDir = path.join(repoRoot, 'dist/console'),
): Promise<PagesManifest> {
  await rm(outDir, { recursive: true, force: true });
  const result = await build({
    entryPoints: {
      console: src('console/main.tsx'),
      share: src('share/main.tsx'),
      demo: src('demo/demo.css'),
    },
    outdir: outDir,
    bundle: true,
    splitting: true,
    format: 'esm',
    minify: true,
    target: ['chrome100', 'firefox100', 'safari15.4'],
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    charset: 'utf8',
    legalComments: 'none',
    metafile: true,
    plugins: [inlineCss],
    logLevel: 'warning',
  });
  const find = (entry: string, ext: string) => {
    for (const [file, out] of Object.entries(result.metafile.outputs)) {
      const name = path.basename(file);
      if (name.startsWith(`${entry}-`) && name.endsWith(ext) && (ext === '.css' || out.entryPoint))
        return name;
    }
    throw new Error(`the build wrote no ${entry}${ext}`);
  };
  const manifest: PagesManifest = {
    console: { js: find('console', '.js'), css: find('console', '.css') },
    share: { js: find('share', '.js'), css: find('share', '.css') },
    demo: { css: find('demo', '.css') },
  };
  await writeFile(path.join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  await precompress(
    outDir,
    Object.keys(result.metafile.outputs).map((f) => path.relative(outDir, f)),
  );
  return manifest;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const started = Date.now();
  const widgets = await buildWidgets();
  await buildPages();
  console.log(
    `widgets: ${widgets.files.length} files in dist/widgets, console in dist/console (${Date.now() - started} ms)`,
  );
}
