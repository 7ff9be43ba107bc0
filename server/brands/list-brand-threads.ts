import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client';
import { requireBrandOwner } from '../payments/catalog';

/** The brand's customer threads, for its owner: who asked, the last message, what is unread. */
export async function listBrandThreads(db: DbOrTx, me: string, brandId: string) {
  const brand = await requireBrandOwner(db, brandId, me);
  const result = await db.execute<{
    id: string;
    last_seq: number;
    unread: number;
    customer_id: string | null;
    customer_handle: string | null;
    customer_name: string | null;
    last_body: string | null;
    last_kind: string | null;
    last_deleted: boolean | null;
    last_at: Date | string | null;
    created_at: Date | string;
  }>(sql`
    select g.id, g.last_seq, g.created_at,
      (select count(*)::int from messages m
        where m.group_id = g.id and m.seq > gm.last_read_seq and m.deleted_at is null
          and m.sender_id is distinct from ${me}) as unread,
      c.id as customer_id, c.handle as customer_handle, c.display_name as customer_name,
      lm.body as last_body, lm.kind as last_kind, (lm.deleted_at is not null) as last_deleted,
      lm.created_at as last_at
    from groups g
    join group_members gm on gm.group_id = g.id and gm.user_id = ${me}
    left join lateral (
      select u.id, u.handle, u.display_name from group_members o join users u on u.id = o.user_id
      where o.group_id = g.id and o.user_id <> ${me} limit 1
    ) c on true
    left join lateral (
      select * from messages m where m.group_id = g.id order by m.seq desc limit 1
    ) lm on true
    where g.kind = 'brand' and g.brand_id = ${brand.id} and g.archived_at is null
    order by coalesce(lm.created_at, g.created_at) desc
    limit 500
  `);
  const iso = (v: Date | string) => new Date(v).toISOString();
  return result.rows.map((r) => ({
    groupId: r.id,
    customer: r.customer_id
      ? {
          id: r.customer_id,
          handle: r.customer_handle ?? '',
          displayName: r.customer_name ?? '',
        }
      : null,
    lastSeq: Number(r.last_seq),
    unread: Number(r.unread),
    lastMessage: r.last_at
      ? {
          kind: r.last_kind,
          body: r.last_deleted ? null : r.last_body,
          createdAt: iso(r.last_at),
        }
      : null,
    createdAt: iso(r.created_at),
  }));
}
