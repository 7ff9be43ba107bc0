import { sql } from 'drizzle-orm';
import { seenBy } from '../access';
import type { DbOrTx } from '../db/client';

/**
 * The threads `me` is in, latest activity first: each with its unread count (others' messages
 * after my read position; my own never count) and last message (both only from what `me`
 * could see): who said it, what, when, and for a share the clip (site, address, the share's
 * own title and thumbnail) and its moment. For a direct thread, the other person.
 */
export async function listGroups(db: DbOrTx, me: string) {
  const result = await db.execute<{
    id: string;
    kind: string;
    name: string;
    role: string;
    muted: boolean;
    last_seq: number;
    last_read_seq: number;
    member_count: number;
    unread: number;
    peer_id: string | null;
    peer_handle: string | null;
    peer_name: string | null;
    last_id: string | null;
    last_body: string | null;
    last_kind: string | null;
    last_seq_msg: number | null;
    last_sender: string | null;
    last_sender_handle: string | null;
    last_sender_name: string | null;
    last_at_seconds: number | null;
    clip_site: string | null;
    clip_id: string | null;
    clip_url: string | null;
    clip_title: string | null;
    clip_thumbnail_url: string | null;
    last_deleted: boolean | null;
    last_at: Date | string | null;
    created_at: Date | string;
  }>(sql`
    select g.id, g.kind, g.name, gm.role, gm.muted, g.last_seq, gm.last_read_seq, g.created_at,
      (select count(*)::int from group_members c where c.group_id = g.id) as member_count,
      (select count(*)::int from messages m
        where m.group_id = g.id and m.seq > gm.last_read_seq and m.deleted_at is null
          and m.sender_id is distinct from ${me} and ${seenBy(me)}) as unread,
      peer.id as peer_id, peer.handle as peer_handle, peer.display_name as peer_name,
      lm.id as last_id, lm.body as last_body, lm.kind as last_kind, lm.seq as last_seq_msg,
      lm.sender_id as last_sender, lu.handle as last_sender_handle,
      lu.display_name as last_sender_name, lm.at_seconds as last_at_seconds,
      lc.site as clip_site, lc.clip_id as clip_id, lc.url as clip_url,
      lm.clip_title as clip_title, lm.clip_thumbnail_url as clip_thumbnail_url,
      (lm.deleted_at is not null) as last_deleted, lm.created_at as last_at
    from group_members gm
    join groups g on g.id = gm.group_id and g.archived_at is null
    left join lateral (
      select u.id, u.handle, u.display_name from users u
      where g.kind = 'direct' and u.id = coalesce(
        (select o.user_id from group_members o where o.group_id = g.id and o.user_id <> ${me} limit 1),
        -- My message request not yet accepted: the one I asked is not a member yet.
        (select mr.to_user_id from message_requests mr where mr.group_id = g.id and mr.from_user_id = ${me}))
    ) peer on true
    left join lateral (
      select * from messages m where m.group_id = g.id and ${seenBy(me)}
      order by m.seq desc limit 1
    ) lm on true
    left join users lu on lu.id = lm.sender_id
    left join clips lc on lc.id = lm.clip_ref
    where gm.user_id = ${me}
    order by coalesce(lm.created_at, g.created_at) desc
  `);
  const iso = (v: Date | string) => new Date(v).toISOString();
  return result.rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    name: r.kind === 'direct' ? (r.peer_name ?? r.name) : r.name,
    role: r.role,
    muted: r.muted,
    lastSeq: Number(r.last_seq),
    lastReadSeq: Number(r.last_read_seq),
    memberCount: Number(r.member_count),
    unread: Number(r.unread),
    peer: r.peer_id
      ? { id: r.peer_id, handle: r.peer_handle ?? '', displayName: r.peer_name ?? '' }
      : null,
    lastMessage: r.last_id
      ? {
          id: r.last_id,
          seq: Number(r.last_seq_msg),
          kind: r.last_kind,
          senderId: r.last_sender,
          sender:
            r.last_sender && r.last_sender_handle
              ? {
                  id: r.last_sender,
                  handle: r.last_sender_handle,
                  displayName: r.last_sender_name ?? r.last_sender_handle,
                }
              : null,
          body: r.last_deleted ? null : r.last_body,
          // A share's clip as this thread's message named it (its own title and thumbnail).
          clip:
            !r.last_deleted && r.clip_site && r.clip_id && r.clip_url
              ? {
                  site: r.clip_site,
                  clipId: r.clip_id,
                  url: r.clip_url,
                  title: r.clip_title,
                  thumbnailUrl: r.clip_thumbnail_url,
                }
              : null,
          atSeconds: r.last_at_seconds === null ? null : Number(r.last_at_seconds),
          deleted: Boolean(r.last_deleted),
          createdAt: iso(r.last_at ?? r.created_at),
        }
      : null,
    createdAt: iso(r.created_at),
  }));
}
