import { authRouter } from './routers/auth';
import { clipsRouter } from './routers/clips';
import { friendsRouter } from './routers/friends';
import { groupsRouter } from './routers/groups';
import { messagesRouter } from './routers/messages';
import { syncRouter } from './routers/sync';
import { router } from './trpc';

export const appRouter = router({
  auth: authRouter,
  clips: clipsRouter,
  friends: friendsRouter,
  groups: groupsRouter,
  messages: messagesRouter,
  sync: syncRouter,
});

export type AppRouter = typeof appRouter;
