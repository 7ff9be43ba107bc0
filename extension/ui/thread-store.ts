import { signal as createSignal, type ReadonlySignal } from '@preact/signals';
import type { MessageView, OutboxEntry, SessionState, SyncEvent } from '../lib/protocol';
import { randomId } from '../lib/random-id';
import type { ClipInfo } from '../sites/types';
import type { KithClient } from './client';
import { senderName } from './names';

/** One line of a clip thread: a stored message, or one of ours still on its way. */
export interface ThreadItem {
  /** Stable across the pending → stored transition, for keyed rendering. */
  key: string;
  id: string | null;
  /** Its place in the group's order, once stored. */
  seq: number | null;
  clientId: string;
  kind: string;
  senderId: string | null;
  senderName: string;
  mine: boolean;
  body: string | null;
  /** A product shared in the thread (kind 'product'): it renders as a product card. */
  productId?: string | null;
  atSeconds: number | null;
  /** The clip a share (kind 'clip') is about, as its message named it. */
  clip?: ThreadClip | null;
  createdAt: string;
  editedAt?: string | null;
  deleted: boolean;
  /** Reactions on a stored message, each emoji with how many and who. */
  reactions?: { emoji: string; count: number; userIds: string[] }[];
  /**
   * `sent`: stored on the server; `sending`: on its way; `queued`: waiting in the outbox for
   * the connection to come back; `failed`: refused (it can be retried or discarded).
   */
  state: 'sent' | 'sending' | 'queued' | 'failed';
  error?: string;
}

export interface Thread {
  items: ReadonlySignal<ThreadItem[]>;
  status: ReadonlySignal<'loading' | 'ready' | 'error'>;
  error: ReadonlySignal<string | null>;
  send(body: string, atSeconds: number | null): Promise<void>;
  retry(clientId: string): void;
  discard(clientId: string): void;
  reload(): void;
}

type MessageClip = { site: string; clipId: string; url: string } | null;

export interface ThreadClip {
  site: string;
  clipId: string;
  url: string;
  title: string | null;
  thumbnailUrl: string | null;
}

/** A thread: one group's messages about one clip (the overlay), or all of them (`clip` unset). */
export interface ThreadTarget {
  groupId: string;
  clip?: ClipInfo | null;
}

/** A `reaction.changed` event's message and its reactions now, if it is one. */
function reactionsOf(
  event: SyncEvent,
): { messageId: string; reactions: NonNullable<ThreadItem['reactions']> } | null {
  if (event.type !== 'reaction.changed') return null;
  const p = event.payload as { messageId?: unknown; reactions?: unknown } | null;
  if (!p || typeof p.messageId !== 'string' || !Array.isArray(p.reactions)) return null;
  return { messageId: p.messageId, reactions: p.reactions as NonNullable<ThreadItem['reactions']> };
}

/** Whether a message (from the thread, a live event or the outbox) is about this clip. */
export function isAboutClip(messageClip: MessageClip | undefined, clip: ClipInfo): boolean {
  if (!messageClip) return false;
  return (
    messageClip.site === clip.site &&
    (messageClip.clipId === clip.clipId || messageClip.url === clip.url)
  );
}

/** The message a live event carries, if it is one of the message events. */
export function messageOf(event: SyncEvent): MessageView | null {
  if (!event.type.startsWith('message.')) return null;
  const payload = event.payload as Partial<MessageView> | null;
  if (!payload || typeof payload !== 'object' || typeof payload.id !== 'string') return null;
  if (typeof payload.groupId !== 'string' || typeof payload.seq !== 'number') return null;
  return payload as MessageView;
}

function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message || 'Something went wrong';
}

/**
 * A share is stored once per group as `<clientId>:<groupId>`; a message as `<clientId>`. Both
 * map to the same key as the outbox entry that produced them.
 */
function keyFor(senderId: string, clientId: string): string {
  return `c:${senderId}:${clientId.split(':')[0]}`;
}

/**
 * The messages of one group about one clip (`clips.thread`), or with no clip the group's latest
 * messages (`messages.list`, the popup's inbox), kept live from `sync.events` (new messages,
 * edits, deletes, reactions), plus our own messages while they travel through the outbox.
 * Stops when `signal` aborts.
 */
