import { z } from 'zod';
import { getProfile, updateProfile } from '../accounts/profile';
import {
  deviceTokenSchema,
  displayNameSchema,
  handleSchema,
  passwordSchema,
} from '../auth/schemas';
import { changePassword, login, logout, logoutAll, register } from '../auth/sessions';
import { authedProcedure, publicProcedure, router } from '../trpc';

export const authRouter = router({
  /**
   * Creates an account and signs it in. Answers with a session `token` and a `deviceToken` to
   * keep and send with later sign-ins (see `login`). Sign-ups are limited per address. With
   * `inviteCode`, the answer's `invite` is `{ accepted: true, friend }` (friends with the
   * inviter at once) or `{ accepted: false, reason: 'unknown' | 'expired' | 'used' }`.
   */
  register: publicProcedure
    .input(
      z.object({
        handle: handleSchema,
        password: passwordSchema,
        displayName: displayNameSchema.optional(),
        /** An invite code or link: the new account is friends with the inviter at once. */
        inviteCode: z.string().max(300, 'inviteCode is at most 300 characters').optional(),
      }),
    )
    .mutation(({ ctx, input }) => register(ctx, input)),

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
    .mutation(({ ctx, input }) => login(ctx, input)),

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
    .mutation(({ ctx, input }) => changePassword(ctx, input)),

  me: authedProcedure.query(({ ctx }) => getProfile(ctx.db, ctx.user.id)),

  /**
   * Profile and privacy settings: display name; whether others see when I have read
   * (`readReceipts`, also accepted under its older name `sendReceipts`); who may add me to
   * groups (`groupAdds`: my friends, or nobody); whether others may send me a friend request
   * by my handle (`findableByHandle`, on by default; when off, a request by my handle gets the
   * same answer as one to a handle nobody has).
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
          findableByHandle: z.boolean('findableByHandle must be true or false').optional(),
        })
        .refine(
          (v) =>
            v.displayName !== undefined ||
            v.sendReceipts !== undefined ||
            v.readReceipts !== undefined ||
            v.groupAdds !== undefined ||
            v.findableByHandle !== undefined,
          'Nothing to change: give displayName, readReceipts, groupAdds or findableByHandle',
        )
        .refine(
          (v) =>
            v.sendReceipts === undefined ||
            v.readReceipts === undefined ||
            v.sendReceipts === v.readReceipts,
          'readReceipts and sendReceipts name the same setting: give one of them',
        ),
    )
    .mutation(({ ctx, input }) =>
      updateProfile(ctx.db, ctx.user.id, {
        displayName: input.displayName,
        readReceipts: input.readReceipts ?? input.sendReceipts,
        groupAdds: input.groupAdds,
        findableByHandle: input.findableByHandle,
      }),
    ),

  logout: authedProcedure.mutation(({ ctx }) => logout(ctx, ctx.user.id, ctx.tokenHash)),

  /** Ends every session of mine, this one included: other devices and open sockets too. */
  logoutAll: authedProcedure.mutation(({ ctx }) => logoutAll(ctx, ctx.user.id)),
});
