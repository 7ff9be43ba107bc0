import { connectCreator } from '../creators/connect';
import { creatorEarnings } from '../creators/earnings';
import { authedProcedure, router } from '../trpc';

export const creatorsRouter = router({
  /**
   * Starts (or resumes) the caller's Stripe onboarding for commissions: creates their Express
   * account once and returns a fresh Account Link to send them to.
   */
  connect: authedProcedure.mutation(({ ctx }) => connectCreator(ctx, ctx.user.id)),

  /** The caller's payout state and the paid orders attributed to them, with their commission. */
  earnings: authedProcedure.query(({ ctx }) => creatorEarnings(ctx.db, ctx.user.id)),
});
