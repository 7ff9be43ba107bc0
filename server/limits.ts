import { TRPCError } from '@trpc/server';
import type { Redis } from 'ioredis';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import type { Env } from './env';
import { defaultLimitSettings as builtInLimits } from './limit-defaults';

export interface LimitSettings {
  /** Failed logins allowed per handle (and per address) in `loginWindowSeconds`. */
  loginFailures: number;
  loginWindowSeconds: number;
  /** Messages a user may send per `sendWindowSeconds` (bursts included). */
  sends: number;
  sendWindowSeconds: number;
  /**
   * Checkouts started per client address, and per signed-in buyer, in `checkoutWindowSeconds`.
   * Each one makes a Stripe Checkout Session, so an anonymous caller must not make them in bulk.
   */
  checkouts: number;
  checkoutWindowSeconds: number;
  /** Open event streams per user (each tab or device holds one), counted per server instance. */
  socketsPerUser: number;
  /** Missed events replayed on reconnect; more than this and the client is told to resync. */
  replayLimit: number;
}

/** The built-in limits (see limit-defaults.ts), each `LIMIT_*` variable's default. */
export const defaultLimitSettings: LimitSettings = builtInLimits;

/** The limits the environment sets (`LIMIT_*`, validated and defaulted by `parseEnv`). */
export function limitSettingsFromEnv(
  env: Pick<
    Env,
    | 'LIMIT_LOGIN_FAILURES'
    | 'LIMIT_LOGIN_WINDOW_SECONDS'
    | 'LIMIT_SENDS'
    | 'LIMIT_SEND_WINDOW_SECONDS'
    | 'LIMIT_CHECKOUTS'
    | 'LIMIT_CHECKOUT_WINDOW_SECONDS'
    | 'LIMIT_SOCKETS_PER_USER'
    | 'LIMIT_REPLAY'
  >,
): Partial<LimitSettings> {
  return {
    loginFailures: env.LIMIT_LOGIN_FAILURES,
    loginWindowSeconds: env.LIMIT_LOGIN_WINDOW_SECONDS,
    sends: env.LIMIT_SENDS,
    sendWindowSeconds: env.LIMIT_SEND_WINDOW_SECONDS,
    checkouts: env.LIMIT_CHECKOUTS,
    checkoutWindowSeconds: env.LIMIT_CHECKOUT_WINDOW_SECONDS,
    socketsPerUser: env.LIMIT_SOCKETS_PER_USER,
    replayLimit: env.LIMIT_REPLAY,
  };
}

export interface Limits {
  settings: LimitSettings;
  /** Throws TOO_MANY_REQUESTS while `key` has used up its failed logins. */
  assertLoginAllowed(key: string): Promise<void>;
  recordLoginFailure(key: string): Promise<void>;
  clearLoginFailures(key: string): Promise<void>;
  /** Counts one send for the user; throws TOO_MANY_REQUESTS with the wait when over. */
  consumeSend(userId: string, points?: number): Promise<void>;
  /**
   * Counts one new checkout for the address and, when signed in, for the buyer; throws
   * TOO_MANY_REQUESTS with the wait when either is over (and then counts nothing for either).
   */
  consumeCheckout(ip: string, userId: string | null): Promise<void>;
}

function tooMany(what: string, ms: number): TRPCError {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  return new TRPCError({
    code: 'TOO_MANY_REQUESTS',
    message: `${what} Try again in ${seconds} s.`,
    cause: Object.assign(new Error('rate limited'), { retryAfterSeconds: seconds }),
  });
}

/**
 * Where the counts live. In memory they are per instance; with Redis (`REDIS_URL`) every
 * instance shares them, so N instances do not allow N times the failed sign-ins. If Redis is
 * unreachable, each instance falls back to its own memory counts rather than refusing or
 * letting everything through.
 */
export interface LimitStore {
  redis: Redis;
  /** Namespaces the keys (one deployment's database), like the bus channel. */
  prefix: string;
}

export function createLimits(overrides: Partial<LimitSettings> = {}, store?: LimitStore): Limits {
  const settings = { ...defaultLimitSettings, ...overrides };
  const limiter = (keyPrefix: string, points: number, duration: number): RateLimiterAbstract => {
    const memory = new RateLimiterMemory({ keyPrefix, points, duration });
    if (!store) return memory;
    return new RateLimiterRedis({
      storeClient: store.redis,
      keyPrefix: `kith:${store.prefix}:${keyPrefix}`,
      points,
      duration,
      insuranceLimiter: memory,
    });
  };
  const logins = limiter('login', settings.loginFailures, settings.loginWindowSeconds);
  const sends = limiter('send', settings.sends, settings.sendWindowSeconds);
  const checkoutsByAddress = limiter(
    'checkout-ip',
    settings.checkouts,
    settings.checkoutWindowSeconds,
  );
  const checkoutsByUser = limiter(
    'checkout-user',
    settings.checkouts,
    settings.checkoutWindowSeconds,
  );
  return {
    settings,
    async assertLoginAllowed(key) {
      const state = await logins.get(key);
      if (state && state.consumedPoints >= settings.loginFailures) {
        throw tooMany('Too many failed sign-in attempts.', state.msBeforeNext);
      }
    },
    async recordLoginFailure(key) {
      await logins.penalty(key, 1);
    },
    async clearLoginFailures(key) {
      await logins.delete(key);
    },
    async consumeSend(userId, points = 1) {
      try {
        await sends.consume(userId, points);
      } catch (error) {
        if (error instanceof RateLimiterRes)
          throw tooMany('You are sending too fast.', error.msBeforeNext);
        throw error;
      }
    },
    async consumeCheckout(ip, userId) {
      const counted: [RateLimiterAbstract, string][] = [[checkoutsByAddress, ip]];
      if (userId) counted.push([checkoutsByUser, userId]);
      const results = await Promise.all(
        counted.map(([limiter, key]) =>
          limiter.consume(key).then(
            () => null,
            (error: unknown) => {
              if (error instanceof RateLimiterRes) return error;
              throw error;
            },
          ),
        ),
      );
      const refused = results.filter((r): r is RateLimiterRes => r !== null);
      if (refused.length === 0) return;
      // A refused checkout does not use up the other key's allowance either.
      await Promise.all(
        counted.map(([limiter, key], i) => (results[i] === null ? limiter.reward(key, 1) : null)),
      );
      const wait = Math.max(...refused.map((r) => r.msBeforeNext));
      throw tooMany('Too many checkouts started from here.', wait);
    },
  };
}
