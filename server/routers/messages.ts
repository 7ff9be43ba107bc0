import { z } from 'zod';
import { clipInputSchema } from '../clips/store';
import { deleteMessage, editMessage } from '../messages/edit-message';
import { listMessages } from '../messages/list-messages';
import { markRead } from '../messages/mark-read';
import { reportMessage } from '../messages/report-message';
import {
  atSecondsSchema,
  bodySchema,
  clientIdSchema,
  emojiSchema,
  groupIdSchema,
  MAX_SEQ,
  messageIdSchema,
  reportReasonSchema,
} from '../messages/schemas';
import { sendMessage } from '../messages/send-message';
import { sendTyping } from '../messages/send-typing';
import { toggleReaction } from '../messages/toggle-reaction';
import { productIdSchema } from '../payments/catalog';
import { authedProcedure, router } from '../trpc';

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
    .mutation(({ ctx, input }) => sendMessage(ctx, ctx.user.id, input)),

  list: authedProcedure
    .input(
      z.object({
        groupId: groupIdSchema,
        beforeSeq: z.number().int().min(1).max(MAX_SEQ, 'beforeSeq is beyond any seq').optional(),
        afterSeq: z.number().int().min(0).max(MAX_SEQ, 'afterSeq is beyond any seq').optional(),
        limit: z.number().int().min(1).max(200).default(50),
      }),
    )
    .query(({ ctx, input }) => listMessages(ctx.db, ctx.user.id, input)),

  edit: authedProcedure
    .input(z.object({ messageId: messageIdSchema, body: bodySchema }))
    .mutation(({ ctx, input }) => editMessage(ctx, ctx.user.id, input.messageId, input.body)),

  delete: authedProcedure
    .input(z.object({ messageId: messageIdSchema }))
    .mutation(({ ctx, input }) => deleteMessage(ctx, ctx.user.id, input.messageId)),

  react: authedProcedure
    .input(z.object({ messageId: messageIdSchema, emoji: emojiSchema }))
    .mutation(({ ctx, input }) => toggleReaction(ctx, ctx.user.id, input.messageId, input.emoji)),

  markRead: authedProcedure
    .input(z.object({ groupId: groupIdSchema, seq: z.number().int().min(0) }))
    .mutation(({ ctx, input }) => markRead(ctx, ctx.user.id, input.groupId, input.seq)),

  typing: authedProcedure
    .input(z.object({ groupId: groupIdSchema }))
    .mutation(({ ctx, input }) => sendTyping(ctx, ctx.user, input.groupId)),

  /**
   * Reports a message for review: stored with a copy of its body as it is now. Only members of
   * the message's group can report it; reporting it again while the report is open changes
   * nothing and answers the same report.
   */
  report: authedProcedure
    .input(
      z.object({
        messageId: messageIdSchema,
        reason: reportReasonSchema,
        note: z
          .string()
          .trim()
          .max(500, 'A note can be at most 500 characters')
          .optional()
          .transform((v) => (v ? v : null)),
      }),
    )
    .mutation(({ ctx, input }) => reportMessage(ctx.db, ctx.user.id, input)),
});
