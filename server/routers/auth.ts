import { TRPCError } from '@trpc/server';
import { and, eq, ne, sql } from 'drizzle-orm';
import { z } from 'zod';
import {
  type AdmitOptions,
  DUMMY_HASH,
  type HashAdmission,
  hashPassword,
  hashToken,
  knownDeviceId,
  newDeviceToken,
  newToken,
  verifyPassword,
} from '../auth/password';
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

/**
 * Runs a request that hashes a password with its place in the hash queue taken first, before
 * any other work: past the queue's bounds it is refused at once, costing nothing.
 */
async function withHashPlace<T>(
  ctx: Context,
  work: (place: HashAdmission) => Promise<T>,
  options: AdmitOptions = {},
) {
  const place = ctx.limits.hashQueue.admit(ctx.ip, options);
  try {
    return await work(place);
  } finally {
    place.release();
  }
}

/** A device token a client sends back, checked in `knownDeviceId`; anything else is ignored. */
const deviceTokenSchema = z.string().max(200, 'deviceToken is at most 200 characters').optional();

export const authRouter = router({
  /**
   * Creates an account and signs it in. Answers with a session `token` and a `deviceToken` to
   * keep and send with later sign-ins (see `login`). Sign-ups are limited per address.
   */
  register: publicProcedure
    .input(
      z.object({
        handle: handleSchema,
        password: passwordSchema,
        displayName: displayNameSchema.optional(),
      }),
    )
    .mutation(({ ctx, input }) =>
      withHashPlace(ctx, async (place) => {
        await ctx.limits.consumeRegistration(ctx.ip);
        const passwordHash = await hashPassword(input.password, place);
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
        return {
          ...(await startSession(ctx, user.id)),
          deviceToken: newDeviceToken(user.id, passwordHash),
          user,
        };
      }),
    ),

  /**
   * Signs in. Every attempt is counted before the password is checked: per address and
   * handle, and per handle from any address, unless `deviceToken` (from an earlier sign-in or
   * sign-up of this account on this device) shows a known device, which is counted on its own
   * instead of per handle: guessers cannot lock the owner out of their own devices.
   */
  login: publicProcedure
    .input(
      z.object({
        handle: handleSchema,
        password: z.string().min(1).max(200),
        deviceToken: deviceTokenSchema,
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const lookUp = async () => {
        const [row] = await ctx.db
          .select({ ...publicUserColumns, passwordHash: users.passwordHash })
          .from(users)
          .where(eq(sql`lower(${users.handle})`, input.handle))
          .limit(1);
        return row;
      };
      // A sign-in showing a device token is looked up first: a valid one (for this account)
      // may take the hash places kept for owners on their own devices. Without one, the place
      // is taken before anything else, so a refused flood costs nothing.
      const early = input.deviceToken ? await lookUp() : undefined;
      const knownDevice = early
        ? knownDeviceId(input.deviceToken, early.id, early.passwordHash)
        : null;
      return withHashPlace(
        ctx,
        async (place) => {
          const row = input.deviceToken ? early : await lookUp();
          const device = knownDevice;
          const reservation = await ctx.limits.reserveLogin([
            { kind: 'address', ip: ctx.ip, handle: input.handle },
            ...(device
              ? [{ kind: 'device' as const, id: device }]
              : [
                  { kind: 'handle' as const, handle: input.handle },
                  { kind: 'caller' as const, ip: ctx.ip },
                ]),
          ]);
          const ok = await verifyPassword(input.password, row?.passwordHash ?? DUMMY_HASH, place);
          if (!row || !ok) {
            throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Wrong handle or password.' });
          }
          await reservation.succeeded();
          const { passwordHash, ...user } = row;
          return {
            ...(await startSession(ctx, user.id)),
            deviceToken:
              device && input.deviceToken
                ? input.deviceToken
                : newDeviceToken(user.id, passwordHash),
            user,
          };
        },
        knownDevice && early ? { knownAccount: early.id } : {},
      );
    }),

  /**
   * Changes my password: the current one is checked (and counted like a sign-in, so it cannot
   * be used to guess), every other session of mine ends, on every instance; this one stays.
   * Answers with a new `deviceToken` (earlier ones stop working with the old password).
   */
  changePassword: authedProcedure
    .input(
      z.object({
        currentPassword: z
          .string()
          .min(1, 'Type your current password')
          .max(200, 'Passwords can be at most 200 characters'),
        newPassword: passwordSchema,
      }),
    )
    .mutation(({ ctx, input }) =>
      withHashPlace(ctx, async (place) => {
        const me = ctx.user.id;
        const reservation = await ctx.limits.reserveLogin([
          { kind: 'address', ip: ctx.ip, handle: ctx.user.handle.toLowerCase() },
          { kind: 'session', tokenHash: ctx.tokenHash },
        ]);
        const [row] = await ctx.db
          .select({ passwordHash: users.passwordHash })
          .from(users)
          .where(eq(users.id, me));
        if (!row)
          throw new TRPCError({ code: 'UNAUTHORIZED', message: 'This account no longer exists.' });
        if (!(await verifyPassword(input.currentPassword, row.passwordHash, place))) {
          // FORBIDDEN, not UNAUTHORIZED: the session is fine, and clients sign out on UNAUTHORIZED.
          throw new TRPCError({
            code: 'FORBIDDEN',
            message:
              'That is not your current password, so nothing was changed. Type your current password again.',
          });
        }
        await reservation.succeeded();
        const passwordHash = await hashPassword(input.newPassword, place);
        const ended = await ctx.db.transaction(async (tx) => {
          await tx.update(users).set({ passwordHash }).where(eq(users.id, me));
          return tx
            .delete(sessions)
            .where(and(eq(sessions.userId, me), ne(sessions.tokenHash, ctx.tokenHash)))
            .returning({ tokenHash: sessions.tokenHash });
        });
        if (ended.length > 0)
          await announceRevoked(
            ctx,
            me,
            ended.map((s) => s.tokenHash),
          );
        return {
          ok: true as const,
          sessionsEnded: ended.length,
          deviceToken: newDeviceToken(me, passwordHash),
        };
      }),
    ),

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
