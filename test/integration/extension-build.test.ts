/**
 * The store-ready builds: `KITH_SERVER_URL=https://kith.example.com npm run zip` (= `wxt zip &&
 * wxt zip -b firefox`, each of which runs the production `wxt build` for its browser first,
 * talking to that server) into a temporary folder of its own
 * (KITH_OUT_DIR, read by wxt.config.ts), so this never races a build another test or a person
 * runs into `.output/`. Then the manifests are checked for least privilege and icons, their
 * permissions against the APIs the code calls (both ways), the content script against its size
 * budget, the Firefox build goes through `web-ext lint`, and the three zips are opened. One
 * more `wxt build` without KITH_SERVER_URL is the development build `npm start` makes, which
 * talks to the local server; `npm run zip` without it stops before building.
 * About 40–80 s, most of it the three builds.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_SERVER_HOSTS, SUPPORTED_SITES } from '../../extension/lib/hosts';

/** The server the store builds here are made for. */
const SERVER_URL = 'https://kith.example.com';
const SERVER_HOSTS = [`${SERVER_URL}/*`];

import { CONTENT_SCRIPT_BUDGET_BYTES, contentScriptSizes } from '../bench/content-script-size';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const ICON_SIZES = [16, 32, 48, 128];
const ALLOWED_PERMISSIONS = ['storage', 'notifications', 'alarms', 'scripting', 'activeTab'];
const OPTIONAL_SITES = ['https://*/*', 'http://*/*'];

/**
 * Permission-gated extension APIs (`browser.<namespace>` / `chrome.<namespace>`) and the
 * permission each needs. A namespace used in the code must be here or in UNGATED_APIS, so a new
 * API cannot slip past the check below.
 */
const API_PERMISSIONS: Record<string, string> = {
  alarms: 'alarms',
  bookmarks: 'bookmarks',
  browsingData: 'browsingData',
  contentSettings: 'contentSettings',
  contextMenus: 'contextMenus',
  cookies: 'cookies',
  debugger: 'debugger',
  declarativeContent: 'declarativeContent',
  declarativeNetRequest: 'declarativeNetRequest',
  downloads: 'downloads',
  history: 'history',
  identity: 'identity',
  idle: 'idle',
  management: 'management',
  menus: 'menus',
  notifications: 'notifications',
  offscreen: 'offscreen',
  pageCapture: 'pageCapture',
  privacy: 'privacy',
  proxy: 'proxy',
  scripting: 'scripting',
  search: 'search',
  sessions: 'sessions',
  sidePanel: 'sidePanel',
  storage: 'storage',
  tabCapture: 'tabCapture',
  tabGroups: 'tabGroups',
  topSites: 'topSites',
  tts: 'tts',
  webNavigation: 'webNavigation',
  webRequest: 'webRequest',
};
/** Namespaces any extension may call without a permission (`tabs` only hides tab addresses). */
const UNGATED_APIS = [
  'action',
  'browserAction',
  'commands',
  'extension',
  'i18n',
  'omnibox',
  'pageAction',
  'permissions',
  'runtime',
  'tabs',
  'windows',
];
/**
 * Permissions that gate no namespace, and the code that uses each: `activeTab` lets the popup
 * read the address of the tab it was opened on (no `tabs` permission needed for that).
 */
const OTHER_PERMISSION_USES: Record<string, RegExp> = {
  activeTab: /\btabs\.query\(\s*\{\s*active:\s*true/,
};

/** Every .ts/.tsx file of the extension's source, without comments. */
async function extensionSources(): Promise<{ file: string; code: string }[]> {
  const dir = path.join(root, 'extension');
  const files = (await readdir(dir, { recursive: true }))
    .filter((f) => /\.tsx?$/.test(f) && !f.endsWith('.d.ts'))
    .sort();
  return Promise.all(
    files.map(async (file) => ({
      file: `extension/${file}`,
      code: (await readFile(path.join(dir, file), 'utf8'))
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/(^|[\s;{}()])\/\/.*$/gm, '$1'),
    })),
  );
}

/** Which `browser.<namespace>` / `chrome.<namespace>` the code uses, with the files using each. */
function apiNamespaces(sources: { file: string; code: string }[]): Map<string, string[]> {
  const used = new Map<string, string[]>();
  for (const { file, code } of sources)
    for (const m of code.matchAll(/(?<![\w.$'"`/-])(?:browser|chrome)\??\.([A-Za-z]+)/g)) {
      const files = used.get(m[1]!) ?? [];
      if (!files.includes(file)) files.push(file);
      used.set(m[1]!, files);
    }
  return used;
}

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
  commands?: Record<string, { suggested_key?: { default?: string }; description?: string }>;
  browser_specific_settings?: {
    gecko?: {
      id?: string;
      data_collection_permissions?: { required?: string[]; optional?: string[] };
    };
  };
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
    env: { ...process.env, KITH_OUT_DIR: out, KITH_SERVER_URL: SERVER_URL, CI: '1' },
    timeout: 300_000,
    maxBuffer: 16 * 1024 * 1024,
  });
}, 320_000);

