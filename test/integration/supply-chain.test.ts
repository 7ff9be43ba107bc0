/**
 * Dependencies are pinned by the lockfile: package-lock.json is committed (lockfile v3), names
 * every direct dependency of package.json at a version its range accepts, carries an integrity
 * hash for every package, and agrees with package.json the way `npm ci` demands (checked by
 * `npm ls --package-lock-only`, which reads the lockfile alone, without the network).
 * Known vulnerabilities are `npm run audit` (the registry's audit endpoint), run by CI.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
/** npm's own range semantics; semver is installed by the build tools (no types shipped). */
const semver = createRequire(import.meta.url)('semver') as {
  minVersion(range: string): { version: string } | null;
  satisfies(version: string, range: string): boolean;
  major(version: string): number;
};
const root = path.resolve(import.meta.dirname, '../..');

interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  engines?: Record<string, string>;
}

interface LockEntry {
  version?: string;
  engines?: Record<string, string> | string[];
  integrity?: string;
  link?: boolean;
  inBundle?: boolean;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

interface Lockfile {
  name: string;
  version: string;
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
}

type Version = [number, number, number];

function parseVersion(version: string): Version | null {
  const m = /^(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(version);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

const compare = (a: Version, b: Version) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/**
 * Whether `version` satisfies `range`, for the range shapes package.json uses: `^1.2.3`,
 * `~1.2.3`, `1.2.3`, and the partial versions `1.2` / `1` (any patch / any minor). Any other
 * shape throws, so a new kind of range is noticed rather than waved through.
 */
function satisfies(version: string, range: string): boolean {
  const v = parseVersion(version);
  if (!v) throw new Error(`not a release version: ${version}`);
  const m = /^([~^]?)(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(range.trim());
  if (!m) throw new Error(`range shape not understood by this check: "${range}"`);
  const [major, minor, patch] = [m[2], m[3], m[4]].map((n) => (n === undefined ? null : Number(n)));
  const low: Version = [major!, minor ?? 0, patch ?? 0];
  if (compare(v, low) < 0) return false;
  if (m[1] === '^') {
    // ^ allows changes that do not modify the left-most non-zero part.
    if (low[0] > 0 || minor === null) return v[0] === low[0];
    if (low[1] > 0 || patch === null) return v[0] === 0 && v[1] === low[1];
    return v[0] === 0 && v[1] === 0 && v[2] === low[2];
  }
  if (m[1] === '~') return v[0] === low[0] && (minor === null || v[1] === low[1]);
  // Plain: exact when all three parts are given, otherwise an x-range on the missing ones.
  if (minor === null) return v[0] === low[0];
  if (patch === null) return v[0] === low[0] && v[1] === low[1];
  return compare(v, low) === 0;
}

let pkg: PackageJson;
let lock: Lockfile;

beforeAll(async () => {
  pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
  lock = JSON.parse(await readFile(path.join(root, 'package-lock.json'), 'utf8'));
});

describe('the range check this test relies on', () => {
  it.each([
    ['1.4.0', '^1.2.3', true],
    ['2.0.0', '^1.2.3', false],
    ['1.2.2', '^1.2.3', false],
    ['0.45.9', '^0.45.4', true],
    ['0.46.0', '^0.45.4', false],
    ['0.0.4', '^0.0.3', false],
    ['2.10.7', '2.10', true],
    ['2.11.0', '2.10', false],
    ['5.9.3', '5.9', true],
    ['1.2.9', '~1.2.3', true],
    ['1.3.0', '~1.2.3', false],
    ['1.2.3', '1.2.3', true],
    ['1.2.4', '1.2.3', false],
  ])('%s against %s is %s', (version, range, expected) => {
    expect(satisfies(version, range)).toBe(expected);
  });

  it('refuses a range shape it does not understand', () => {
    expect(() => satisfies('1.0.0', '>=1 <3')).toThrow(/not understood/);
  });
});

describe('dependencies pinned by the lockfile', () => {
  it('package-lock.json is committed and at lockfile version 3 or later', async () => {
    expect(existsSync(path.join(root, 'package-lock.json'))).toBe(true);
    const { stdout } = await run('git', ['ls-files', '--error-unmatch', 'package-lock.json'], {
      cwd: root,
    });
    expect(stdout.trim()).toBe('package-lock.json');
    expect(lock.lockfileVersion).toBeGreaterThanOrEqual(3);
    expect(lock.name).toBe(pkg.name);
  });

  it('the lockfile records exactly the dependencies package.json declares', () => {
    const top = lock.packages[''];
    expect(top, 'the lockfile has no root package entry: run npm install').toBeDefined();
    for (const kind of ['dependencies', 'devDependencies', 'optionalDependencies'] as const)
      expect(top?.[kind] ?? {}, `${kind} differ: run npm install to update the lockfile`).toEqual(
        pkg[kind] ?? {},
      );
  });

  it('every direct dependency is locked at a version its range accepts', () => {
    const declared = {
      ...pkg.dependencies,
      ...pkg.devDependencies,
      ...pkg.optionalDependencies,
    };
    expect(Object.keys(declared).length).toBeGreaterThan(10);
    const problems: string[] = [];
    for (const [name, range] of Object.entries(declared)) {
      const entry = lock.packages[`node_modules/${name}`];
      if (!entry?.version) problems.push(`${name}: not in package-lock.json`);
      else if (!satisfies(entry.version, range))
        problems.push(`${name}: locked ${entry.version}, package.json wants ${range}`);
    }
    expect(problems, 'run npm install to bring the lockfile in line').toEqual([]);
  });

  it('every locked package carries a sha512 integrity hash', () => {
    const packages = Object.entries(lock.packages).filter(
      ([key, entry]) => key !== '' && !entry.link && !entry.inBundle,
    );
    expect(packages.length).toBeGreaterThan(50);
    const missing = packages
      .filter(([, entry]) => !/^sha512-[A-Za-z0-9+/]+=*$/.test(entry.integrity ?? ''))
      .map(([key]) => key);
    expect(missing).toEqual([]);
  });

  it('npm finds the lockfile consistent with package.json, as npm ci requires', async () => {
    const result = await run('npm', ['ls', '--package-lock-only', '--all', '--json'], {
      cwd: root,
      maxBuffer: 64 * 1024 * 1024,
      timeout: 60_000,
    }).catch((error: { stdout?: string; stderr?: string }) => ({
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? '',
    }));
    const tree = JSON.parse(result.stdout || '{}') as {
      name?: string;
      problems?: string[];
      dependencies?: Record<string, unknown>;
    };
    expect(tree.name).toBe(pkg.name);
    expect(Object.keys(tree.dependencies ?? {}).length).toBeGreaterThan(10);
    expect(tree.problems ?? []).toEqual([]);
  });
});

/** The oldest Node package.json's `engines` allows: every package must run on it. */
function oldestNode(): string {
  const range = pkg.engines?.node;
  const oldest = range ? semver.minVersion(range) : null;
  if (!oldest) throw new Error(`package.json engines.node is missing or not a range: ${range}`);
  return oldest.version;
}

function nodeRange(engines: unknown): string | null {
  if (!engines || typeof engines !== 'object' || Array.isArray(engines)) return null;
  const node = (engines as Record<string, unknown>).node;
  return typeof node === 'string' ? node : null;
}

describe('every package runs on the oldest Node that package.json allows', () => {
  it('package.json asks for Node 20', () => {
    expect(semver.major(oldestNode())).toBe(20);
  });

  it('no locked package asks for a newer Node (npm ci would warn EBADENGINE)', () => {
    const node = oldestNode();
    const refusing = Object.entries(lock.packages)
      .filter(([key]) => key !== '')
      .map(([key, entry]) => [key, entry.version, nodeRange(entry.engines)] as const)
      .filter(([, , range]) => range !== null && !semver.satisfies(node, range))
      .map(([key, version, range]) => `${key}@${version} wants node ${range}`);
    expect(refusing, `pin an older version with "overrides" in package.json`).toEqual([]);
  });

  it('no installed package asks for a newer Node', async () => {
    const node = oldestNode();
    const refusing: string[] = [];
    let read = 0;
    for (const [key, entry] of Object.entries(lock.packages)) {
      if (key === '' || entry.link) continue;
      const file = path.join(root, key, 'package.json');
      if (!existsSync(file)) continue; // optional, for another platform
      const installed = JSON.parse(await readFile(file, 'utf8')) as PackageJson;
      // A copy older or newer than the lockfile's is npm ci's business, not this check's.
      if (installed.version !== entry.version) continue;
      read++;
      const range = nodeRange(installed.engines);
      if (range !== null && !semver.satisfies(node, range))
        refusing.push(`${key}@${installed.version} wants node ${range}`);
    }
    expect(read).toBeGreaterThan(50);
    expect(refusing, `pin an older version with "overrides" in package.json`).toEqual([]);
  });
});
