/**
 * Production runs the compiled server: `npm run build:server` bundles server/ (our code only,
 * packages stay in node_modules) into dist/server/main.js, and `node dist/server/main.js` runs
 * it with plain Node: no tsx, no TypeScript at run time. Migrations, widget builds and pages are
 * found from there as they are from server/.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerProcess, spawnServer } from '../fixtures/process';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const compiled = path.join(root, 'dist/server/main.js');

let dataDir: string;
let server: ServerProcess | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'kith-dist-'));
  await rm(compiled, { force: true });
  await run('npm', ['run', 'build:server'], { cwd: root, timeout: 120_000 });
}, 130_000);

afterAll(async () => {
  await server?.kill();
  await rm(dataDir, { recursive: true, force: true });
});

describe('the compiled server', () => {
  it('npm run build:server writes dist/server/main.js with our code in it and the packages left out', async () => {
    expect(existsSync(compiled)).toBe(true);
    const code = await readFile(compiled, 'utf8');
    expect(code).toContain('Kith is running at');
    // Packages are imported from node_modules, not copied in.
    expect(code).toMatch(/from "@trpc\/server/);
    expect(code).not.toContain('class TRPCError');
  });

  it('starts with plain Node in production, applies the migrations and answers /health', async () => {
    server = await spawnServer(
      { NODE_ENV: 'production', DATA_DIR: dataDir, NODE_OPTIONS: '' },
      undefined,
      // PGlite's first start (WebAssembly, migrations) is slow on a busy machine.
      { args: ['--enable-source-maps', compiled], startTimeoutMs: 90_000 },
    );
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    // A sign-up is stored, so the migrations were found and applied from dist/server.
    const res = await fetch(`${server.url}/trpc/auth.register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ handle: 'newcomer', password: 'correct horse battery' }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const body = (await res.json()) as { result: { data: { user: { handle: string } } } };
    expect(body.result.data.user.handle).toBe('newcomer');
    // The front door is a page (rendered by the compiled JSX), not "Not found".
    const home = await fetch(`${server.url}/`);
    expect(home.status).toBe(200);
    expect(home.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await home.text();
    expect(html).toContain('href="/privacy"');
    const privacy = await fetch(`${server.url}/privacy`);
    expect(privacy.status).toBe(200);
    expect(await privacy.text()).toContain('Kith privacy notice');
    // No TypeScript loader was involved.
    expect(server.child.spawnargs.join(' ')).not.toMatch(/tsx/);
  }, 100_000);
});
