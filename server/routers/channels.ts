import { z } from 'zod';
import { claimChannel, myClaims, verifyClaim } from '../channels/claims';
import { brandIdSchema } from '../payments/catalog';
import { authedProcedure, router } from '../trpc';

const claimUrlSchema = z
  .string()
  .trim()
  .min(1, 'Paste a link to your profile or to one of your clips')
  .max(2048, 'Links can be at most 2048 characters');

export const channelsRouter = router({
  /** Starts a claim to a TikTok, YouTube or Instagram channel, for oneself or a brand one owns. */
  claim: authedProcedure
    .input(z.object({ url: claimUrlSchema, brandId: brandIdSchema.optional() }))
    .mutation(({ ctx, input }) => claimChannel(ctx, ctx.user.id, input)),

  /** Looks for the claim's code in the channel's public profile; verified once it is there. */
  verify: authedProcedure
    .input(z.object({ claimId: z.uuid('claimId must be a claim id') }))
    .mutation(({ ctx, input }) => verifyClaim(ctx, ctx.user.id, input.claimId)),

  /** The caller's claims, pending and verified. */
  mine: authedProcedure.query(({ ctx }) => myClaims(ctx.db, ctx.user.id)),
});