export function openThread(
  client: KithClient,
  target: ThreadTarget,
  session: ReadonlySignal<SessionState | null>,
  signal: AbortSignal,
): Thread {
  const stored = new Map<string, MessageView>();
  /** Our sends from this page, by a temporary slot until the background names their clientId. */
  const local = new Map<string, ThreadItem>();
  /** This thread's entries of the background's outbox (they survive page reloads). */
  let outbox: OutboxEntry[] = [];
  const items = createSignal<ThreadItem[]>([]);
  const status = createSignal<'loading' | 'ready' | 'error'>('loading');
  const error = createSignal<string | null>(null);
  const me = () => session.peek()?.user ?? null;

  const clip = target.clip ?? null;
  /** A message belongs here: in the group, and about the clip when there is one. */
  const about = (messageClip: MessageClip | undefined) => !clip || isAboutClip(messageClip, clip);

  const toItem = (m: MessageView): ThreadItem => ({
    key: m.sender ? keyFor(m.sender.id, m.clientId) : `m:${m.id}`,
    id: m.id,
    seq: m.seq,
    clientId: m.clientId,
    kind: m.kind,
    senderId: m.sender?.id ?? null,
    senderName: senderName(m.sender),
    mine: !!m.sender && m.sender.id === me()?.id,
    body: m.body,
    productId: m.productId ?? null,
    atSeconds: m.atSeconds,
    clip: m.clip ?? null,
    createdAt: m.createdAt,
    editedAt: m.editedAt ?? null,
    deleted: m.deletedAt !== null,
    reactions: m.reactions ?? [],
    state: 'sent',
  });

  const fromOutbox = (entry: OutboxEntry): ThreadItem | null => {
    const user = me();
    if (!user) return null;
    const { item } = entry;
    const online = session.peek()?.connection === 'online';
    return {
      key: keyFor(user.id, entry.clientId),
      id: null,
      seq: null,
      clientId: entry.clientId,
      kind: item.kind === 'share' ? 'clip' : item.productId ? 'product' : 'text',
      senderId: user.id,
      senderName: user.displayName || user.handle,
      mine: true,
      body: item.kind === 'share' ? (item.note ?? null) : item.body || null,
      ...(item.kind === 'message' && item.productId ? { productId: item.productId } : {}),
      atSeconds: item.atSeconds ?? null,
      ...(item.kind === 'share' ? { clip: { ...item.clip, title: item.clip.title ?? null } } : {}),
      createdAt: entry.createdAt,
      deleted: false,
      state: entry.status === 'failed' ? 'failed' : online ? 'sending' : 'queued',
      ...(entry.status === 'failed' && entry.error ? { error: entry.error } : {}),
    };
  };

  const belongs = (entry: OutboxEntry): boolean => {
    const { item } = entry;
    const inGroup =
      item.kind === 'share'
        ? item.groupIds.includes(target.groupId)
        : item.groupId === target.groupId;
    return inGroup && about(item.clip ?? null);
  };

  const publish = () => {
    if (signal.aborted) return;
    const list = [...stored.values()].sort((a, b) => a.seq - b.seq).map(toItem);
    const storedKeys = new Set(list.map((i) => i.key));
    const seen = new Set(storedKeys);
    for (const entry of outbox) {
      const item = fromOutbox(entry);
      if (item && !seen.has(item.key)) {
        list.push(item);
        seen.add(item.key);
      }
    }
    for (const [slot, item] of local) {
      // Once the server has it, the stored copy replaces ours for good.
      if (storedKeys.has(item.key)) local.delete(slot);
      else if (!seen.has(item.key)) list.push(item);
    }
    items.value = list;
  };

  const accept = (m: MessageView) => {
    if (m.groupId !== target.groupId || !about(m.clip)) return;
    const known = stored.get(m.id);
    // Events and reloads can cross: never let an older copy replace a newer edit or delete.
    if (known && (known.deletedAt || (known.editedAt ?? '') > (m.editedAt ?? ''))) return;
    stored.set(m.id, m);
  };

  const loadOutbox = () => {
    client.outbox(target.groupId).then(
      (entries) => {
        outbox = entries.filter(belongs);
        publish();
      },
      () => {
        // An older background without an outbox list: local sends still show.
      },
    );
  };

  let generation = 0;
  const reload = () => {
    const mine = ++generation;
    const load = clip
      ? client.query('clips.thread', { groupId: target.groupId, url: clip.url })
      : client.query('messages.list', { groupId: target.groupId, limit: 50 });
    load.then(
      (thread) => {
        if (mine !== generation || signal.aborted) return;
        for (const m of thread.messages) accept(m as MessageView);
        status.value = 'ready';
        error.value = null;
        publish();
      },
      (e: unknown) => {
        if (mine !== generation || signal.aborted) return;
        if (status.peek() !== 'ready') status.value = 'error';
        error.value = errorText(e);
      },
    );
    loadOutbox();
  };

  client.onSyncEvent((event) => {
    const changed = reactionsOf(event);
    if (changed) {
      const known = stored.get(changed.messageId);
      if (!known) return;
      stored.set(known.id, { ...known, reactions: changed.reactions } as MessageView);
      publish();
      return;
    }
    const m = messageOf(event);
    if (!m) return;
    accept(m);
    publish();
  }, signal);

  client.onOutboxChanged((entries) => {
    outbox = entries.filter(belongs);
    publish();
  }, signal);

  // After the connection comes back, catch up (the background replays too; ids dedupe).
  let wasOnline = session.peek()?.connection === 'online';
  client.onSessionChanged((state) => {
    const online = state.connection === 'online';
    if (online && !wasOnline) reload();
    else publish();
    wasOnline = online;
  }, signal);

  reload();

  return {
    items,
    status,
    error,
    reload,
    retry(clientId) {
      client.retry(clientId).catch(() => {});
    },
    discard(clientId) {
      client.discard(clientId).then(loadOutbox, () => {});
      for (const [slot, item] of local) if (item.clientId === clientId) local.delete(slot);
      publish();
    },
    async send(body, atSeconds) {
      const user = me();
      const text = body.trim();
      if (!text || !user) return;
      // Named here, so this item and the outbox entry the background announces (possibly before
      // the send call returns) share one key and never show twice.
      const clientId = randomId();
      const slot = `p:${clientId}`;
      const temp: ThreadItem = {
        key: keyFor(user.id, clientId),
        id: null,
        seq: null,
        clientId,
        kind: 'text',
        senderId: user.id,
        senderName: user.displayName || user.handle,
        mine: true,
        body: text,
        atSeconds,
        createdAt: new Date().toISOString(),
        deleted: false,
        state: 'sending',
      };
      local.set(slot, temp);
      publish();
      try {
        const { queued } = await client.send({
          clientId,
          groupId: target.groupId,
          body: text,
          ...(clip ? { clip } : {}),
          ...(atSeconds === null ? {} : { atSeconds }),
        });
        local.set(slot, { ...temp, state: queued ? 'queued' : 'sending' });
      } catch (e) {
        local.set(slot, { ...temp, state: 'failed', error: errorText(e) });
      }
      publish();
    },
  };
}
