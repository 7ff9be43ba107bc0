import { z } from 'zod';
import {
  blockUser,
  listBlocked,
  listFriends,
  removeFriend,
  unblockUser,
} from '../friends/friendships';
import { acceptInvite, createInvite } from '../friends/invites';
import { authedProcedure, router } from '../trpc';

const userIdInput = z.object({ userId: z.uuid('userId must be a user id') });

export const friendsRouter = router({
  createInvite: authedProcedure
    .input(
      z.object({ maxUses: z.number().int().min(1).max(20).default(1) }).default({ maxUses: 1 }),
    )
    .mutation(({ ctx, input }) => createInvite(ctx, ctx.user.id, input.maxUses)),

  acceptInvite: authedProcedure
    .input(
      z.object({
        code: z
          .string()
          .trim()
          .toUpperCase()
          // Accept a pasted invite link as well as the bare code.
          .transform((v) => v.replace(/^.*\/INVITE\//, ''))
          .pipe(z.string().regex(/^[A-Z0-9]{6,20}$/, 'Invite codes are 6–20 letters and digits')),
      }),
    )
    .mutation(({ ctx, input }) => acceptInvite(ctx, ctx.user.id, input.code)),

  list: authedProcedure.query(({ ctx }) => listFriends(ctx.db, ctx.user.id)),

  remove: authedProcedure
    .input(userIdInput)
    .mutation(({ ctx, input }) => removeFriend(ctx.db, ctx.user.id, input.userId)),

  block: authedProcedure
    .input(userIdInput)
    .mutation(({ ctx, input }) => blockUser(ctx.db, ctx.user.id, input.userId)),

  unblock: authedProcedure
    .input(userIdInput)
    .mutation(({ ctx, input }) => unblockUser(ctx.db, ctx.user.id, input.userId)),

  blocked: authedProcedure.query(({ ctx }) => listBlocked(ctx.db, ctx.user.id)),
});
