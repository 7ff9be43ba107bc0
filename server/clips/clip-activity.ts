import { sql } from 'drizzle-orm';
import { seenBy } from '../access';
import type { Db } from '../db/client';
import type { ResolvedClip } from './resolve';
import { findClip } from './store';

export interface ClipPerson {
  id: string;
  handle: string;
  displayName: string;
}

export interface ClipGroupActivity {
  groupId: string;
  kind: string;
  name: string;
  messageCount: number;
  /**
   * Of those, the ones from others after my read position (my own never count), as the
   * toolbar badge counts them: 0 in a group I muted.
   */
  unread: number;
  lastAt: string;
  people: ClipPerson[];
}

/**
 * `clips.activity`: where `me` has seen a clip talked about: per group they are in, how many
 * messages (and how many of them unread) and who said them; and which of their friends did.
 */
export async function clipActivity(
  db: Db,
  me: string,
  url: ResolvedClip,
): Promise<{ clip: ResolvedClip; groups: ClipGroupActivity[]; friends: ClipPerson[] }> {
  const clipRef = await findClip(db, url);
  if (!clipRef) return { clip: url, groups: [], friends: [] };
  // Only groups the caller is in count: activity elsewhere is not theirs to know.
  const result = await db.execute<{
    group_id: string;
    kind: string;
    name: string;
    peer_name: string | null;
    message_count: number;
    unread: number;
    last_at: Date | string;
    sender_id: string | null;
    handle: string | null;
    display_name: string | null;
    is_friend: boolean;
  }>(sql`
  select g.id as group_id, g.kind, g.name,
    (select u.display_name from group_members o join users u on u.id = o.user_id
      where g.kind = 'direct' and o.group_id = g.id and o.user_id <> ${me} limit 1) as peer_name,
    count(*) over (partition by g.id)::int as message_count,
    (count(*) filter (where m.sender_id is distinct from ${me} and m.seq > gm.last_read_seq
      and not gm.muted) over (partition by g.id))::int as unread,
    max(m.created_at) over (partition by g.id) as last_at,
    m.sender_id, u.handle, u.display_name,
    exists (select 1 from friendships f where f.user_id = ${me} and f.friend_id = m.sender_id) as is_friend
  from messages m
  join group_members gm on gm.group_id = m.group_id and gm.user_id = ${me}
  join groups g on g.id = m.group_id and g.archived_at is null
  left join users u on u.id = m.sender_id
  where m.clip_ref = ${clipRef} and m.deleted_at is null and ${seenBy(me)}
  order by m.created_at desc
`);
  const groupsById = new Map<string, ClipGroupActivity>();
  const friends = new Map<string, ClipPerson>();
  for (const r of result.rows) {
    let group = groupsById.get(r.group_id);
    if (!group) {
      group = {
        groupId: r.group_id,
        kind: r.kind,
        name: r.kind === 'direct' ? (r.peer_name ?? r.name) : r.name,
        messageCount: Number(r.message_count),
        unread: Number(r.unread),
        lastAt: new Date(r.last_at).toISOString(),
        people: [],
      };
      groupsById.set(r.group_id, group);
    }
    if (r.sender_id && r.handle && !group.people.some((p) => p.id === r.sender_id)) {
      group.people.push({
        id: r.sender_id,
        handle: r.handle,
        displayName: r.display_name ?? r.handle,
      });
    }
    if (r.sender_id && r.handle && r.is_friend && r.sender_id !== me) {
      friends.set(r.sender_id, {
        id: r.sender_id,
        handle: r.handle,
        displayName: r.display_name ?? r.handle,
      });
    }
  }
  return { clip: url, groups: [...groupsById.values()], friends: [...friends.values()] };
}