/** Every file's text in a build folder, joined (to look for addresses in the bundles). */
async function buildText(dir: string): Promise<string> {
  const files = (await readdir(dir, { recursive: true })).filter((f) =>
    /\.(js|html|json)$/.test(f),
  );
  const texts = await Promise.all(files.map((f) => readFile(path.join(dir, f), 'utf8')));
  return texts.join('\n');
}

describe('the server address', () => {
  it('store builds talk to the server KITH_SERVER_URL names, and ask for no local host', async () => {
    for (const dir of ['chrome-mv3', 'firefox-mv2']) {
      const m = await manifest(dir);
      const hosts = [
        ...(m.host_permissions ?? []),
        ...m.permissions.filter((p) => p.includes(':')),
      ];
      expect(hosts).toEqual(expect.arrayContaining(SERVER_HOSTS));
      expect(
        hosts.filter((h) => /localhost|127\.0\.0\.1/.test(h)),
        dir,
      ).toEqual([]);
      const code = await buildText(path.join(out, dir));
      expect(code).toContain(SERVER_URL);
      expect(code).not.toContain('localhost:8787');
    }
  });

  it('npm run zip without KITH_SERVER_URL stops and says to set it', async () => {
    const { KITH_SERVER_URL: _, ...env } = process.env;
    const failed = await run('npm', ['run', 'zip'], {
      cwd: root,
      env: { ...env, KITH_OUT_DIR: path.join(out, 'unset'), CI: '1' },
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    }).then(
      () => null,
      (error: { stdout?: string; stderr?: string }) => `${error.stdout}\n${error.stderr}`,
    );
    expect(failed, 'npm run zip succeeded without KITH_SERVER_URL').not.toBeNull();
    expect(failed).toMatch(/KITH_SERVER_URL is not set/);
    expect(existsSync(path.join(out, 'unset'))).toBe(false);
  });

  it('a development build (npm start, no KITH_SERVER_URL) talks to the local server', async () => {
    const { KITH_SERVER_URL: _, ...env } = process.env;
    const dev = path.join(out, 'dev');
    await run(path.join(root, 'node_modules/.bin/wxt'), ['build'], {
      cwd: root,
      env: { ...env, KITH_OUT_DIR: dev, CI: '1' },
      timeout: 180_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const m = JSON.parse(await readFile(path.join(dev, 'chrome-mv3/manifest.json'), 'utf8'));
    expect([...m.host_permissions].sort()).toEqual(
      [...SUPPORTED_SITES, ...LOCAL_SERVER_HOSTS].sort(),
    );
    const code = await buildText(path.join(dev, 'chrome-mv3'));
    expect(code).toContain('http://localhost:8787');
    expect(code).not.toContain(SERVER_URL);
  }, 200_000);
});

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

  it('gives people a keyboard shortcut to open the overlay, Alt+Shift+K, in both builds', async () => {
    for (const dir of ['chrome-mv3', 'firefox-mv2']) {
      const m = await manifest(dir);
      expect(m.commands?.['open-overlay'], dir).toEqual({
        suggested_key: { default: 'Alt+Shift+K' },
        description: expect.stringMatching(/^Open Kith/),
      });
    }
  });

  it('asks only for what it uses: the supported sites and its server, other sites optional', async () => {
    const m = await manifest('chrome-mv3');
    expect([...m.permissions].sort()).toEqual([...ALLOWED_PERMISSIONS].sort());
    expect(m.permissions).not.toContain('tabs');
    expect([...(m.host_permissions ?? [])].sort()).toEqual(
      [...SUPPORTED_SITES, ...SERVER_HOSTS].sort(),
    );
    expect(m.host_permissions).not.toContain('<all_urls>');
    expect(m.optional_host_permissions).toEqual(OPTIONAL_SITES);
    for (const script of m.content_scripts ?? []) {
      expect(SUPPORTED_SITES).toEqual(expect.arrayContaining(script.matches));
    }
  });
});

