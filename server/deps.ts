import type { Logger } from 'pino';
import type { Bus } from './bus';
import type { Db } from './db/client';
import type { Env } from './env';
import type { Limits } from './limits';
import type { Payments } from './payments/stripe';
import type { EventHub } from './sync/hub';

/** What the server is made of; built once at boot (or once per test file). */
export interface Deps {
  db: Db;
  bus: Bus;
  env: Env;
  log: Logger;
  limits: Limits;
  /** This instance's ordered view of committed events, for subscriptions. */
  hub: EventHub;
  /** Stripe, when `STRIPE_SECRET_KEY` is set; without it checkout says payments are off. */
  payments?: Payments | null;
}
