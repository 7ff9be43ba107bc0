import type { GroupSummary, MessageView, SyncEvent } from '../lib/protocol';
import { type CachedGroup, type KithDb, RECENT_PER_THREAD } from '../store/db';

/** Whose cache this is: switching user or server starts from empty. */
export interface Account {
  userId: string;
  serverUrl: string;
}

/** What applying one live event changed, for the badge and notifications. */
export interface Applied {
  /** The group the event is about, as cached after the event (undefined if unknown or gone). */
  group?: CachedGroup;
  /** A message we had not seen before (live or replayed): notify-worthy if from someone else. */
  newMessage?: MessageView;
  /** The cache cannot follow this event alone: refetch `groups.list`. */
  refresh: boolean;
}

function isMessage(payload: unknown): payload is MessageView {
  const m = payload as Partial<MessageView> | null;
  return (
    !!m &&
    typeof m === 'object' &&
    typeof m.id === 'string' &&
    typeof m.groupId === 'string' &&
    typeof m.seq === 'number'
  );
}

function payloadField(payload: unknown, key: string): unknown {
  return payload && typeof payload === 'object'
    ? (payload as Record<string, unknown>)[key]
    : undefined;
}

function lastMessageOf(message: MessageView): NonNullable<GroupSummary['lastMessage']> {
  return {
    id: message.id,
    seq: message.seq,
    kind: message.kind,
    senderId: message.sender?.id ?? null,
    sender: message.sender ?? null,
    body: message.deletedAt ? null : message.body,
    clip: message.deletedAt ? null : (message.clip ?? null),
    atSeconds: message.atSeconds ?? null,
    deleted: message.deletedAt !== null,
    createdAt: message.createdAt,
  };
}

/**
 * The background's copy of what the server said: groups (with unread counts), recent messages
 * per thread, and the id of the last `sync.events` event applied — all in IndexedDB, so a
 * restarted service worker resumes the stream where it stopped and shows the badge at once.
 */
export class Cache {
  constructor(private readonly db: KithDb) {}

  async lastEventId(): Promise<string | null> {
    const row = await this.db.meta.get('lastEventId');
    return typeof row?.value === 'string' ? row.value : null;
  }

  async account(): Promise<Account | null> {
    const row = await this.db.meta.get('account');
    return (row?.value as Account | undefined) ?? null;
  }

  /**
   * Makes the cache belong to this account, emptying it if it held someone else's (or another
   * server's) groups and resume point. The outbox is not touched: its rows carry their owner.
   */
  async useAccount(account: Account): Promise<void> {
    await this.db.transaction('rw', [this.db.meta, this.db.groups, this.db.messages], async () => {
      const current = await this.account();
      if (current?.userId === account.userId && current.serverUrl === account.serverUrl) return;
      await this.db.groups.clear();
      await this.db.messages.clear();
      await this.db.meta.clear();
      await this.db.meta.put({ key: 'account', value: account });
    });
  }

  /** Forgets everything but the outbox (sign-out). */
  async clear(): Promise<void> {
    await this.db.transaction('rw', [this.db.meta, this.db.groups, this.db.messages], async () => {
      await this.db.groups.clear();
      await this.db.messages.clear();
      await this.db.meta.clear();
    });
  }

  async groups(): Promise<CachedGroup[]> {
    const list = await this.db.groups.toArray();
    return list.sort((a, b) => activity(b).localeCompare(activity(a)));
  }

  async group(groupId: string): Promise<CachedGroup | undefined> {
    return this.db.groups.get(groupId);
  }

  /**
   * Replaces the groups with the server's list (`groups.list`), dropping threads we left. A
   * list fetched before the latest live events is older than what we hold for those groups:
   * there the newer position, last message and unread count are kept.
   */
  async replaceGroups(list: GroupSummary[]): Promise<CachedGroup[]> {
    return this.db.transaction('rw', [this.db.groups, this.db.messages], async () => {
      const keep = new Set(list.map((g) => g.id));
      const held = new Map((await this.db.groups.toArray()).map((g) => [g.id, g]));
      const merged = list.map((fresh) => {
        const mine = held.get(fresh.id);
        if (!mine || mine.lastSeq <= fresh.lastSeq) return fresh;
        return {
          ...fresh,
          lastSeq: mine.lastSeq,
          lastMessage: mine.lastMessage,
          unread: Math.max(fresh.unread, mine.unread),
          lastReadSeq: Math.max(fresh.lastReadSeq, mine.lastReadSeq),
        };
      });
      await this.db.groups.clear();
      await this.db.groups.bulkPut(merged);
      for (const groupId of held.keys()) if (!keep.has(groupId)) await this.dropThread(groupId);
      return merged;
    });
  }

