import { z } from 'zod';
import { listGroups } from '../groups/list-groups';
import { listRequests } from '../groups/list-requests';
import { loadGroup } from '../groups/load-group';
import { createGroup, muteGroup, renameGroup, setMemberRole } from '../groups/manage-group';
import { addMembers, leave, removeMember } from '../groups/membership';
import { acceptRequest, declineRequest } from '../groups/message-requests';
import { openDirect } from '../groups/open-direct';
import { groupIdInput, groupNameSchema, userIdsSchema } from '../groups/schemas';
import { authedProcedure, router } from '../trpc';

const userIdSchema = z.uuid('userId must be a user id');

export const groupsRouter = router({
  create: authedProcedure
    .input(z.object({ name: groupNameSchema, memberIds: userIdsSchema }))
    .mutation(({ ctx, input }) => createGroup(ctx, ctx.user.id, input)),

  list: authedProcedure.query(({ ctx }) => listGroups(ctx.db, ctx.user.id)),

  get: authedProcedure
    .input(groupIdInput)
    .query(({ ctx, input }) => loadGroup(ctx.db, input.groupId, ctx.user.id)),

  addMembers: authedProcedure
    .input(
      groupIdInput.extend({
        userIds: userIdsSchema.pipe(z.array(z.string()).min(1, 'Choose at least one person')),
      }),
    )
    .mutation(({ ctx, input }) => addMembers(ctx, ctx.user.id, input.groupId, input.userIds)),

  removeMember: authedProcedure
    .input(groupIdInput.extend({ userId: userIdSchema }))
    .mutation(({ ctx, input }) => removeMember(ctx, ctx.user.id, input.groupId, input.userId)),

  leave: authedProcedure
    .input(groupIdInput)
    .mutation(({ ctx, input }) => leave(ctx, ctx.user.id, input.groupId)),

  rename: authedProcedure
    .input(groupIdInput.extend({ name: groupNameSchema }))
    .mutation(({ ctx, input }) => renameGroup(ctx, ctx.user.id, input.groupId, input.name)),

  setRole: authedProcedure
    .input(groupIdInput.extend({ userId: z.uuid(), role: z.enum(['admin', 'member']) }))
    .mutation(({ ctx, input }) => setMemberRole(ctx, ctx.user.id, input)),

  mute: authedProcedure
    .input(groupIdInput.extend({ muted: z.boolean() }))
    .mutation(({ ctx, input }) => muteGroup(ctx, ctx.user.id, input.groupId, input.muted)),

  /**
   * The 1:1 thread with someone. With a friend it is an ordinary thread. With a friend of a
   * friend it is a message request: only I am in it until they accept (see `requests`). Anyone
   * else, or anyone blocked either way, is refused. Opening a thread someone requested with me
   * accepts their request.
   */
  openDirect: authedProcedure
    .input(z.object({ userId: userIdSchema }))
    .mutation(({ ctx, input }) => openDirect(ctx, ctx.user.id, input.userId)),

  /**
   * Message requests waiting for me: who asks, how many friends we share, and their first
   * message. Requests from people blocked either way are not shown.
   */
  requests: authedProcedure.query(({ ctx }) => listRequests(ctx.db, ctx.user.id)),

  /** Accepts a message request: I join the thread, and it becomes an ordinary direct thread. */
  acceptRequest: authedProcedure
    .input(groupIdInput)
    .mutation(({ ctx, input }) => acceptRequest(ctx, ctx.user.id, input.groupId)),

  /**
   * Declines a message request: it leaves my requests, and its sender cannot send more or ask
   * again (they are not told; to them it still looks unanswered). Becoming friends, or me
   * opening the thread with them, lifts it. Declining again changes nothing.
   */
  declineRequest: authedProcedure
    .input(groupIdInput)
    .mutation(({ ctx, input }) => declineRequest(ctx, ctx.user.id, input.groupId)),
});
