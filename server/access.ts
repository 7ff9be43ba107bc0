import { TRPCError } from '@trpc/server';
import { and, eq, isNull, or } from 'drizzle-orm';
import type { DbOrTx } from './db/client';
import { blocks, friendships, groupMembers, groups, users } from './db/schema';

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