describe('the permissions match the code', () => {
  /** Non-host permissions of a built manifest (MV2 lists hosts among its permissions). */
  const apiPermissions = (m: Manifest) =>
    m.permissions.filter((p) => !p.includes(':') && p !== '<all_urls>').sort();

  it('the scan sees every extension API the code calls', async () => {
    const sources = await extensionSources();
    const used = apiNamespaces(sources);
    // The scan works: the background's alarms and the popup's tab query are found.
    expect(used.get('alarms')).toContain('extension/entrypoints/background.ts');
    expect(used.get('tabs')).toContain('extension/entrypoints/popup/main.tsx');
    const unknown = [...used.keys()].filter(
      (ns) => !(ns in API_PERMISSIONS) && !UNGATED_APIS.includes(ns),
    );
    expect(unknown, 'add these namespaces to API_PERMISSIONS or UNGATED_APIS').toEqual([]);
    // The API object is only ever used as `browser.<namespace>`, never handed around whole
    // (which would hide what is called through it from this scan).
    const bare = sources.flatMap(({ file, code }) =>
      [...code.matchAll(/(?<![\w.$'"`/-])(?:browser|chrome)\b(?!\??\.)\s*[,)\];]/g)].map(
        (m) => `${file}: ${m[0]}`,
      ),
    );
    expect(bare).toEqual([]);
  });

  for (const [label, dir] of [
    ['Chrome', 'chrome-mv3'],
    ['Firefox', 'firefox-mv2'],
  ] as const) {
    it(`every permission the ${label} build requests is used by the code, and every permission the code needs is requested`, async () => {
      const m = await manifest(dir);
      const requested = apiPermissions(m);
      const sources = await extensionSources();
      const used = apiNamespaces(sources);
      const needed = [
        ...new Set([...used.keys()].flatMap((ns) => API_PERMISSIONS[ns] ?? [])),
        ...Object.entries(OTHER_PERMISSION_USES)
          .filter(([, use]) => sources.some(({ code }) => use.test(code)))
          .map(([permission]) => permission),
      ].sort();
      const unused = requested.filter((p) => !needed.includes(p));
      const missing = needed.filter((p) => !requested.includes(p));
      expect(unused, 'requested but unused: drop them from wxt.config.ts').toEqual([]);
      expect(missing, 'used but not requested: add them to wxt.config.ts').toEqual([]);
      // Optional hosts are asked for at run time, from the popup.
      const optionalHosts = m.optional_host_permissions ?? m.optional_permissions ?? [];
      const asks = used.get('permissions') ?? [];
      expect(optionalHosts.length > 0).toBe(
        sources.some(
          ({ file, code }) => asks.includes(file) && /permissions\.request\(/.test(code),
        ),
      );
    });
  }
});

describe('the content script size budget', () => {
  it('the content script and everything its manifest entry loads stay within 40 KB gzip', async () => {
    const sizes = await contentScriptSizes(path.join(out, 'chrome-mv3'));
    const files = sizes.files.map((f) => `${f.file} ${f.raw} B, ${f.gzip} B gz`).join('; ');
    console.log(
      `content script: ${sizes.gzip} B gzip (${(sizes.gzip / 1024).toFixed(2)} KB of ${CONTENT_SCRIPT_BUDGET_BYTES / 1024} KB): ${files}`,
    );
    expect(sizes.files.map((f) => f.file)).toContain('content-scripts/overlay.js');
    expect(
      sizes.gzip,
      `over the content-script budget: ${files}. See what grew with npm run bench -- overlay`,
    ).toBeLessThanOrEqual(CONTENT_SCRIPT_BUDGET_BYTES);
  });

  it('is a production build wherever it is made, with no tRPC client in it', async () => {
    // This suite runs with NODE_ENV=test, which Vite would otherwise follow into a development
    // build: a file name and line number on every element, and Preact's devtools bridge.
    expect(process.env.NODE_ENV).toBe('test');
    const script = await readFile(path.join(out, 'chrome-mv3/content-scripts/overlay.js'), 'utf8');
    expect(script).not.toMatch(/lineNumber:|columnNumber:/);
    expect(script).not.toContain('__PREACT_DEVTOOLS__');
    // The overlay reaches the server through the background's messages (`api.call`); the tRPC
    // client is for the popup only.
    expect(script).not.toContain('TRPCClientError');
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
      [...ALLOWED_PERMISSIONS, ...SUPPORTED_SITES, ...SERVER_HOSTS].sort(),
    );
    expect(m.optional_permissions).toEqual(OPTIONAL_SITES);
  });

  it('tells Firefox users at install what it sends: account details, messages, the clips they watch and share, their orders', async () => {
    const m = await manifest('firefox-mv2');
    const consent = m.browser_specific_settings?.gecko?.data_collection_permissions;
    expect([...(consent?.required ?? [])].sort()).toEqual(
      [
        'authenticationInfo',
        'browsingActivity',
        'financialAndPaymentInfo',
        'personalCommunications',
        'websiteContent',
      ].sort(),
    );
    expect(consent?.required).not.toContain('none');
    expect(consent?.optional ?? []).toEqual([]);
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