  async updateGroup(
    groupId: string,
    change: Partial<CachedGroup>,
  ): Promise<CachedGroup | undefined> {
    return this.db.transaction('rw', this.db.groups, async () => {
      const group = await this.db.groups.get(groupId);
      if (!group) return undefined;
      const next = { ...group, ...change };
      await this.db.groups.put(next);
      return next;
    });
  }

  /** The user read up to `seq` (from `messages.markRead`'s answer or a `read` event). */
  async markRead(groupId: string, seq: number): Promise<{ group?: CachedGroup; exact: boolean }> {
    return this.db.transaction('rw', [this.db.groups, this.db.messages, this.db.meta], async () => {
      const group = await this.db.groups.get(groupId);
      if (!group) return { exact: false };
      if (seq <= group.lastReadSeq) return { group, exact: true };
      const me = (await this.account())?.userId;
      let unread: number;
      let exact = true;
      if (seq >= group.lastSeq) unread = 0;
      else {
        // Count what is left from the cached messages; if the cache does not reach back to
        // `seq`, the count is only an estimate and the caller refetches.
        const after = await this.db.messages
          .where('[groupId+seq]')
          .between([groupId, seq + 1], [groupId, Number.MAX_SAFE_INTEGER])
          .toArray();
        unread = after.filter((m) => m.sender?.id !== me && !m.deletedAt).length;
        exact = after.length >= group.lastSeq - seq;
      }
      const next = { ...group, lastReadSeq: seq, unread };
      await this.db.groups.put(next);
      return { group: next, exact };
    });
  }

  /** Recent messages of a thread, oldest first. */
  async recentMessages(groupId: string, limit = RECENT_PER_THREAD): Promise<MessageView[]> {
    const newest = await this.db.messages
      .where('[groupId+seq]')
      .between([groupId, 0], [groupId, Number.MAX_SAFE_INTEGER])
      .reverse()
      .limit(limit)
      .toArray();
    return newest.reverse();
  }

  /** The newest seq the cache holds of a thread (0 when it holds none). */
  async newestSeq(groupId: string): Promise<number> {
    const newest = await this.db.messages
      .where('[groupId+seq]')
      .between([groupId, 0], [groupId, Number.MAX_SAFE_INTEGER])
      .last();
    return newest?.seq ?? 0;
  }

  /** Stores messages fetched from the server (`messages.list`, `clips.thread`). */
  async putMessages(list: MessageView[]): Promise<void> {
    if (list.length === 0) return;
    await this.db.transaction('rw', this.db.messages, async () => {
      await this.db.messages.bulkPut(list);
      for (const groupId of new Set(list.map((m) => m.groupId))) await this.trim(groupId);
    });
  }

  /**
   * Applies one `sync.events` event and records its id as the resume point, in one
   * transaction: after a crash either both happened or neither, so a replay never counts a
   * message twice and never skips one.
   */
  async apply(event: SyncEvent, eventId: string | null, me: string): Promise<Applied> {
    const tables = [this.db.groups, this.db.messages, this.db.meta];
    return this.db.transaction('rw', tables, async () => {
      const applied = await this.applyInside(event, me);
      if (eventId !== null && event.type !== 'typing') {
        await this.db.meta.put({ key: 'lastEventId', value: eventId });
      }
      return applied;
    });
  }

