import { TRPCError } from '@trpc/server';
import { and, asc, desc, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import { z } from 'zod';
import { inPeriods, isBlockedEitherWay, periodsOf, requireMember, seqVisible } from '../access';
import type { ResolvedClip } from '../clips/resolve';
import { clipInputSchema, clipMeta, upsertClip } from '../clips/store';
import type { DbOrTx, Tx } from '../db/client';
import { groupMembers, groups, messages, reactions, reports } from '../db/schema';
import { type Emit, publishEphemeral, transact } from '../events';
import { sendBatcher } from '../messages/batch';
import { assertRequestQuota } from '../messages/requests';
import { loadMessage, loadMessageViews, type MessageView, selectMessages } from '../messages/view';
import { productIdSchema, requireActiveProduct } from '../payments/catalog';
import { authedProcedure, router } from '../trpc';

export const MAX_BODY = 4000;
/** seq is a 4-byte integer column: a cursor past it would fail the query, not find nothing. */
const MAX_SEQ = 2_147_483_647;

export const groupIdSchema = z.uuid('groupId must be a group id');
export const clientIdSchema = z
  .string()
  .trim()
  .min(8, 'clientId must be 8–64 characters')
  .max(64, 'clientId must be 8–64 characters')
  .regex(/^[A-Za-z0-9_-]+$/, 'clientId may only use letters, digits, _ and -');
/** A moment in a clip, kept to the millisecond (the column is a 4-byte real: 5e-324 underflows). */
export const atSecondsSchema = z
  .number()
  .min(0)
  .max(24 * 3600, 'atSeconds must be within 24 hours')
  .transform((v) => Math.round(v * 1000) / 1000);
const bodySchema = z
  .string()
  .trim()
  .min(1, 'Message cannot be empty')
  .max(MAX_BODY, `Messages can be at most ${MAX_BODY} characters`);
const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });
const emojiSchema = z
  .string()
  .min(1)
  .max(32)
  .refine(
    (v) =>
      /^(\p{Extended_Pictographic}|\p{Emoji_Component}|\u200d|\ufe0f)+$/u.test(v) &&
      /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20e3/u.test(v) &&
      [...graphemes.segment(v)].length === 1,
    'Reactions must be a single emoji',
  );

const typingGate = new Map<string, number>();
const TYPING_EVERY_MS = 2000;

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

export function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: string }).code === '23505') return true;
  }
  return false;
}

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

