import { TRPCError } from '@trpc/server';
import { eq } from 'drizzle-orm';
import { inPeriods, periodsOf, requireMember } from '../access';
import type { DbOrTx } from '../db/client';
import { messages } from '../db/schema';

/**
 * A message `userId` can see (said in a group they are in, while they were a member), with the
 * kind of its thread; anything else is "no such message", so nobody learns it exists.
 */
export async function visibleMessage(db: DbOrTx, messageId: string, userId: string) {
  const [row] = await db
    .select({
      id: messages.id,
      groupId: messages.groupId,
      seq: messages.seq,
      senderId: messages.senderId,
      deletedAt: messages.deletedAt,
    })
    .from(messages)
    .where(eq(messages.id, messageId));
  const notFound = new TRPCError({
    code: 'NOT_FOUND',
    message: 'No such message, or you cannot see it.',
  });
  if (!row) throw notFound;
  const member = await requireMember(db, row.groupId, userId).catch(() => {
    throw notFound;
  });
  // Said before they joined or while they were out: not theirs to see, so not to touch.
  if (!inPeriods(await periodsOf(db, row.groupId, userId), row.seq)) throw notFound;
  return { ...row, kind: member.kind };
}
