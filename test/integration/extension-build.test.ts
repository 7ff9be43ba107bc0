/**
 * The store-ready builds: `npm run zip` (= `wxt zip && wxt zip -b firefox`, each of which runs
 * the production `wxt build` for its browser first) into a temporary folder of its own
 * (KITH_OUT_DIR, read by wxt.config.ts), so this never races a build another test or a person
 * runs into `.output/`. Then the manifests are checked for least privilege and icons, the
 * Firefox build goes through `web-ext lint`, and the three zips are opened.
 * About 30–60 s, most of it the two builds.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_SERVER_HOSTS, SUPPORTED_SITES } from '../../extension/lib/hosts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const ICON_SIZES = [16, 32, 48, 128];
const ALLOWED_PERMISSIONS = ['storage', 'notifications', 'alarms', 'scripting', 'activeTab'];
const OPTIONAL_SITES = ['https://*/*', 'http://*/*'];

let out: string;

interface Manifest {
  manifest_version: number;
  name: string;
  description: string;
  version: string;
  icons: Record<string, string>;
  permissions: string[];
  host_permissions?: string[];
  optional_host_permissions?: string[];
  optional_permissions?: string[];
  action?: { default_popup?: string; default_icon?: Record<string, string> };
  browser_action?: { default_popup?: string; default_icon?: Record<string, string> };
  background: { service_worker?: string; scripts?: string[] };
  content_scripts?: { matches: string[]; js: string[] }[];
  browser_specific_settings?: { gecko?: { id?: string } };
}

async function manifest(dir: string): Promise<Manifest> {
  return JSON.parse(await readFile(path.join(out, dir, 'manifest.json'), 'utf8'));
}

/** Width and height from a PNG's IHDR chunk (and a check that it is a PNG at all). */
async function pngSize(file: string): Promise<[number, number]> {
  const bytes = await readFile(file);
  expect(bytes.subarray(0, 8)).toEqual(
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  );
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

/** The file names in a zip, read from its central directory. */
async function zipEntries(file: string): Promise<string[]> {
  const zip = await readFile(file);
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  expect(eocd).toBeGreaterThan(-1);
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    expect(zip.readUInt32LE(at)).toBe(0x02014b50);
    const nameLength = zip.readUInt16LE(at + 28);
    const extra = zip.readUInt16LE(at + 30);
    const comment = zip.readUInt16LE(at + 32);
    names.push(zip.subarray(at + 46, at + 46 + nameLength).toString('utf8'));
    at += 46 + nameLength + extra + comment;
  }
  return names;
}

beforeAll(async () => {
  out = await mkdtemp(path.join(tmpdir(), 'kith-ext-'));
  await run('npm', ['run', 'zip'], {
    cwd: root,
    env: { ...process.env, KITH_OUT_DIR: out, CI: '1' },
    timeout: 300_000,
    maxBuffer: 16 * 1024 * 1024,
  });
}, 320_000);

afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

describe('the Chrome build (MV3)', () => {
  it('names itself and has an icon at every size', async () => {
    const m = await manifest('chrome-mv3');
    expect(m.manifest_version).toBe(3);
    expect(m.name).toBe('Kith');
    expect(m.description.length).toBeGreaterThan(20);
    for (const size of ICON_SIZES) {
      expect(m.icons[String(size)]).toBe(`icon/${size}.png`);
      expect(m.action?.default_icon?.[String(size)]).toBe(`icon/${size}.png`);
      expect(await pngSize(path.join(out, 'chrome-mv3', m.icons[String(size)]!))).toEqual([
        size,
        size,
      ]);
    }
    expect(m.action?.default_popup).toBe('popup.html');
    expect(m.background.service_worker).toBe('background.js');
  });

  it('asks only for what it uses: the supported sites and the local server, other sites optional', async () => {
    const m = await manifest('chrome-mv3');
    expect([...m.permissions].sort()).toEqual([...ALLOWED_PERMISSIONS].sort());
    expect(m.permissions).not.toContain('tabs');
    expect([...(m.host_permissions ?? [])].sort()).toEqual(
      [...SUPPORTED_SITES, ...LOCAL_SERVER_HOSTS].sort(),
    );
    expect(m.host_permissions).not.toContain('<all_urls>');
    expect(m.optional_host_permissions).toEqual(OPTIONAL_SITES);
    for (const script of m.content_scripts ?? []) {
      expect(SUPPORTED_SITES).toEqual(expect.arrayContaining(script.matches));
    }
  });
});

describe('the Firefox build (MV2)', () => {
  it('has its add-on id, icons, and the same least-privilege permissions', async () => {
    const m = await manifest('firefox-mv2');
    expect(m.manifest_version).toBe(2);
    expect(m.browser_specific_settings?.gecko?.id).toBe('kith@kith.app');
    expect(m.background.scripts).toEqual(['background.js']);
    expect(m.browser_action?.default_popup).toBe('popup.html');
    for (const size of ICON_SIZES) {
      expect(m.browser_action?.default_icon?.[String(size)]).toBe(`icon/${size}.png`);
      expect(existsSync(path.join(out, 'firefox-mv2', `icon/${size}.png`))).toBe(true);
    }
    // MV2 lists host permissions among the permissions, and optional hosts as optional permissions.
    expect([...m.permissions].sort()).toEqual(
      [...ALLOWED_PERMISSIONS, ...SUPPORTED_SITES, ...LOCAL_SERVER_HOSTS].sort(),
    );
    expect(m.optional_permissions).toEqual(OPTIONAL_SITES);
  });

  it('passes web-ext lint with no errors', async () => {
    const bin = path.join(root, 'node_modules/.bin/web-ext');
    const result = await run(
      bin,
      [
        'lint',
        '--source-dir',
        path.join(out, 'firefox-mv2'),
        '--output',
        'json',
        '--no-config-discovery',
      ],
      { cwd: root, maxBuffer: 16 * 1024 * 1024, timeout: 120_000 },
    ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
    const report = JSON.parse(result.stdout) as {
      summary: { errors: number; warnings: number };
      errors: { code: string; message: string; file?: string }[];
    };
    expect(report.errors.map((e) => `${e.code}: ${e.message} (${e.file ?? ''})`)).toEqual([]);
    expect(report.summary.errors).toBe(0);
  });
});

describe('npm run zip', () => {
  it('makes the Chrome and Firefox zips and the sources zip reviewers rebuild from', async () => {
    const files = await readdir(out);
    const chrome = files.find((f) => f.endsWith('-chrome.zip'));
    const firefox = files.find((f) => f.endsWith('-firefox.zip'));
    const sources = files.find((f) => f.endsWith('-sources.zip'));
    expect([chrome, firefox, sources].every(Boolean)).toBe(true);

    for (const zip of [chrome!, firefox!]) {
      const entries = await zipEntries(path.join(out, zip));
      expect(entries).toEqual(
        expect.arrayContaining(['manifest.json', 'background.js', 'popup.html', 'icon/128.png']),
      );
    }
    const source = await zipEntries(path.join(out, sources!));
    expect(source).toEqual(
      expect.arrayContaining([
        'package.json',
        'package-lock.json',
        'wxt.config.ts',
        'extension/entrypoints/background.ts',
      ]),
    );
    expect(
      source.filter(
        (f) => f.startsWith('node_modules/') || f.startsWith('test/') || f.startsWith('.'),
      ),
    ).toEqual([]);
  });
});
