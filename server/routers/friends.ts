import { randomBytes } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { and, asc, eq, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import { areFriends, isBlockedEitherWay, requireUser } from '../access';
import { publicUserColumns } from '../accounts/profile';
import { blocks, friendships, invites, users } from '../db/schema';
import { authedProcedure, router } from '../trpc';

export const INVITE_DAYS = 7;
const userIdInput = z.object({ userId: z.uuid('userId must be a user id') });

/** Readable invite codes: no 0/O/1/I/L to mistype when read aloud. */
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
function inviteCode(): string {
  const bytes = randomBytes(10);
  return Array.from(bytes, (b) => ALPHABET[b % ALPHABET.length]).join('');
}

export const friendsRouter = router({
  createInvite: authedProcedure
    .input(
      z.object({ maxUses: z.number().int().min(1).max(20).default(1) }).default({ maxUses: 1 }),
    )
    .mutation(async ({ ctx, input }) => {
      const expiresAt = new Date(Date.now() + INVITE_DAYS * 24 * 3600 * 1000);
      const code = inviteCode();
      await ctx.db
        .insert(invites)
        .values({ code, inviterId: ctx.user.id, expiresAt, maxUses: input.maxUses });
      return {
        code,
        url: `${ctx.env.PUBLIC_URL}/invite/${code}`,
        expiresAt: expiresAt.toISOString(),
        maxUses: input.maxUses,
      };
    }),

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
    .mutation(async ({ ctx, input }) => {
      return ctx.db.transaction(async (tx) => {
        const [invite] = await tx
          .select()
          .from(invites)
          .where(eq(invites.code, input.code))
          .for('update');
        if (!invite)
          throw new TRPCError({
            code: 'NOT_FOUND',
            message: 'This invite code does not exist. Check it or ask for a new one.',
          });
        if (invite.inviterId === ctx.user.id) {
          throw new TRPCError({
            code: 'BAD_REQUEST',
            message: 'This is your own invite: send it to a friend instead.',
          });
        }
        if (invite.expiresAt <= new Date()) {
          throw new TRPCError({
            code: 'PRECONDITION_FAILED',
            message: 'This invite has expired. Ask your friend for a new one.',
          });
        }
        if (invite.uses >= invite.maxUses) {
          throw new TRPCError({
            code: 'PRECONDITION_FAILED',
            message: 'This invite has already been used. Ask your friend for a new one.',
          });
        }
        if (await isBlockedEitherWay(tx, ctx.user.id, invite.inviterId)) {
          throw new TRPCError({
            code: 'FORBIDDEN',
            message: 'You cannot connect with this person.',
          });
        }
        if (await areFriends(tx, ctx.user.id, invite.inviterId)) {
          throw new TRPCError({ code: 'CONFLICT', message: 'You are already friends.' });
        }
        await tx
          .update(invites)
          .set({ uses: invite.uses + 1 })
          .where(eq(invites.code, invite.code));
        const added = await tx
          .insert(friendships)
          .values([
            { userId: ctx.user.id, friendId: invite.inviterId },
            { userId: invite.inviterId, friendId: ctx.user.id },
          ])
          .onConflictDoNothing()
          .returning({ userId: friendships.userId });
        // The two accepted each other's invites at the same moment and the other one won.
        if (added.length < 2)
          throw new TRPCError({ code: 'CONFLICT', message: 'You are already friends.' });
        return { friend: await requireUser(tx, invite.inviterId) };
      });
    }),

  list: authedProcedure.query(async ({ ctx }) => {
    const rows = await ctx.db
      .select({ ...publicUserColumns, since: friendships.createdAt })
      .from(friendships)
      .innerJoin(users, eq(users.id, friendships.friendId))
      .where(eq(friendships.userId, ctx.user.id))
      .orderBy(asc(sql`lower(${users.displayName})`));
    return rows.map((r) => ({ ...r, since: r.since.toISOString() }));
  }),

  remove: authedProcedure.input(userIdInput).mutation(async ({ ctx, input }) => {
    const removed = await ctx.db
      .delete(friendships)
      .where(
        or(
          and(eq(friendships.userId, ctx.user.id), eq(friendships.friendId, input.userId)),
          and(eq(friendships.userId, input.userId), eq(friendships.friendId, ctx.user.id)),
        ),
      )
      .returning({ userId: friendships.userId });
    if (removed.length === 0)
      throw new TRPCError({ code: 'NOT_FOUND', message: 'You are not friends with this user.' });
    return { ok: true as const };
  }),

  block: authedProcedure.input(userIdInput).mutation(async ({ ctx, input }) => {
    if (input.userId === ctx.user.id)
      throw new TRPCError({ code: 'BAD_REQUEST', message: 'You cannot block yourself.' });
    return ctx.db.transaction(async (tx) => {
      await requireUser(tx, input.userId);
      await tx
        .insert(blocks)
        .values({ blockerId: ctx.user.id, blockedId: input.userId })
        .onConflictDoNothing();
      await tx
        .delete(friendships)
        .where(
          or(
            and(eq(friendships.userId, ctx.user.id), eq(friendships.friendId, input.userId)),
            and(eq(friendships.userId, input.userId), eq(friendships.friendId, ctx.user.id)),
          ),
        );
      // Invites between the two stop working: acceptInvite checks blocks at accept time.
      return { ok: true as const };
    });
  }),

  unblock: authedProcedure.input(userIdInput).mutation(async ({ ctx, input }) => {
    const removed = await ctx.db
      .delete(blocks)
      .where(and(eq(blocks.blockerId, ctx.user.id), eq(blocks.blockedId, input.userId)))
      .returning({ id: blocks.blockedId });
    if (removed.length === 0)
      throw new TRPCError({ code: 'NOT_FOUND', message: 'You have not blocked this user.' });
    return { ok: true as const };
  }),

  blocked: authedProcedure.query(async ({ ctx }) => {
    return ctx.db
      .select(publicUserColumns)
      .from(blocks)
      .innerJoin(users, eq(users.id, blocks.blockedId))
      .where(eq(blocks.blockerId, ctx.user.id));
  }),
});
