import { TRPCError } from '@trpc/server';
import { and, eq, isNull } from 'drizzle-orm';
import { messages, reactions } from '../db/schema';
import type { Deps } from '../deps';
import { transact } from '../events';
import { assertCanSend } from './can-send';
import { loadMessage, type MessageView } from './view';
import { visibleMessage } from './visible-message';

/** Changes the body of one's own message, unless it was deleted (even a moment before). */
export async function editMessage(
  deps: Pick<Deps, 'db' | 'bus'>,
  userId: string,
  messageId: string,
  body: string,
): Promise<MessageView> {
  const msg = await visibleMessage(deps.db, messageId, userId);
  if (msg.senderId !== userId)
    throw new TRPCError({ code: 'FORBIDDEN', message: 'You can only edit your own messages.' });
  await assertCanSend(deps.db, msg.kind, msg.groupId, userId);
  if (msg.deletedAt)
    throw new TRPCError({
      code: 'PRECONDITION_FAILED',
      message: 'A deleted message cannot be edited.',
    });
  return transact(deps, async (tx, emit) => {
    // Only while not deleted: a delete that commits first must keep its tombstone empty.
    const edited = await tx
      .update(messages)
      .set({ body, editedAt: new Date() })
      .where(and(eq(messages.id, msg.id), isNull(messages.deletedAt)))
      .returning({ id: messages.id });
    if (edited.length === 0)
      throw new TRPCError({
        code: 'PRECONDITION_FAILED',
        message: 'A deleted message cannot be edited.',
      });
    const view = (await loadMessage(tx, msg.id))!;
    emit({ groupId: msg.groupId, type: 'message.edited', payload: view });
    return view;
  });
}

/**
 * Deletes one's own message: its body and reactions go, a tombstone stays in its place.
 * Deleting again answers the same tombstone and announces nothing.
 */
export async function deleteMessage(
  deps: Pick<Deps, 'db' | 'bus'>,
  userId: string,
  messageId: string,
): Promise<MessageView> {
  const msg = await visibleMessage(deps.db, messageId, userId);
  if (msg.senderId !== userId)
    throw new TRPCError({
      code: 'FORBIDDEN',
      message: 'You can only delete your own messages.',
    });
  if (msg.deletedAt) return (await loadMessage(deps.db, msg.id))!;
  return transact(deps, async (tx, emit) => {
    const deleted = await tx
      .update(messages)
      .set({ deletedAt: new Date(), body: null })
      .where(and(eq(messages.id, msg.id), isNull(messages.deletedAt)))
      .returning({ id: messages.id });
    // A concurrent delete got there first: answer with its tombstone, announce it once.
    if (deleted.length === 0) return (await loadMessage(tx, msg.id))!;
    await tx.delete(reactions).where(eq(reactions.messageId, msg.id));
    const view = (await loadMessage(tx, msg.id))!;
    emit({ groupId: msg.groupId, type: 'message.deleted', payload: view });
    return view;
  });
}
