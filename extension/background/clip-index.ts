import type { GroupSummary, MessageView, RouterOutputs } from '../lib/protocol';
import type { KithDb } from '../store/db';

/** Who talked about a clip, in which of my groups: the shape `clips.activity` answers with. */
export type ClipActivity = RouterOutputs['clips']['activity'];
export type ClipKey = ClipActivity['clip'];

/** The sites a clip can come from; anything else is not a clip. */
const SITES = new Set(['tiktok', 'youtube', 'instagram', 'web']);

/** A clip key from an untrusted message (content scripts send it); null if it is not one. */
export function clipKeyOf(value: unknown): ClipKey | null {
  const v = value as Partial<Record<keyof ClipKey, unknown>> | null;
  if (!v || typeof v !== 'object') return null;
  const { site, clipId, url } = v;
  if (typeof site !== 'string' || !SITES.has(site)) return null;
  if (typeof clipId !== 'string' || !clipId || clipId.length > 2048) return null;
  if (typeof url !== 'string' || url.length > 2048) return null;
  return { site: site as ClipKey['site'], clipId, url };
}

type Person = ClipActivity['friends'][number];

/**
 * "Which of my groups and friends talked about this clip", from messages the extension already
 * holds (the background's cache of `sync.events`), so the server does not learn which clip is
 * on screen. Counts what the cache holds: the recent messages of each thread. Messages of
 * groups no longer in the cache (left, archived) and deleted ones do not count. Friends are the
 * other people who talked about it (the cache does not know friendships; everyone the reader
 * shares a group with is someone they chose to talk to).
 */
export function clipActivity(
  clip: ClipKey,
  messages: readonly MessageView[],
  groups: readonly GroupSummary[],
  me: string | null,
): ClipActivity {
  const byId = new Map(groups.map((g) => [g.id, g]));
  const about = messages
    .filter(
      (m) =>
        m.clip &&
        !m.deletedAt &&
        m.clip.site === clip.site &&
        m.clip.clipId === clip.clipId &&
        byId.has(m.groupId),
    )
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const result = new Map<string, ClipActivity['groups'][number]>();
  const friends = new Map<string, Person>();
  for (const m of about) {
    const g = byId.get(m.groupId) as GroupSummary;
    let entry = result.get(g.id);
    if (!entry) {
      entry = {
        groupId: g.id,
        kind: g.kind,
        name: g.name,
        messageCount: 0,
        unread: 0,
        lastAt: new Date(m.createdAt).toISOString(),
        people: [],
      };
      result.set(g.id, entry);
    }
    entry.messageCount += 1;
    // Unread as the toolbar badge counts it: others' messages past my read position, unmuted.
    if (!g.muted && m.sender?.id !== me && m.seq > g.lastReadSeq) entry.unread += 1;
    const sender = m.sender;
    if (!sender) continue;
    const person = { id: sender.id, handle: sender.handle, displayName: sender.displayName };
    if (!entry.people.some((p) => p.id === sender.id)) entry.people.push(person);
    if (sender.id !== me && !friends.has(sender.id)) friends.set(sender.id, person);
  }
  return { clip, groups: [...result.values()], friends: [...friends.values()] };
}

/**
 * The local index: messages about a clip, looked up by `[clip.site+clip.clipId]` in the
 * cache's IndexedDB (see `KithDb`), then summed up by `clipActivity`.
 */
export async function localClipActivity(
  db: KithDb,
  clip: ClipKey,
  me: string | null,
): Promise<ClipActivity> {
  const [messages, groups] = await db.transaction('r', [db.messages, db.groups], async () => [
    await db.messages.where('[clip.site+clip.clipId]').equals([clip.site, clip.clipId]).toArray(),
    await db.groups.toArray(),
  ]);
  return clipActivity(clip, messages as MessageView[], groups as GroupSummary[], me);
}
