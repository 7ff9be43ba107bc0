import { TRPCError } from '@trpc/server';
import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { DUMMY_HASH, hashPassword, hashToken, newToken, verifyPassword } from '../auth/password';
import { type GroupAdds, sessions, users } from '../db/schema';
import { announceRevoked } from '../sync/revocation';
import { authedProcedure, type Context, publicProcedure, router } from '../trpc';

export const SESSION_DAYS = 30;

export const handleSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9_]{3,24}$/, 'Handles are 3–24 characters: letters, digits and _');
const passwordSchema = z
  .string()
  .min(8, 'Passwords need at least 8 characters')
  .max(200, 'Passwords can be at most 200 characters');
export const displayNameSchema = z
  .string()
  .trim()
  .min(1, 'Display name cannot be empty')
  .max(60, 'Display names can be at most 60 characters');

/** The public face of a user: never a hash, never a token. */
export const publicUserColumns = {
  id: users.id,
  handle: users.handle,
  displayName: users.displayName,
};

/** My profile with my privacy settings. */
const meColumns = {
  ...publicUserColumns,
  sendReceipts: users.sendReceipts,
  groupAdds: users.groupAdds,
};

interface MeRow {
  id: string;
  handle: string;
  displayName: string;
  sendReceipts: boolean;
  groupAdds: GroupAdds;
}

function meView(row: MeRow) {
  return {
    ...row,
    settings: { readReceipts: row.sendReceipts, groupAdds: row.groupAdds },
  };
}

async function startSession(ctx: Context, userId: string) {
  const token = newToken();
  const expiresAt = new Date(Date.now() + SESSION_DAYS * 24 * 3600 * 1000);
  await ctx.db.insert(sessions).values({ tokenHash: hashToken(token), userId, expiresAt });
  return { token, expiresAt: expiresAt.toISOString() };
}

export const authRouter = router({
  register: publicProcedure
    .input(
      z.object({
        handle: handleSchema,
        password: passwordSchema,
        displayName: displayNameSchema.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const passwordHash = await hashPassword(input.password);
      const [user] = await ctx.db
        .insert(users)
        .values({
          handle: input.handle,
          displayName: input.displayName ?? input.handle,
          passwordHash,
        })
        .onConflictDoNothing()
        .returning(publicUserColumns);
      if (!user) {
        throw new TRPCError({
          code: 'CONFLICT',
          message: `The handle "${input.handle}" is taken. Pick another.`,
        });
      }
      return { ...(await startSession(ctx, user.id)), user };
    }),

  login: publicProcedure
    .input(z.object({ handle: handleSchema, password: z.string().min(1).max(200) }))
    .mutation(async ({ ctx, input }) => {
      const keys = [`handle:${input.handle}`, `ip:${ctx.ip}:${input.handle}`];
      for (const key of keys) await ctx.limits.assertLoginAllowed(key);
      const [row] = await ctx.db
        .select({ ...publicUserColumns, passwordHash: users.passwordHash })
        .from(users)
        .where(eq(sql`lower(${users.handle})`, input.handle))
        .limit(1);
      const ok = await verifyPassword(input.password, row?.passwordHash ?? DUMMY_HASH);
      if (!row || !ok) {
        for (const key of keys) await ctx.limits.recordLoginFailure(key);
        throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Wrong handle or password.' });
      }
      for (const key of keys) await ctx.limits.clearLoginFailures(key);
      const { passwordHash: _omit, ...user } = row;
      return { ...(await startSession(ctx, user.id)), user };
    }),

  me: authedProcedure.query(async ({ ctx }) => {
    const [row] = await ctx.db.select(meColumns).from(users).where(eq(users.id, ctx.user.id));
    if (!row)
      throw new TRPCError({ code: 'UNAUTHORIZED', message: 'This account no longer exists.' });
    return meView(row);
  }),

  /**
   * Profile and privacy settings: display name; whether others see when I have read
   * (`readReceipts`, also accepted under its older name `sendReceipts`); who may add me to
   * groups (`groupAdds`: my friends, or nobody).
   */
  update: authedProcedure
    .input(
      z
        .object({
          displayName: displayNameSchema.optional(),
          sendReceipts: z.boolean().optional(),
          readReceipts: z.boolean().optional(),
          groupAdds: z
            .enum(['friends', 'nobody'], 'groupAdds must be "friends" or "nobody"')
            .optional(),
        })
        .refine(
          (v) =>
            v.displayName !== undefined ||
            v.sendReceipts !== undefined ||
            v.readReceipts !== undefined ||
            v.groupAdds !== undefined,
          'Nothing to change: give displayName, readReceipts or groupAdds',
        )
        .refine(
          (v) =>
            v.sendReceipts === undefined ||
            v.readReceipts === undefined ||
            v.sendReceipts === v.readReceipts,
          'readReceipts and sendReceipts name the same setting: give one of them',
        ),
    )
    .mutation(async ({ ctx, input }) => {
      const receipts = input.readReceipts ?? input.sendReceipts;
      const [row] = await ctx.db
        .update(users)
        .set({
          ...(input.displayName !== undefined ? { displayName: input.displayName } : {}),
          ...(receipts !== undefined ? { sendReceipts: receipts } : {}),
          ...(input.groupAdds !== undefined ? { groupAdds: input.groupAdds } : {}),
        })
        .where(eq(users.id, ctx.user.id))
        .returning(meColumns);
      if (!row)
        throw new TRPCError({ code: 'UNAUTHORIZED', message: 'This account no longer exists.' });
      return meView(row);
    }),

  logout: authedProcedure.mutation(async ({ ctx }) => {
    await ctx.db.delete(sessions).where(eq(sessions.tokenHash, ctx.tokenHash));
    await announceRevoked(ctx, ctx.user.id, [ctx.tokenHash]);
    return { ok: true as const };
  }),

  /** Ends every session of mine, this one included: other devices and open sockets too. */
  logoutAll: authedProcedure.mutation(async ({ ctx }) => {
    const ended = await ctx.db
      .delete(sessions)
      .where(eq(sessions.userId, ctx.user.id))
      .returning({ tokenHash: sessions.tokenHash });
    await announceRevoked(ctx, ctx.user.id, 'all');
    return { ok: true as const, sessionsEnded: ended.length };
  }),
});
