import { z } from 'zod';
import { handleSchema } from '../auth/schemas';
import {
  blockUser,
  listBlocked,
  listFriends,
  removeFriend,
  unblockUser,
} from '../friends/friendships';
import { acceptInvite, createInvite } from '../friends/invites';
import { cancelRequest, listRequests, requestFriend, respondToRequest } from '../friends/requests';
import { authedProcedure, router } from '../trpc';

const userIdInput = z.object({ userId: z.uuid('userId must be a user id') });
const requestIdInput = z.uuid('requestId must be a friend request id');

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
    .mutation(({ ctx, input }) => acceptInvite(ctx, ctx.user, input.code)),

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

  /**
   * Asks the person with `handle` to be friends: `{ status: 'requested', request }`, or, if they
   * had already asked me, `{ status: 'friends', friend }` at once. A handle nobody has, someone
   * who is not findable by handle and someone blocked either way all get the same NOT_FOUND.
   * Rate limited per user (`LIMIT_FRIEND_REQUESTS`), every handle counted.
   */
  request: authedProcedure
    .input(
      z.object({
        // "@ana" as people write it, or "ana".
        handle: z
          .string()
          .max(100, 'Handles are 3–24 characters: letters, digits and _')
          .transform((v) => v.trim().replace(/^@/, ''))
          .pipe(handleSchema),
      }),
    )
    .mutation(({ ctx, input }) => requestFriend(ctx, ctx.user, input.handle)),

  /** Friend requests waiting for me (`incoming`) and mine not yet answered (`outgoing`). */
  requests: authedProcedure.query(({ ctx }) => listRequests(ctx.db, ctx.user.id)),

  /** Accepts (friends at once) or declines a request made to me. */
  respond: authedProcedure
    .input(
      z.object({ requestId: requestIdInput, accept: z.boolean('accept must be true or false') }),
    )
    .mutation(({ ctx, input }) => respondToRequest(ctx, ctx.user, input.requestId, input.accept)),

  /** Takes back a request I made. */
  cancelRequest: authedProcedure
    .input(z.object({ requestId: requestIdInput }))
    .mutation(({ ctx, input }) => cancelRequest(ctx, ctx.user.id, input.requestId)),
});
