import { accountRouter } from './routers/account';
import { authRouter } from './routers/auth';
import { brandsRouter } from './routers/brands';
import { channelsRouter } from './routers/channels';
import { checkoutRouter } from './routers/checkout';
import { clipsRouter } from './routers/clips';
import { creatorsRouter } from './routers/creators';
import { friendsRouter } from './routers/friends';
import { groupsRouter } from './routers/groups';
import { messagesRouter } from './routers/messages';
import { ordersRouter } from './routers/orders';
import { productsRouter } from './routers/products';
import { shopRouter } from './routers/shop';
import { syncRouter } from './routers/sync';
import { router } from './trpc';

export const appRouter = router({
  account: accountRouter,
  auth: authRouter,
  brands: brandsRouter,
  channels: channelsRouter,
  checkout: checkoutRouter,
  clips: clipsRouter,
  creators: creatorsRouter,
  friends: friendsRouter,
  groups: groupsRouter,
  messages: messagesRouter,
  orders: ordersRouter,
  products: productsRouter,
  shop: shopRouter,
  sync: syncRouter,
});

export type AppRouter = typeof appRouter;
