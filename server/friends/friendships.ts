import { TRPCError } from '@trpc/server';
import { and, asc, eq, or, sql } from 'drizzle-orm';
import { requireUser } from '../access';
import { publicUserColumns } from '../accounts/profile';
import type { Db, DbOrTx } from '../db/client';
import { blocks, friendships, users } from '../db/schema';
import { dropRequestsBetween, lockPair } from './requests';

/** Both rows of a friendship between `a` and `b`. */
const between = (a: string, b: string) =>
  or(
    and(eq(friendships.userId, a), eq(friendships.friendId, b)),
    and(eq(friendships.userId, b), eq(friendships.friendId, a)),
  );

/** My friends, by display name. */
export async function listFriends(db: DbOrTx, me: string) {
  const rows = await db
    .select({ ...publicUserColumns, since: friendships.createdAt })
    .from(friendships)
    .innerJoin(users, eq(users.id, friendships.friendId))
    .where(eq(friendships.userId, me))
    .orderBy(asc(sql`lower(${users.displayName})`));
  return rows.map((r) => ({ ...r, since: r.since.toISOString() }));
}

/** Ends a friendship, for both. */
export async function removeFriend(db: DbOrTx, me: string, userId: string) {
  const removed = await db
    .delete(friendships)
    .where(between(me, userId))
    .returning({ userId: friendships.userId });
  if (removed.length === 0)
    throw new TRPCError({ code: 'NOT_FOUND', message: 'You are not friends with this user.' });
  return { ok: true as const };
}

/**
 * Blocks someone: any friendship and friend request between us ends, and with it their invites
 * and threads with me.
 */
export async function blockUser(db: Db, me: string, userId: string) {
  if (userId === me)
    throw new TRPCError({ code: 'BAD_REQUEST', message: 'You cannot block yourself.' });
  return db.transaction(async (tx) => {
    await requireUser(tx, userId);
    // After any request, answer or invite between us already under way, never in its middle.
    await lockPair(tx, me, userId);
    await tx.insert(blocks).values({ blockerId: me, blockedId: userId }).onConflictDoNothing();
    await tx.delete(friendships).where(between(me, userId));
    await dropRequestsBetween(tx, me, userId);
    // Invites between the two stop working: acceptInvite checks blocks at accept time.
    return { ok: true as const };
  });
}

export async function unblockUser(db: DbOrTx, me: string, userId: string) {
  const removed = await db
    .delete(blocks)
    .where(and(eq(blocks.blockerId, me), eq(blocks.blockedId, userId)))
    .returning({ id: blocks.blockedId });
  if (removed.length === 0)
    throw new TRPCError({ code: 'NOT_FOUND', message: 'You have not blocked this user.' });
  return { ok: true as const };
}

/** The people I have blocked. */
export function listBlocked(db: DbOrTx, me: string) {
  return db
    .select(publicUserColumns)
    .from(blocks)
    .innerJoin(users, eq(users.id, blocks.blockedId))
    .where(eq(blocks.blockerId, me));
}
