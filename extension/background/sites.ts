import { KithError } from '../lib/errors';
import { isSupportedOrigin, originPattern, pageOrigin } from '../lib/hosts';
import type { SiteStatus } from '../lib/protocol';
import type { KeyValueStorage } from './session';

/** The part of `browser.scripting` used to run the overlay on sites the user turned Kith on for. */
export interface ScriptingApi {
  registerContentScripts(
    scripts: {
      id: string;
      matches: string[];
      js: string[];
      css?: string[];
      runAt?: 'document_idle';
    }[],
  ): Promise<unknown>;
  unregisterContentScripts(filter?: { ids?: string[] }): Promise<unknown>;
  getRegisteredContentScripts(filter?: { ids?: string[] }): Promise<{ id: string }[]>;
  executeScript(injection: { target: { tabId: number }; files: string[] }): Promise<unknown>;
  insertCSS?(injection: { target: { tabId: number }; files: string[] }): Promise<unknown>;
}

export interface PermissionsApi {
  contains(permissions: { origins: string[] }): Promise<boolean>;
  remove(permissions: { origins: string[] }): Promise<boolean>;
}

/** The overlay's built files, as the manifest lists them (e.g. `content-scripts/overlay.js`). */
export interface OverlayFiles {
  js: string[];
  css: string[];
}

const STORAGE_KEY = 'kith.sites';

export function scriptId(origin: string): string {
  return `kith-site-${origin.replace(/[^a-z0-9]+/gi, '-')}`;
}

/**
 * Sites the user turned Kith on for, beyond the supported ones. The popup asks for the
 * optional host permission (only a user gesture can); this then registers the overlay there
 * with `scripting.registerContentScripts`, remembers the origin, and re-registers on every
 * start (Firefox does not keep registrations across sessions).
 */
export class Sites {
  constructor(
    private readonly deps: {
      storage: KeyValueStorage;
      scripting: ScriptingApi | undefined;
      permissions: PermissionsApi | undefined;
      overlay: () => OverlayFiles;
    },
  ) {}

  async origins(): Promise<string[]> {
    const stored = (await this.deps.storage.get([STORAGE_KEY]))[STORAGE_KEY];
    return Array.isArray(stored) ? stored.filter((o): o is string => typeof o === 'string') : [];
  }

  async list(): Promise<SiteStatus[]> {
    return (await this.origins()).map((origin) => ({ origin, builtIn: false, enabled: true }));
  }

  /** Whether Kith runs on this page's origin (built in, or turned on by the user). */
  async status(url: string): Promise<SiteStatus | null> {
    const origin = pageOrigin(url);
    if (!origin) return null;
    if (isSupportedOrigin(origin)) return { origin, builtIn: true, enabled: true };
    return { origin, builtIn: false, enabled: (await this.origins()).includes(origin) };
  }

  async enable(originInput: string, tabId?: number): Promise<{ enabled: boolean }> {
    const origin = pageOrigin(originInput);
    if (!origin) {
      throw new KithError(
        'BAD_REQUEST',
        'Kith can only run on web pages (http or https addresses).',
      );
    }
    if (isSupportedOrigin(origin)) return { enabled: true };
    const { scripting, permissions } = this.deps;
    if (!scripting) {
      throw new KithError(
        'UNSUPPORTED',
        'This browser cannot add Kith to other sites. Update it and try again.',
      );
    }
    const pattern = originPattern(origin);
    if (!(await permissions?.contains({ origins: [pattern] }))) {
      throw new KithError(
        'PERMISSION',
        `Kith needs your permission to run on ${new URL(origin).hostname}. Click “Turn on Kith for this site” and choose Allow.`,
      );
    }
    await this.register([origin]);
    const origins = await this.origins();
    if (!origins.includes(origin))
      await this.deps.storage.set({ [STORAGE_KEY]: [...origins, origin] });
    if (tabId !== undefined) await this.inject(tabId);
    return { enabled: true };
  }

  async disable(originInput: string): Promise<{ enabled: boolean }> {
    const origin = pageOrigin(originInput);
    if (!origin || isSupportedOrigin(origin)) return { enabled: origin !== null };
    const id = scriptId(origin);
    const registered = await this.deps.scripting?.getRegisteredContentScripts({ ids: [id] });
    if (registered?.length) await this.deps.scripting?.unregisterContentScripts({ ids: [id] });
    const origins = await this.origins();
    await this.deps.storage.set({ [STORAGE_KEY]: origins.filter((o) => o !== origin) });
    await this.deps.permissions?.remove({ origins: [originPattern(origin)] }).catch(() => false);
    return { enabled: false };
  }

  /**
   * Re-registers the overlay on every stored site still permitted; forgets sites whose
   * permission the user revoked in the browser's settings.
   */
  async restore(): Promise<void> {
    const { permissions } = this.deps;
    const kept: string[] = [];
    const origins = await this.origins();
    for (const origin of origins) {
      if (await permissions?.contains({ origins: [originPattern(origin)] })) kept.push(origin);
    }
    if (kept.length !== origins.length) await this.deps.storage.set({ [STORAGE_KEY]: kept });
    await this.register(kept);
  }

  private async register(origins: string[]) {
    const { scripting } = this.deps;
    if (!scripting || origins.length === 0) return;
    const ids = origins.map(scriptId);
    const existing = new Set(
      (await scripting.getRegisteredContentScripts({ ids })).map((script) => script.id),
    );
    const files = this.deps.overlay();
    const fresh = origins
      .filter((origin) => !existing.has(scriptId(origin)))
      .map((origin) => ({
        id: scriptId(origin),
        matches: [originPattern(origin)],
        js: files.js,
        ...(files.css.length ? { css: files.css } : {}),
        runAt: 'document_idle' as const,
      }));
    if (fresh.length) await scripting.registerContentScripts(fresh);
  }

  /** Starts the overlay in the tab the user is looking at, so no reload is needed. */
  private async inject(tabId: number) {
    const files = this.deps.overlay();
    try {
      if (files.css.length)
        await this.deps.scripting?.insertCSS?.({ target: { tabId }, files: files.css });
      await this.deps.scripting?.executeScript({ target: { tabId }, files: files.js });
    } catch {
      // The tab navigated away or cannot be scripted: the overlay starts on its next load.
    }
  }
}
