import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import WebSocket from 'ws';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import type { BadgeApi } from '../../../extension/background/badge';
import type { NotificationsApi } from '../../../extension/background/notifications';
import {
  BackgroundService,
  type Broadcast,
  type Timings,
} from '../../../extension/background/service';
import type { PermissionsApi, ScriptingApi } from '../../../extension/background/sites';
import { type KithDb, openKithDb } from '../../../extension/store/db';
import type { RunningServer } from '../../../server/app';
import type { Deps } from '../../../server/deps';
import { openTestDatabase, type TestDatabase } from '../../fixtures/db';
import { makeDeps, type TestUser } from '../../fixtures/deps';
import { startLive } from '../../fixtures/live';

/** One real Kith server on PGlite per test file (PGlite takes seconds to start). */
export interface Kith {
  database: TestDatabase;
  deps: Deps;
  server: RunningServer;
  url: string;
  /** Stops the server: the extension is now "offline". */
  goOffline(): Promise<void>;
  /** Starts it again on the same port. */
  goOnline(): Promise<void>;
  close(): Promise<void>;
}

export async function startKith(): Promise<Kith> {
  const database = await openTestDatabase('pglite');
  const deps = makeDeps(database.db);
  let server = await startLive(deps);
  const port = server.port;
  const kith: Kith = {
    database,
    deps,
    server,
    url: server.url,
    async goOffline() {
      await server.close();
    },
    async goOnline() {
      const { startServer } = await import('../../../server/app');
      server = await startServer(deps, { port, host: '127.0.0.1' });
      kith.server = server;
    },
    async close() {
      await server.close();
      deps.hub.stop();
      await database.close();
    },
  };
  return kith;
}

/**
 * Starts one Kith for the enclosing file or `describe` (stopped after it) and resets
 * fakeBrowser before each test. The returned value stands for that Kith: read it only
 * inside tests and hooks, after `beforeAll` has run.
 */
export function useKith(): Kith {
  let current: Kith | undefined;
  beforeAll(async () => {
    current = await startKith();
  });
  afterAll(async () => {
    await current?.close();
  });
  beforeEach(() => {
    fakeBrowser.reset();
  });
  const started = (): Kith => {
    if (!current) throw new Error('Kith starts in beforeAll: use it inside a test or hook.');
    return current;
  };
  return new Proxy({} as Kith, {
    get: (_target, key) => Reflect.get(started(), key),
    set: (_target, key, value) => Reflect.set(started(), key, value),
  });
}

let dbCount = 0;

/** A fresh IndexedDB (the browser profile's) and a name for the extension's database in it. */
export function newProfile(): { idb: IDBFactory; name: string } {
  dbCount += 1;
  return { idb: new IDBFactory(), name: `kith-test-${process.pid}-${dbCount}` };
}

export function openDb(profile: { idb: IDBFactory; name: string }): KithDb {
  return openKithDb(profile.name, { indexedDB: profile.idb, IDBKeyRange });
}

/** `browser.scripting` is not in fakeBrowser: a small in-memory one. */
export class FakeScripting implements ScriptingApi {
  registered = new Map<string, { id: string; matches: string[]; js: string[] }>();
  injected: { tabId: number; files: string[] }[] = [];
  async registerContentScripts(scripts: { id: string; matches: string[]; js: string[] }[]) {
    for (const s of scripts) {
      if (this.registered.has(s.id)) throw new Error(`Duplicate script ID '${s.id}'`);
      this.registered.set(s.id, s);
    }
  }
  async unregisterContentScripts(filter?: { ids?: string[] }) {
    for (const id of filter?.ids ?? [...this.registered.keys()]) this.registered.delete(id);
  }
  async getRegisteredContentScripts(filter?: { ids?: string[] }) {
    return [...this.registered.values()].filter((s) => !filter?.ids || filter.ids.includes(s.id));
  }
  async executeScript(injection: { target: { tabId: number }; files: string[] }) {
    this.injected.push({ tabId: injection.target.tabId, files: injection.files });
    return [];
  }
}

/** `browser.permissions` is not in fakeBrowser either: origins granted so far. */
export class FakePermissions implements PermissionsApi {
  granted = new Set<string>();
  async contains(p: { origins: string[] }) {
    return p.origins.every((o) => this.granted.has(o));
  }
  async remove(p: { origins: string[] }) {
    for (const o of p.origins) this.granted.delete(o);
    return true;
  }
}

export interface Posted {
  type: keyof Broadcast;
  data: unknown;
  tabId: number | undefined;
}

export interface TestBackground {
  service: BackgroundService;
  db: KithDb;
  posts: Posted[];
  scripting: FakeScripting;
  permissions: FakePermissions;
  /** Stops the background as a suspended or killed worker would: sockets gone, nothing saved. */
  kill(): Promise<void>;
}

export const FAST: Partial<Timings> = {
  idleCloseMs: 300,
  catchUpMs: 1500,
  outboxWaitMs: 3000,
  attemptTimeoutMs: 4000,
  refreshDelayMs: 50,
  retryDelayMs: () => 100,
};

/** A background service as the entrypoint wires it, over fakeBrowser and a real server. */
export function startBackground(
  profile: { idb: IDBFactory; name: string },
  options: {
    timings?: Partial<Timings>;
    scripting?: FakeScripting;
    permissions?: FakePermissions;
    /** What the background talks to the server with (the real ones by default). */
    fetch?: typeof fetch;
    WebSocket?: typeof globalThis.WebSocket;
  } = {},
): TestBackground {
  const db = openDb(profile);
  const posts: Posted[] = [];
  const scripting = options.scripting ?? new FakeScripting();
  const permissions = options.permissions ?? new FakePermissions();
  const service = new BackgroundService({
    db,
    storage: fakeBrowser.storage.local,
    sessionStorage: fakeBrowser.storage.session,
    badge: fakeBrowser.action as unknown as BadgeApi,
    notifications: fakeBrowser.notifications as unknown as NotificationsApi,
    iconUrl: fakeBrowser.runtime.getURL('/icon/128.png'),
    scripting,
    permissions,
    overlay: () => ({ js: ['content-scripts/overlay.js'], css: [] }),
    post: async (type, data, tabId) => {
      posts.push({ type, data, tabId });
    },
    WebSocket: options.WebSocket ?? (WebSocket as unknown as typeof globalThis.WebSocket),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    timings: { ...FAST, ...options.timings },
  });
  return {
    service,
    db,
    posts,
    scripting,
    permissions,
    async kill() {
      await service.stop();
      db.close();
    },
  };
}

/**
 * Returns a `startBackground` whose backgrounds are all killed after each test
 * (the profile defaults to a fresh one).
 */
export function useBackgrounds() {
  let running: TestBackground[] = [];
  afterEach(async () => {
    for (const bg of running) await bg.kill();
    running = [];
  });
  return (
    profile: Parameters<typeof startBackground>[0] = newProfile(),
    options?: Parameters<typeof startBackground>[1],
  ): TestBackground => {
    const bg = startBackground(profile, options);
    running.push(bg);
    return bg;
  };
}

/** Puts a signed-in session in extension storage, as a previous run of the extension left it. */
export async function storeSession(user: TestUser, serverUrl: string) {
  await fakeBrowser.storage.local.set({
    'kith.serverUrl': serverUrl,
    'kith.token': user.token,
    'kith.user': { id: user.id, handle: user.handle, displayName: user.handle },
  });
}

/** Waits until `check` returns a truthy value (polling), or fails with `what`. */
export async function until<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
