import { Dexie, type DexieOptions, type EntityTable } from 'dexie';
import type { GroupSummary, MessageView, OutboxItem } from '../lib/protocol';

/** A group as the background last saw it: the server's summary, kept current by live events. */
export type CachedGroup = GroupSummary;

/** A recent message of a thread (a group), as the server sent it. */
export type CachedMessage = MessageView;

/** Small values that must outlive the service worker: the resume point of `sync.events`, and whose cache this is. */
export interface MetaRow {
  key: 'lastEventId' | 'account';
  value: unknown;
}

/** One queued send. Stays until the server acknowledges it (or the user discards a refused one). */
export interface OutboxRow {
  clientId: string;
  /** Order of creation: items are sent oldest first, so a thread keeps its order. */
  seq: number;
  /** Who queued it, on which server: it is only ever sent as that user, to that server. */
  userId: string;
  serverUrl: string;
  item: OutboxItem;
  status: 'pending' | 'failed';
  error: string | null;
  /** The code of the last error (a refusal's tRPC code, OFFLINE, TIMEOUT, …). */
  errorCode?: string | null;
  attempts: number;
  createdAt: number;
}

/** How many messages per thread the cache keeps. */
export const RECENT_PER_THREAD = 100;

/**
 * The extension's IndexedDB database (Dexie 4): a cache of what the server said, and the
 * outbox of what the server has not yet acknowledged.
 */
export class KithDb extends Dexie {
  groups!: EntityTable<CachedGroup, 'id'>;
  messages!: EntityTable<CachedMessage, 'id'>;
  meta!: EntityTable<MetaRow, 'key'>;
  outbox!: EntityTable<OutboxRow, 'clientId'>;

  constructor(name = 'kith', options?: DexieOptions) {
    super(name, options);
    this.version(1).stores({
      groups: 'id',
      messages: 'id, [groupId+seq]',
      meta: 'key',
      outbox: 'clientId, seq, [userId+serverUrl]',
    });
    // The local clip index: messages about a clip, found without asking the server.
    this.version(2).stores({
      messages: 'id, [groupId+seq], [clip.site+clip.clipId]',
    });
  }
}

/** Opens (creating on first use) the extension's database. Tests pass fake-indexeddb here. */
export function openKithDb(name = 'kith', options?: DexieOptions): KithDb {
  return new KithDb(name, options);
}
