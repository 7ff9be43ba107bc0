import { TRPCError } from '@trpc/server';
import { and, eq } from 'drizzle-orm';
import { messages, reactions } from '../db/schema';
import type { Deps } from '../deps';
import { transact } from '../events';
import { assertCanSend } from './can-send';
import { loadMessage } from './view';
import { visibleMessage } from './visible-message';

/** Adds `emoji` from `userId` to a message they can see, or takes it back if it was there. */
export async function toggleReaction(
  deps: Pick<Deps, 'db' | 'bus'>,
  userId: string,
  messageId: string,
  emoji: string,
) {
  const msg = await visibleMessage(deps.db, messageId, userId);
  await assertCanSend(deps.db, msg.kind, msg.groupId, userId);
  if (msg.deletedAt)
    throw new TRPCError({
      code: 'PRECONDITION_FAILED',
      message: 'You cannot react to a deleted message.',
    });
  return transact(deps, async (tx, emit) => {
    // One toggle at a time per message: a double tap must not insert the same reaction
    // twice, and a reaction must not land on a message deleted in the meantime.
    const [locked] = await tx
      .select({ deletedAt: messages.deletedAt })
      .from(messages)
      .where(eq(messages.id, msg.id))
      .for('update');
    if (!locked || locked.deletedAt)
      throw new TRPCError({
        code: 'PRECONDITION_FAILED',
        message: 'You cannot react to a deleted message.',
      });
    const removed = await tx
      .delete(reactions)
      .where(
        and(
          eq(reactions.messageId, msg.id),
          eq(reactions.userId, userId),
          eq(reactions.emoji, emoji),
        ),
      )
      .returning({ id: reactions.messageId });
    const active = removed.length === 0;
    if (active) await tx.insert(reactions).values({ messageId: msg.id, userId, emoji });
    const view = (await loadMessage(tx, msg.id))!;
    emit({
      groupId: msg.groupId,
      type: 'reaction.changed',
      userId,
      payload: {
        messageId: msg.id,
        // Which message, in the group's order: streams pass it only to who saw it said.
        seq: msg.seq,
        emoji,
        userId,
        active,
        reactions: view.reactions,
      },
    });
    return { messageId: msg.id, emoji, active, reactions: view.reactions };
  });
}