async function ownMessage(db: DbOrTx, messageId: string, userId: string) {
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

export const messagesRouter = router({
  send: authedProcedure
    .input(
      z.object({
        groupId: groupIdSchema,
        clientId: clientIdSchema,
        body: bodySchema.optional(),
        /** The clip this message talks about: chat beside a video is attached to it. */
        clip: clipInputSchema.optional(),
        /** A product shared into the thread: it renders as a product card. */
        productId: productIdSchema.optional(),
        atSeconds: atSecondsSchema.optional(),
        replyTo: z.uuid('replyTo must be a message id').optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      if (!input.body && !input.clip && !input.productId) {
        throw new TRPCError({
          code: 'BAD_REQUEST',
          message: 'Invalid input: a message needs a body, a clip or a product.',
        });
      }
      await ctx.limits.consumeSend(ctx.user.id);
      return sendBatcher(ctx).submit({
        groupId: input.groupId,
        senderId: ctx.user.id,
        clientId: input.clientId,
        kind: input.productId ? 'product' : input.clip && !input.body ? 'clip' : 'text',
        body: input.body ?? null,
        clip: input.clip ?? null,
        productId: input.productId ?? null,
        atSeconds: input.atSeconds ?? null,
        replyTo: input.replyTo ?? null,
      });
    }),

  list: authedProcedure
    .input(
      z.object({
        groupId: groupIdSchema,
        beforeSeq: z.number().int().min(1).max(MAX_SEQ, 'beforeSeq is beyond any seq').optional(),
        afterSeq: z.number().int().min(0).max(MAX_SEQ, 'afterSeq is beyond any seq').optional(),
        limit: z.number().int().min(1).max(200).default(50),
      }),
    )
    .query(async ({ ctx, input }) => {
      await requireMember(ctx.db, input.groupId, ctx.user.id);
      // Only what was said while the caller was a member.
      const inGroup = and(
        eq(messages.groupId, input.groupId),
        seqVisible(await periodsOf(ctx.db, input.groupId, ctx.user.id)),
      );
      const take = input.limit + 1;
      let rows: Awaited<ReturnType<typeof selectMessages>>;
      if (input.afterSeq !== undefined) {
        const upper = input.beforeSeq !== undefined ? lt(messages.seq, input.beforeSeq) : undefined;
        rows = await selectMessages(ctx.db)
          .where(and(inGroup, gt(messages.seq, input.afterSeq), upper))
          .orderBy(asc(messages.seq))
          .limit(take);
        const hasMore = rows.length > input.limit;
        return { messages: await loadMessageViews(ctx.db, rows.slice(0, input.limit)), hasMore };
      }
      const upper = input.beforeSeq !== undefined ? lt(messages.seq, input.beforeSeq) : undefined;
      rows = await selectMessages(ctx.db)
        .where(and(inGroup, upper))
        .orderBy(desc(messages.seq))
        .limit(take);
      const hasMore = rows.length > input.limit;
      const page = rows.slice(0, input.limit).reverse();
      return { messages: await loadMessageViews(ctx.db, page), hasMore };
    }),

  edit: authedProcedure
    .input(z.object({ messageId: z.uuid('messageId must be a message id'), body: bodySchema }))
    .mutation(async ({ ctx, input }) => {
      const msg = await ownMessage(ctx.db, input.messageId, ctx.user.id);
      if (msg.senderId !== ctx.user.id)
        throw new TRPCError({ code: 'FORBIDDEN', message: 'You can only edit your own messages.' });
      await assertCanSend(ctx.db, msg.kind, msg.groupId, ctx.user.id);
      if (msg.deletedAt)
        throw new TRPCError({
          code: 'PRECONDITION_FAILED',
          message: 'A deleted message cannot be edited.',
        });
      return transact(ctx, async (tx, emit) => {
        // Only while not deleted: a delete that commits first must keep its tombstone empty.
        const edited = await tx
          .update(messages)
          .set({ body: input.body, editedAt: new Date() })
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
    }),

  delete: authedProcedure
    .input(z.object({ messageId: z.uuid('messageId must be a message id') }))
    .mutation(async ({ ctx, input }) => {
      const msg = await ownMessage(ctx.db, input.messageId, ctx.user.id);
      if (msg.senderId !== ctx.user.id)
        throw new TRPCError({
          code: 'FORBIDDEN',
          message: 'You can only delete your own messages.',
        });
      if (msg.deletedAt) return (await loadMessage(ctx.db, msg.id))!;
      return transact(ctx, async (tx, emit) => {
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
    }),

  react: authedProcedure
    .input(z.object({ messageId: z.uuid('messageId must be a message id'), emoji: emojiSchema }))
    .mutation(async ({ ctx, input }) => {
      const msg = await ownMessage(ctx.db, input.messageId, ctx.user.id);
      await assertCanSend(ctx.db, msg.kind, msg.groupId, ctx.user.id);
      if (msg.deletedAt)
        throw new TRPCError({
          code: 'PRECONDITION_FAILED',
          message: 'You cannot react to a deleted message.',
        });
      return transact(ctx, async (tx, emit) => {
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
              eq(reactions.userId, ctx.user.id),
              eq(reactions.emoji, input.emoji),
            ),
          )
          .returning({ id: reactions.messageId });
        const active = removed.length === 0;
        if (active)
          await tx
            .insert(reactions)
            .values({ messageId: msg.id, userId: ctx.user.id, emoji: input.emoji });
        const view = (await loadMessage(tx, msg.id))!;
        emit({
          groupId: msg.groupId,
          type: 'reaction.changed',
          userId: ctx.user.id,
          payload: {
            messageId: msg.id,
            // Which message, in the group's order: streams pass it only to who saw it said.
            seq: msg.seq,
            emoji: input.emoji,
            userId: ctx.user.id,
            active,
            reactions: view.reactions,
          },
        });
        return { messageId: msg.id, emoji: input.emoji, active, reactions: view.reactions };
      });
    }),

  markRead: authedProcedure
    .input(z.object({ groupId: groupIdSchema, seq: z.number().int().min(0) }))
    .mutation(async ({ ctx, input }) => {
      return transact(ctx, async (tx, emit) => {
        const member = await requireMember(tx, input.groupId, ctx.user.id);
        const seq = Math.min(input.seq, member.lastSeq);
        // Read positions only move forward; an old or repeated call changes nothing.
        if (seq <= member.lastReadSeq)
          return { groupId: input.groupId, lastReadSeq: member.lastReadSeq };
        const mine = and(
          eq(groupMembers.groupId, input.groupId),
          eq(groupMembers.userId, ctx.user.id),
        );
        // Conditional, so a concurrent call that already went further is never undone (under
        // READ COMMITTED the condition is re-checked on the row as that call committed it).
        const moved = await tx
          .update(groupMembers)
          .set({ lastReadSeq: seq })
          .where(and(mine, lt(groupMembers.lastReadSeq, seq)))
          .returning({ lastReadSeq: groupMembers.lastReadSeq });
        if (moved.length === 0) {
          const [current] = await tx
            .select({ lastReadSeq: groupMembers.lastReadSeq })
            .from(groupMembers)
            .where(mine);
          return { groupId: input.groupId, lastReadSeq: current?.lastReadSeq ?? seq };
        }
        const [settings] = await tx
          .execute<{ send_receipts: boolean }>(
            sql`select send_receipts from users where id = ${ctx.user.id}`,
          )
          .then((r) => r.rows);
        if (settings?.send_receipts !== false) {
          emit({
            groupId: input.groupId,
            type: 'read',
            userId: ctx.user.id,
            payload: { groupId: input.groupId, userId: ctx.user.id, seq },
          });
        }
        return { groupId: input.groupId, lastReadSeq: seq };
      });
    }),

  typing: authedProcedure
    .input(z.object({ groupId: groupIdSchema }))
    .mutation(async ({ ctx, input }) => {
      const member = await requireMember(ctx.db, input.groupId, ctx.user.id);
      await assertCanSend(ctx.db, member.kind, input.groupId, ctx.user.id);
      const key = `${ctx.user.id}:${input.groupId}`;
      const now = Date.now();
      const last = typingGate.get(key) ?? 0;
      if (now - last < TYPING_EVERY_MS) return { sent: false };
      typingGate.set(key, now);
      if (typingGate.size > 10_000) typingGate.clear();
      await publishEphemeral(ctx, {
        groupId: input.groupId,
        type: 'typing',
        userId: ctx.user.id,
        payload: {
          groupId: input.groupId,
          userId: ctx.user.id,
          handle: ctx.user.handle,
          displayName: ctx.user.displayName,
        },
      });
      return { sent: true };
    }),

  /**
   * Reports a message for review: stored with a copy of its body as it is now. Only members of
   * the message's group can report it; reporting it again while the report is open changes
   * nothing and answers the same report.
   */
  report: authedProcedure
    .input(
      z.object({
        messageId: z.uuid('messageId must be a message id'),
        reason: z.enum(['spam', 'harassment', 'other'], 'reason must be spam, harassment or other'),
        note: z
          .string()
          .trim()
          .max(500, 'A note can be at most 500 characters')
          .optional()
          .transform((v) => (v ? v : null)),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const msg = await ownMessage(ctx.db, input.messageId, ctx.user.id);
      const mine = and(
        eq(reports.reporterId, ctx.user.id),
        eq(reports.messageId, msg.id),
        eq(reports.status, 'open'),
      );
      const answer = (r: { id: string; createdAt: Date }) => ({
        reportId: r.id,
        messageId: msg.id,
        status: 'open' as const,
        createdAt: r.createdAt.toISOString(),
      });
      const [existing] = await ctx.db
        .select({ id: reports.id, createdAt: reports.createdAt })
        .from(reports)
        .where(mine);
      if (existing) return answer(existing);
      const [body] = await ctx.db
        .select({ body: messages.body })
        .from(messages)
        .where(eq(messages.id, msg.id));
      const [row] = await ctx.db
        .insert(reports)
        .values({
          reporterId: ctx.user.id,
          messageId: msg.id,
          groupId: msg.groupId,
          reportedUserId: msg.senderId,
          reason: input.reason,
          note: input.note,
          bodySnapshot: body?.body ?? null,
        })
        .onConflictDoNothing()
        .returning({ id: reports.id, createdAt: reports.createdAt });
      if (row) return answer(row);
      // The same report sent twice at once: the other one is stored, answer with it.
      const [winner] = await ctx.db
        .select({ id: reports.id, createdAt: reports.createdAt })
        .from(reports)
        .where(mine);
      return answer(winner!);
    }),
});
