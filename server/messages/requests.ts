import { TRPCError } from '@trpc/server';
import { and, count, eq } from 'drizzle-orm';
import { isBlockedEitherWay } from '../access';
import type { DbOrTx } from '../db/client';
import { messageRequests, messages } from '../db/schema';

/** Messages a requester may send into a message request before the recipient accepts it. */
export const MAX_REQUEST_MESSAGES = 3;

/** The message request behind a direct thread, if the thread is still one. */
export async function requestFor(db: DbOrTx, groupId: string) {
  const [row] = await db
    .select({
      groupId: messageRequests.groupId,
      fromUserId: messageRequests.fromUserId,
      toUserId: messageRequests.toUserId,
      status: messageRequests.status,
    })
    .from(messageRequests)
    .where(eq(messageRequests.groupId, groupId))
    .limit(1);
  return row ?? null;
}

/**
 * In a thread that is still a message request, the requester may send a few messages and no
 * more until the recipient accepts; after a decline, nothing. The recipient is not a member
 * yet, so the block check is made against them here. Runs under the group's row lock, so two
 * sends at once cannot both take the last place.
 */
export async function assertRequestQuota(
  tx: DbOrTx,
  kind: string,
  groupId: string,
  senderId: string,
) {
  if (kind !== 'direct') return;
  const request = await requestFor(tx, groupId);
  if (!request || request.fromUserId !== senderId) return;
  if (await isBlockedEitherWay(tx, request.fromUserId, request.toUserId)) {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'You cannot message this person.' });
  }
  const [sent] = await tx
    .select({ n: count() })
    .from(messages)
    .where(and(eq(messages.groupId, groupId), eq(messages.senderId, senderId)));
  // A declined request looks like one still waiting: the requester is not told "no".
  if (request.status !== 'pending' || (sent?.n ?? 0) >= MAX_REQUEST_MESSAGES) {
    throw new TRPCError({
      code: 'FORBIDDEN',
      message: `This is a message request: you can send up to ${MAX_REQUEST_MESSAGES} messages until they accept it. Wait for them to accept, or ask a friend you share to introduce you.`,
    });
  }
}