  private async applyInside(event: SyncEvent, me: string): Promise<Applied> {
    const groupId = event.groupId;
    const group = groupId ? await this.db.groups.get(groupId) : undefined;
    const payload = event.payload;
    switch (event.type) {
      case 'message.created': {
        if (!isMessage(payload)) return { group, refresh: false };
        const seen = await this.db.messages.get(payload.id);
        await this.db.messages.put(payload);
        await this.trim(payload.groupId);
        if (!group) return { refresh: true, newMessage: seen ? undefined : payload };
        // The group's summary already counts every message up to its lastSeq (a `groups.list`
        // fetched while this event was on its way): only later ones add to the unread count.
        const counts =
          payload.sender?.id !== me &&
          payload.seq > group.lastSeq &&
          payload.seq > group.lastReadSeq;
        const next: CachedGroup = {
          ...group,
          lastSeq: Math.max(group.lastSeq, payload.seq),
          lastMessage:
            !group.lastMessage || group.lastMessage.seq <= payload.seq
              ? lastMessageOf(payload)
              : group.lastMessage,
          unread: group.unread + (counts ? 1 : 0),
        };
        await this.db.groups.put(next);
        return { group: next, newMessage: seen ? undefined : payload, refresh: false };
      }
      case 'message.edited':
      case 'message.deleted': {
        if (!isMessage(payload)) return { group, refresh: false };
        const known = await this.db.messages.get(payload.id);
        if (known) await this.db.messages.put(payload);
        if (!group) return { refresh: false };
        let next = group;
        if (group.lastMessage?.id === payload.id) {
          next = { ...group, lastMessage: lastMessageOf(payload) };
        }
        const wasUnread =
          event.type === 'message.deleted' &&
          payload.sender?.id !== me &&
          payload.seq > group.lastReadSeq &&
          group.unread > 0 &&
          !known?.deletedAt;
        if (wasUnread) next = { ...next, unread: next.unread - 1 };
        if (next !== group) await this.db.groups.put(next);
        return { group: next, refresh: false };
      }
      case 'reaction.changed': {
        const messageId = payloadField(payload, 'messageId');
        const reactions = payloadField(payload, 'reactions');
        if (typeof messageId === 'string' && Array.isArray(reactions)) {
          const known = await this.db.messages.get(messageId);
          if (known) {
            await this.db.messages.put({
              ...known,
              reactions: reactions as MessageView['reactions'],
            });
          }
        }
        return { group, refresh: false };
      }
      case 'read': {
        const seq = payloadField(payload, 'seq');
        if (event.userId !== me || typeof seq !== 'number' || !groupId)
          return { group, refresh: false };
        const { group: next, exact } = await this.markRead(groupId, seq);
        return { group: next, refresh: !exact };
      }
      case 'member.added':
        // Joining a group needs its summary; anyone else joining changes the member count.
        return { group, refresh: true };
      case 'member.removed':
      case 'member.left': {
        if (event.userId === me && groupId) {
          await this.db.groups.delete(groupId);
          await this.dropThread(groupId);
          return { refresh: false };
        }
        if (!group) return { refresh: false };
        const next = { ...group, memberCount: Math.max(1, group.memberCount - 1) };
        await this.db.groups.put(next);
        return { group: next, refresh: false };
      }
      case 'member.role': {
        if (!group || event.userId !== me) return { group, refresh: false };
        const role = payloadField(payload, 'role');
        if (typeof role !== 'string') return { group, refresh: false };
        const next = { ...group, role };
        await this.db.groups.put(next);
        return { group: next, refresh: false };
      }
      case 'group.renamed': {
        const name = payloadField(payload, 'name');
        if (!group || typeof name !== 'string') return { group, refresh: !group };
        const next = { ...group, name: group.kind === 'direct' ? group.name : name };
        await this.db.groups.put(next);
        return { group: next, refresh: false };
      }
      case 'group.archived': {
        if (groupId) {
          await this.db.groups.delete(groupId);
          await this.dropThread(groupId);
        }
        return { refresh: false };
      }
      case 'resync': {
        // Too far behind to replay: what we hold may be stale. Keep groups (refetched next),
        // drop messages (threads refetch on demand).
        await this.db.messages.clear();
        return { refresh: true };
      }
      default:
        return { group, refresh: false };
    }
  }

  private async dropThread(groupId: string) {
    await this.db.messages
      .where('[groupId+seq]')
      .between([groupId, 0], [groupId, Number.MAX_SAFE_INTEGER])
      .delete();
  }

  /** Keeps the newest RECENT_PER_THREAD messages of a thread. */
  private async trim(groupId: string) {
    const range = this.db.messages
      .where('[groupId+seq]')
      .between([groupId, 0], [groupId, Number.MAX_SAFE_INTEGER]);
    const count = await range.count();
    if (count <= RECENT_PER_THREAD) return;
    const old = await range.limit(count - RECENT_PER_THREAD).primaryKeys();
    await this.db.messages.bulkDelete(old);
  }
}

function activity(group: CachedGroup): string {
  return group.lastMessage?.createdAt ?? group.createdAt;
}
