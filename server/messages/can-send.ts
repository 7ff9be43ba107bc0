import { TRPCError } from '@trpc/server';
import { and, eq, sql } from 'drizzle-orm';
import { isBlockedEitherWay } from '../access';
import type { DbOrTx } from '../db/client';
import { groupMembers } from '../db/schema';

/**
 * In a thread between two people (direct, or a shopper's thread with a brand's owner), a block
 * on either side stops messages both ways, and with them edits, reactions, product shares and
 * typing signals, which reach the other person just the same. In a group thread a block
 * silences nobody: each still talks to the group.
 */
export async function assertCanSend(tx: DbOrTx, kind: string, groupId: string, senderId: string) {
  if (kind === 'group') return;
  const peers = await tx
    .select({ id: groupMembers.userId })
    .from(groupMembers)
    .where(and(eq(groupMembers.groupId, groupId), sql`${groupMembers.userId} <> ${senderId}`))
    .limit(2);
  for (const peer of peers) {
    if (await isBlockedEitherWay(tx, senderId, peer.id))
      throw new TRPCError({ code: 'FORBIDDEN', message: 'You cannot message this person.' });
  }
}
