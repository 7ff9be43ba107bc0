import { TRPCError } from '@trpc/server';
import { and, eq } from 'drizzle-orm';
import { isBlockedEitherWay } from '../access';
import type { Tx } from '../db/client';
import { groups, messageRequests } from '../db/schema';
import type { Deps } from '../deps';
import { type Emit, transact } from '../events';
import { requestFor } from '../messages/requests';
import { loadGroup } from './load-group';
import { addMemberRows } from './membership';

/**
 * Turns a message request into an ordinary direct thread: the recipient joins it, and what was
 * said in the request (addressed to them) is theirs from the start.
 */
export async function acceptRequestTx(tx: Tx, emit: Emit, groupId: string, toUserId: string) {
  await tx.delete(messageRequests).where(eq(messageRequests.groupId, groupId));
  await addMemberRows(tx, emit, groupId, [toUserId], 'member', toUserId, 0);
}

const requestNotFound = () =>
  new TRPCError({
    code: 'NOT_FOUND',
    message: 'No such message request. It may have been withdrawn; check your requests again.',
  });

/** Accepts a message request: I join the thread, and it becomes an ordinary direct thread. */
export async function acceptRequest(
  deps: Pick<Deps, 'db' | 'bus'>,
  userId: string,
  groupId: string,
) {
  await transact(deps, async (tx, emit) => {
    await tx.select({ id: groups.id }).from(groups).where(eq(groups.id, groupId)).for('update');
    const request = await requestFor(tx, groupId);
    if (!request || request.toUserId !== userId || request.status !== 'pending')
      throw requestNotFound();
    if (await isBlockedEitherWay(tx, request.fromUserId, userId))
      throw new TRPCError({
        code: 'FORBIDDEN',
        message: 'You cannot message this person. Unblock them first to accept.',
      });
    const [group] = await tx
      .select({ archivedAt: groups.archivedAt })
      .from(groups)
      .where(eq(groups.id, groupId));
    if (!group || group.archivedAt) throw requestNotFound();
    await acceptRequestTx(tx, emit, groupId, userId);
  });
  return loadGroup(deps.db, groupId, userId);
}

/**
 * Declines a message request: it leaves my requests, and its sender cannot send more or ask
 * again (they are not told; to them it still looks unanswered). Becoming friends, or me
 * opening the thread with them, lifts it. Declining again changes nothing.
 */
export async function declineRequest(deps: Pick<Deps, 'db'>, userId: string, groupId: string) {
  const request = await requestFor(deps.db, groupId);
  if (!request || request.toUserId !== userId) throw requestNotFound();
  if (request.status === 'pending') {
    await deps.db
      .update(messageRequests)
      .set({ status: 'declined', decidedAt: new Date() })
      .where(and(eq(messageRequests.groupId, groupId), eq(messageRequests.status, 'pending')));
  }
  return { ok: true as const, groupId };
}
