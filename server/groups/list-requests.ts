import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client';

/**
 * Message requests waiting for `me`: who asks, how many friends we share, and their first
 * message. Requests from people blocked either way are not shown.
 */
export async function listRequests(db: DbOrTx, me: string) {
  const result = await db.execute<{
    group_id: string;
    created_at: Date | string;
    from_id: string;
    from_handle: string;
    from_name: string;
    mutual: number;
    message_count: number;
    first_body: string | null;
    first_kind: string | null;
    first_at: Date | string | null;
    first_clip_url: string | null;
    first_clip_title: string | null;
  }>(sql`
    select r.group_id, r.created_at, u.id as from_id, u.handle as from_handle,
      u.display_name as from_name,
      (select count(*)::int from friendships fa join friendships fb
         on fb.user_id = fa.friend_id and fb.friend_id = u.id
       where fa.user_id = ${me}) as mutual,
      (select count(*)::int from messages m where m.group_id = r.group_id
         and m.deleted_at is null) as message_count,
      fm.body as first_body, fm.kind as first_kind, fm.created_at as first_at,
      c.url as first_clip_url, fm.clip_title as first_clip_title
    from message_requests r
    join groups g on g.id = r.group_id and g.archived_at is null
    join users u on u.id = r.from_user_id
    left join lateral (
      select m.body, m.kind, m.created_at, m.clip_ref, m.clip_title from messages m
      where m.group_id = r.group_id and m.deleted_at is null order by m.seq limit 1
    ) fm on true
    left join clips c on c.id = fm.clip_ref
    where r.to_user_id = ${me} and r.status = 'pending'
      and not exists (select 1 from blocks b where (b.blocker_id = ${me} and b.blocked_id = u.id)
        or (b.blocker_id = u.id and b.blocked_id = ${me}))
    order by r.created_at desc
  `);
  const iso = (v: Date | string) => new Date(v).toISOString();
  return result.rows.map((r) => ({
    groupId: r.group_id,
    from: { id: r.from_id, handle: r.from_handle, displayName: r.from_name },
    mutualFriends: Number(r.mutual),
    messageCount: Number(r.message_count),
    firstMessage:
      r.first_kind && r.first_at
        ? {
            kind: r.first_kind,
            body: r.first_body,
            clip: r.first_clip_url ? { url: r.first_clip_url, title: r.first_clip_title } : null,
            createdAt: iso(r.first_at),
          }
        : null,
    createdAt: iso(r.created_at),
  }));
}
