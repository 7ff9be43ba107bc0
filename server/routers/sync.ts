import { z } from 'zod';
import { openSyncEvents } from '../sync/open-events';
import { authedProcedure, router } from '../trpc';

export const syncRouter = router({
  events: authedProcedure
    .input(
      z
        .object({
          lastEventId: z
            .string()
            .regex(/^\d{1,15}$/, 'lastEventId must be an id received from this stream')
            .nullish(),
        })
        .optional(),
    )
    .subscription(({ ctx, input, signal }) => openSyncEvents(ctx, input?.lastEventId, signal)),
});
