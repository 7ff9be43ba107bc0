import { TRPCError } from '@trpc/server';
import { and, eq } from 'drizzle-orm';
import { inPeriods, periodsOf, requireMember } from '../access';
import type { ResolvedClip } from '../clips/resolve';
import { clipMeta, upsertClip } from '../clips/store';
import { type DbOrTx, isUniqueViolation, type Tx } from '../db/client';
import { groups, messages } from '../db/schema';
import { type Emit, transact } from '../events';
import { requireActiveProduct } from '../payments/catalog';
import { assertCanSend } from './can-send';
import { assertRequestQuota } from './requests';
import { loadMessage, type MessageView } from './view';

/** One message by its sender and the id the client gave it, for idempotent retries. */
export async function findByClientId(db: DbOrTx, senderId: string, clientId: string) {
  const [row] = await db
    .select({ id: messages.id, groupId: messages.groupId })
    .from(messages)
    .where(and(eq(messages.senderId, senderId), eq(messages.clientId, clientId)))
    .limit(1);
  return row ?? null;
}

function sameRetry(existing: { groupId: string }, groupId: string) {
  if (existing.groupId !== groupId) {
    throw new TRPCError({
      code: 'CONFLICT',
      message:
        'This clientId was already used for a message in another group. Use a new clientId per message.',
    });
  }
}

export interface StoreMessageInput {
  groupId: string;
  senderId: string;
  clientId: string;
  kind: 'text' | 'clip' | 'product';
  body?: string | null;
  clipRef?: string | null;
  /** With `clipRef`: this share's title and thumbnail (the thumbnail already checked). */
  clipTitle?: string | null;
  clipThumbnailUrl?: string | null;
  atSeconds?: number | null;
  productId?: string | null;
  replyTo?: string | null;
  /** A clip to attach, stored only once the sender may post here (instead of `clipRef`). */
  clip?: {
    url: ResolvedClip;
    title?: string | undefined;
    thumbnailUrl?: string | undefined;
  } | null;
}

/**
 * Inserts one message inside the caller's transaction: seq from the group's row (locked), the
 * message, its event. Membership, blocks and the reply target are checked here.
 */
export async function insertMessage(
  tx: Tx,
  emit: Emit,
  input: StoreMessageInput,
): Promise<MessageView> {
  const member = await requireMember(tx, input.groupId, input.senderId, true);
  await assertCanSend(tx, member.kind, input.groupId, input.senderId);
  await assertRequestQuota(tx, member.kind, input.groupId, input.senderId);
  // A product message shares a product that exists and is on sale.
  if (input.productId) await requireActiveProduct(tx, input.productId);
  if (input.replyTo) {
    const [target] = await tx
      .select({ id: messages.id, seq: messages.seq })
      .from(messages)
      .where(and(eq(messages.id, input.replyTo), eq(messages.groupId, input.groupId)));
    // Only to a message the sender could see (said while they were a member).
    if (!target || !inPeriods(await periodsOf(tx, input.groupId, input.senderId), target.seq))
      throw new TRPCError({
        code: 'NOT_FOUND',
        message: 'The message you reply to is not in this group.',
      });
  }
  const clipRef = input.clip ? await upsertClip(tx, input.clip.url) : (input.clipRef ?? null);
  const meta = input.clip
    ? clipMeta(input.clip.url, input.clip)
    : { clipTitle: input.clipTitle ?? null, clipThumbnailUrl: input.clipThumbnailUrl ?? null };
  const seq = member.lastSeq + 1;
  await tx.update(groups).set({ lastSeq: seq }).where(eq(groups.id, input.groupId));
  const [row] = await tx
    .insert(messages)
    .values({
      groupId: input.groupId,
      seq,
      senderId: input.senderId,
      clientId: input.clientId,
      kind: input.kind,
      body: input.body ?? null,
      clipRef,
      clipTitle: clipRef ? meta.clipTitle : null,
      clipThumbnailUrl: clipRef ? meta.clipThumbnailUrl : null,
      atSeconds: input.atSeconds ?? null,
      productId: input.productId ?? null,
      replyTo: input.replyTo ?? null,
    })
    .returning({ id: messages.id });
  const view = (await loadMessage(tx, row!.id))!;
  emit({ groupId: input.groupId, type: 'message.created', payload: view });
  return view;
}

/**
 * Stores one message in its own transaction. A retry with the same `(sender, clientId)` —
 * sequential or concurrent — returns the original message and stores nothing new.
 */
export async function storeMessage(
  deps: Parameters<typeof transact>[0],
  input: StoreMessageInput,
): Promise<MessageView> {
  const prior = await findByClientId(deps.db, input.senderId, input.clientId);
  if (prior) {
    // A retry answers only while the sender can still see the group: a removed member learns
    // nothing more about it (reactions, deletion) by replaying an old send.
    await requireMember(deps.db, input.groupId, input.senderId);
    sameRetry(prior, input.groupId);
    return (await loadMessage(deps.db, prior.id))!;
  }
  try {
    const view = await transact(deps, (tx, emit) => insertMessage(tx, emit, input));
    return view;
  } catch (error) {
    // A concurrent retry of the same message won the race: answer with its result.
    if (isUniqueViolation(error)) {
      const winner = await findByClientId(deps.db, input.senderId, input.clientId);
      if (winner) {
        sameRetry(winner, input.groupId);
        return (await loadMessage(deps.db, winner.id))!;
      }
    }
    throw error;
  }
}
