import { z } from 'zod';
import { clipActivity } from '../clips/clip-activity';
import { clipThread } from '../clips/clip-thread';
import { MAX_NOTE, MAX_SHARE_GROUPS, shareClip } from '../clips/share-clip';
import { clipTitleSchema, clipUrlSchema, thumbnailSchema } from '../clips/store';
import { atSecondsSchema, clientIdSchema, groupIdSchema } from '../messages/schemas';
import { authedProcedure, publicProcedure, router } from '../trpc';

export const clipsRouter = router({
  /** Public: turning a link into its canonical clip reveals nothing about anyone. */
  resolve: publicProcedure.input(z.object({ url: clipUrlSchema })).query(({ input }) => input.url),

  share: authedProcedure
    .input(
      z.object({
        groupIds: z
          .array(groupIdSchema)
          .min(1, 'Choose at least one group')
          .max(MAX_SHARE_GROUPS, `Share to at most ${MAX_SHARE_GROUPS} groups at once`)
          .transform((ids) => [...new Set(ids)]),
        url: clipUrlSchema,
        title: clipTitleSchema.optional(),
        thumbnailUrl: thumbnailSchema.optional(),
        atSeconds: atSecondsSchema.optional(),
        note: z
          .string()
          .trim()
          .max(MAX_NOTE, `Notes can be at most ${MAX_NOTE} characters`)
          .optional(),
        /** Makes a retried share (offline outbox, flaky network) land once per group. */
        clientId: clientIdSchema
          .pipe(z.string().max(48, 'clientId must be at most 48 characters'))
          .optional(),
      }),
    )
    .mutation(({ ctx, input }) => shareClip(ctx, ctx.user.id, input)),

  thread: authedProcedure
    .input(z.object({ groupId: groupIdSchema, url: clipUrlSchema }))
    .query(({ ctx, input }) => clipThread(ctx.db, ctx.user.id, input.groupId, input.url)),

  activity: authedProcedure
    .input(z.object({ url: clipUrlSchema }))
    .query(({ ctx, input }) => clipActivity(ctx.db, ctx.user.id, input.url)),
});
