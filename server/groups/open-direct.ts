import { TRPCError } from '@trpc/server';
import { eq, sql } from 'drizzle-orm';
import { areFriends, groupNotFound, isBlockedEitherWay, requireUser } from '../access';
import type { DbOrTx } from '../db/client';
import { groups, messageRequests } from '../db/schema';
import type { Deps } from '../deps';
import { transact } from '../events';
import { requestFor } from '../messages/requests';
import { loadGroup } from './load-group';
import { addMemberRows } from './membership';
import { acceptRequestTx } from './message-requests';

/** Whether the two share at least one friend (and so may send each other a message request). */
async function shareAFriend(db: DbOrTx, a: string, b: string): Promise<boolean> {
  const result = await db.execute<{ one: number }>(sql`
    select 1 as one from friendships fa
    join friendships fb on fb.user_id = fa.friend_id and fb.friend_id = ${b}
    where fa.user_id = ${a}
    limit 1`);
  return result.rows.length > 0;
}

/**
 * The 1:1 thread of `me` with `userId`. With a friend it is an ordinary thread. With a friend
 * of a friend it is a message request: only I am in it until they accept. Anyone else, or
 * anyone blocked either way, is refused. Opening a thread someone requested with me accepts
 * their request.
 */
export async function openDirect(deps: Pick<Deps, 'db' | 'bus'>, me: string, userId: string) {
  const { db } = deps;
  if (userId === me) {
    throw new TRPCError({
      code: 'BAD_REQUEST',
      message: 'A direct thread needs another person.',
    });
  }
  const peer = await requireUser(db, userId);
  if (await isBlockedEitherWay(db, me, userId)) {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'You cannot message this person.' });
  }
  const directKey = [me, userId].sort().join(':');
  const [existing] = await db
    .select({ id: groups.id })
    .from(groups)
    .where(eq(groups.directKey, directKey));
  const friends = await areFriends(db, me, userId);
  if (existing) {
    const request = await requestFor(db, existing.id);
    // They asked me and I open the thread, or we have become friends since: it is accepted.
    if (request && (request.toUserId === me || friends)) {
      await transact(deps, async (tx, emit) => {
        await tx
          .select({ id: groups.id })
          .from(groups)
          .where(eq(groups.id, existing.id))
          .for('update');
        const still = await requestFor(tx, existing.id);
        if (still) await acceptRequestTx(tx, emit, existing.id, still.toUserId);
      });
    }
    return loadGroup(db, existing.id, me);
  }
  const asRequest = !friends;
  if (asRequest && !(await shareAFriend(db, me, userId))) {
    throw new TRPCError({
      code: 'FORBIDDEN',
      message:
        'You can only message your friends, or friends of your friends. Send them an invite first.',
    });
  }
  const groupId = await transact(deps, async (tx, emit) => {
    const [group] = await tx
      .insert(groups)
      .values({ kind: 'direct', name: '', directKey, createdBy: me })
      .onConflictDoNothing()
      .returning({ id: groups.id });
    // Both people opened the thread at once: the other insert won, use its thread.
    if (!group) return null;
    if (asRequest) {
      await tx
        .insert(messageRequests)
        .values({ groupId: group.id, fromUserId: me, toUserId: peer.id });
      await addMemberRows(tx, emit, group.id, [me], 'member', me);
    } else {
      await addMemberRows(tx, emit, group.id, [me, peer.id], 'member', me);
    }
    return group.id;
  });
  if (groupId) return loadGroup(db, groupId, me);
  const [winner] = await db
    .select({ id: groups.id })
    .from(groups)
    .where(eq(groups.directKey, directKey));
  if (!winner) throw groupNotFound();
  const request = await requestFor(db, winner.id);
  if (request?.toUserId === me) {
    await transact(deps, async (tx, emit) => {
      await tx.select({ id: groups.id }).from(groups).where(eq(groups.id, winner.id)).for('update');
      if (await requestFor(tx, winner.id)) await acceptRequestTx(tx, emit, winner.id, me);
    });
  }
  return loadGroup(db, winner.id, me);
}
