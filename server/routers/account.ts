import { z } from 'zod';
import { deleteAccount } from '../accounts/delete-account';
import { exportAccount } from '../accounts/export-account';
import { authedProcedure, router } from '../trpc';

export const accountRouter = router({
  /** Everything about me, as one JSON object (profile and settings down to my reports). */
  export: authedProcedure.query(({ ctx }) => exportAccount(ctx.db, ctx.user.id)),

  /**
   * Deletes my account for good, after checking my password. In one transaction: I leave every
   * group and thread the way `groups.leave` does (ownership passes on, emptied groups are
   * archived, others see me leave); message requests addressed to me are closed; the names
   * stored in past events are replaced by "Deleted user"; then the user row goes, and with it
   * every session, friendship, block, invite, reaction and request. My messages stay, with no
   * sender ("Deleted user"); my orders stay for the brand with no buyer. My handle is free
   * again. Refused while I own a brand: its orders must keep an owner.
   */
  delete: authedProcedure
    .input(
      z.object({
        password: z
          .string()
          .min(1, 'Type your password to confirm')
          .max(200, 'Passwords can be at most 200 characters'),
      }),
    )
    .mutation(({ ctx, input }) => deleteAccount(ctx, input.password)),
});
