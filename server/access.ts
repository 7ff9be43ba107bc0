import { TRPCError } from '@trpc/server';
import { and, eq, gt, isNotNull, isNull, lte, or, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from './db/client';
import {
  blocks,
  friendships,
  groupMembers,
  groups,
  memberPeriods,
  messages,
  users,
} from './db/schema';

export const groupNotFound = () =>
  new TRPCError({ code: 'NOT_FOUND', message: 'No such group, or you are not in it.' });

/**
 * The caller's membership of a live group, or NOT_FOUND: a non-member cannot tell a group
 * they are not in from one that does not exist. `lock` takes the group's row lock first.
 */
export async function requireMember(db: DbOrTx, groupId: string, userId: string, lock = false) {
  if (lock)
    await db.select({ id: groups.id }).from(groups).where(eq(groups.id, groupId)).for('update');
  const [row] = await db
    .select({
      groupId: groups.id,
      kind: groups.kind,
      name: groups.name,
      lastSeq: groups.lastSeq,
      role: groupMembers.role,
      lastReadSeq: groupMembers.lastReadSeq,
      muted: groupMembers.muted,
      joinedEventId: groupMembers.joinedEventId,
    })
    .from(groupMembers)
    .innerJoin(groups, eq(groups.id, groupMembers.groupId))
    .where(
      and(
        eq(groupMembers.groupId, groupId),
        eq(groupMembers.userId, userId),
        isNull(groups.archivedAt),
      ),
    )
    .limit(1);
  if (!row) throw groupNotFound();
  return row;
}

export type Membership = Awaited<ReturnType<typeof requireMember>>;

export function requireManager(member: Membership) {
  if (member.role !== 'owner' && member.role !== 'admin') {
    throw new TRPCError({
      code: 'FORBIDDEN',
      message: 'Only the group owner or an admin can do that.',
    });
  }
}

export function refuseDirect(member: Membership, what: string) {
  if (member.kind !== 'group') {
    throw new TRPCError({
      code: 'BAD_REQUEST',
      message: `${what} is only possible in groups, not in direct threads.`,
    });
  }
}

export async function isBlockedEitherWay(db: DbOrTx, a: string, b: string): Promise<boolean> {
  const [row] = await db
    .select({ one: blocks.blockerId })
    .from(blocks)
    .where(
      or(
        and(eq(blocks.blockerId, a), eq(blocks.blockedId, b)),
        and(eq(blocks.blockerId, b), eq(blocks.blockedId, a)),
      ),
    )
    .limit(1);
  return Boolean(row);
}

export async function areFriends(db: DbOrTx, a: string, b: string): Promise<boolean> {
  const [row] = await db
    .select({ one: friendships.userId })
    .from(friendships)
    .where(and(eq(friendships.userId, a), eq(friendships.friendId, b)))
    .limit(1);
  return Boolean(row);
}

export async function requireUser(db: DbOrTx, userId: string) {
  const [row] = await db
    .select({ id: users.id, handle: users.handle, displayName: users.displayName })
    .from(users)
    .where(eq(users.id, userId))
    .limit(1);
  if (!row) throw new TRPCError({ code: 'NOT_FOUND', message: 'No such user.' });
  return row;
}

/**
 * Opens a membership span as a user joins: messages after `fromSeq` (by default, the group's
 * last seq now: nothing said before they joined) are theirs to see. Call under the group's row
 * lock, then `periodJoinedAt` with the join event's id.
 */
export async function openPeriod(
  tx: DbOrTx,
  groupId: string,
  userId: string,
  fromSeq?: number,
): Promise<number> {
  const [row] = await tx
    .insert(memberPeriods)
    .values({
      groupId,
      userId,
      fromSeq:
        fromSeq ?? sql`(select ${groups.lastSeq} from ${groups} where ${groups.id} = ${groupId})`,
    })
    .returning({ fromSeq: memberPeriods.fromSeq });
  return row?.fromSeq ?? 0;
}

/** Records the join event's id on the open span: events from it on are the member's. */
export function periodJoinedAt(tx: DbOrTx, groupId: string, userId: string, eventId: number) {
  return tx
    .update(memberPeriods)
    .set({ fromEventId: eventId })
    .where(
      and(
        eq(memberPeriods.groupId, groupId),
        eq(memberPeriods.userId, userId),
        isNull(memberPeriods.toSeq),
      ),
    );
}

/**
 * Closes the open span as a user leaves or is removed (under the group's row lock); answers the
 * span's last seq (null if no span was open).
 */
export async function closePeriod(
  tx: DbOrTx,
  groupId: string,
  userId: string,
): Promise<number | null> {
  const rows = await tx
    .update(memberPeriods)
    .set({ toSeq: sql`(select ${groups.lastSeq} from ${groups} where ${groups.id} = ${groupId})` })
    .where(
      and(
        eq(memberPeriods.groupId, groupId),
        eq(memberPeriods.userId, userId),
        isNull(memberPeriods.toSeq),
      ),
    )
    .returning({ toSeq: memberPeriods.toSeq });
  return rows[0]?.toSeq ?? null;
}

/** Records the leaving event's id on the span just closed: it is the last event theirs. */
export function periodLeftAt(tx: DbOrTx, groupId: string, userId: string, eventId: number) {
  return tx
    .update(memberPeriods)
    .set({ toEventId: eventId })
    .where(
      and(
        eq(memberPeriods.groupId, groupId),
        eq(memberPeriods.userId, userId),
        isNotNull(memberPeriods.toSeq),
        isNull(memberPeriods.toEventId),
      ),
    );
}

export interface Period {
  fromSeq: number;
  toSeq: number | null;
}

/** The spans a user was a member of a group, oldest first. */
export async function periodsOf(db: DbOrTx, groupId: string, userId: string): Promise<Period[]> {
  return db
    .select({ fromSeq: memberPeriods.fromSeq, toSeq: memberPeriods.toSeq })
    .from(memberPeriods)
    .where(and(eq(memberPeriods.groupId, groupId), eq(memberPeriods.userId, userId)))
    .orderBy(memberPeriods.fromSeq);
}

/** Messages said while the user was a member (a seq range per span; none: nothing). */
export function seqVisible(periods: Period[]): SQL {
  if (periods.length === 0) return sql`false`;
  return or(
    ...periods.map((p) =>
      and(gt(messages.seq, p.fromSeq), p.toSeq === null ? undefined : lte(messages.seq, p.toSeq)),
    ),
  ) as SQL;
}

export function inPeriods(periods: Period[], seq: number): boolean {
  return periods.some((p) => seq > p.fromSeq && (p.toSeq === null || seq <= p.toSeq));
}

/**
 * The same rule inside raw SQL: `m` is a messages row, `me` the viewer. Indexed by
 * `member_periods_group_user_idx`.
 */
export const seenBy = (me: string) => sql`exists (
  select 1 from member_periods p
  where p.group_id = m.group_id and p.user_id = ${me}
    and m.seq > p.from_seq and (p.to_seq is null or m.seq <= p.to_seq))`;
