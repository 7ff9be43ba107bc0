import { KithError } from '../lib/errors';
import type { KeyValueStorage } from './session';

/**
 * Clip cards in the popup open their clip in a new tab with the overlay on their thread (and
 * at the share's moment). The popup closes as the tab opens, so the background opens the tab
 * and keeps what it was opened for here, by tab id, until that tab's overlay asks (once).
 * Kept in `storage.session` when there is one, so a worker restart in between loses nothing.
 */
export interface Opening {
  url: string;
  groupId: string;
  atSeconds: number | null;
  /** When the tab was opened (ms); an opening not asked for within `OPENING_TTL_MS` lapses. */
  at: number;
}

export const OPENING_TTL_MS = 60_000;
const KEY = 'kith.openings';
const MAX_URL = 2048;

/** The `clips.open` request, checked: an http(s) address, a group id, a moment or none. */
export function openingRequest(data: unknown): Omit<Opening, 'at'> {
  const d = (data ?? {}) as { url?: unknown; groupId?: unknown; atSeconds?: unknown };
  let url: URL | null = null;
  try {
    url = typeof d.url === 'string' && d.url.length <= MAX_URL ? new URL(d.url) : null;
  } catch {
    url = null;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:'))
    throw new KithError('BAD_REQUEST', 'Only a web address (http or https) can be opened.');
  if (typeof d.groupId !== 'string' || !/^[0-9a-f-]{36}$/i.test(d.groupId))
    throw new KithError('BAD_REQUEST', 'groupId must be a group id.');
  const at = d.atSeconds;
  if (at !== undefined && at !== null && (typeof at !== 'number' || !Number.isFinite(at) || at < 0))
    throw new KithError('BAD_REQUEST', 'atSeconds must be a moment in seconds.');
  return { url: url.href, groupId: d.groupId, atSeconds: typeof at === 'number' ? at : null };
}

export class Openings {
  private memory: Record<string, Opening> = {};

  constructor(
    private readonly storage: KeyValueStorage | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  private async load(): Promise<Record<string, Opening>> {
    if (!this.storage) return this.memory;
    const stored = (await this.storage.get([KEY]))[KEY];
    return stored && typeof stored === 'object' ? (stored as Record<string, Opening>) : {};
  }

  private async save(all: Record<string, Opening>): Promise<void> {
    const now = this.now();
    const kept = Object.fromEntries(
      Object.entries(all).filter(([, o]) => now - o.at < OPENING_TTL_MS),
    );
    if (this.storage) await this.storage.set({ [KEY]: kept });
    else this.memory = kept;
  }

  async remember(tabId: number, opening: Omit<Opening, 'at'>): Promise<void> {
    const all = await this.load();
    all[String(tabId)] = { ...opening, at: this.now() };
    await this.save(all);
  }

  /** What `tabId` was opened for, once; only on the host it was opened on, and not stale. */
  async take(tabId: number, url: string): Promise<Pick<Opening, 'groupId' | 'atSeconds'> | null> {
    const all = await this.load();
    const found = all[String(tabId)];
    if (!found) return null;
    delete all[String(tabId)];
    await this.save(all);
    let sameHost = false;
    try {
      sameHost = new URL(url).hostname === new URL(found.url).hostname;
    } catch {
      sameHost = false;
    }
    if (!sameHost || this.now() - found.at >= OPENING_TTL_MS) return null;
    return { groupId: found.groupId, atSeconds: found.atSeconds };
  }
}
