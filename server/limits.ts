import { TRPCError } from '@trpc/server';
import type { Redis } from 'ioredis';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import { HASH_CONCURRENCY, HashQueue } from './auth/password';
import type { Env } from './env';
import { defaultLimitSettings as builtInLimits } from './limit-defaults';

export interface LimitSettings {
  /**
   * Failed logins allowed per address and handle, and per known device, in `loginWindowSeconds`.
   * Each attempt is counted before its password is checked.
   */
  loginFailures: number;
  loginWindowSeconds: number;
  /**
   * Failed logins allowed per handle from devices that have not signed in to it before, from
   * any address, in `loginWindowSeconds`. Devices that have signed in (a valid `deviceToken`)
   * are not held back by it, so guessing cannot lock the owner out.
   */
  loginHandleFailures: number;
  /**
   * Failed logins allowed per address over every handle (devices new to the handle), in
   * `loginWindowSeconds`: one address cannot spray a password over many accounts, nor keep the
   * password checks busy with made-up handles.
   */
  loginAddressAttempts: number;
  /** Accounts one address may create per `registrationWindowSeconds`. */
  registrations: number;
  registrationWindowSeconds: number;
  /** Calls one HTTP request or one WebSocket message may batch together. */
  batchCalls: number;
  /** Messages a user may send per `sendWindowSeconds` (bursts included). */
  sends: number;
  sendWindowSeconds: number;
  /**
   * Sends that may wait to be stored, per process; past it a send is refused at once with
   * TOO_MANY_REQUESTS and a retry hint, so an overloaded instance's memory stays bounded.
   */
  sendQueue: number;
  /** How long a send may wait to be stored (ms) before it is refused the same way. */
  sendWaitMs: number;
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
  /** Open WebSockets per client address (signed in or not), counted per server instance. */
  socketsPerAddress: number;
  /**
   * Open TCP connections (HTTP and WebSocket) per peer address, counted per server instance;
   * past it a new connection is closed at once. The socket's peer, not X-Forwarded-For; not
   * applied behind trusted proxies (`TRUST_PROXY`), where every client shares the proxy's.
   */
  connectionsPerAddress: number;
  /** Password hashes that may wait for a free hashing thread (per process); past it, refused. */
  hashWaiting: number;
  /** Password hashes one client address may have admitted at a time (per process). */
  hashPerAddress: number;
  /**
   * Friend requests by handle one user may make per `friendRequestWindowSeconds`, counting
   * requests to handles that do not exist (or hide) too: otherwise the limit would tell who is
   * on Kith.
   */
  friendRequests: number;
  friendRequestWindowSeconds: number;
  /**
   * Video-site pages (profiles, clip pages) one user may make the server fetch per
   * `pageFetchWindowSeconds`: verifying a claim, or claiming, tagging or asking about a clip
   * whose channel is not known yet. Answers already cached cost nothing.
   */
  pageFetches: number;
  pageFetchWindowSeconds: number;
}

/** The built-in limits (see limit-defaults.ts), each `LIMIT_*` variable's default. */
export const defaultLimitSettings: LimitSettings = builtInLimits;

/** The limits the environment sets (`LIMIT_*`, validated and defaulted by `parseEnv`). */
export function limitSettingsFromEnv(
  env: Pick<
    Env,
    | 'LIMIT_LOGIN_FAILURES'
    | 'LIMIT_LOGIN_WINDOW_SECONDS'
    | 'LIMIT_LOGIN_HANDLE_FAILURES'
    | 'LIMIT_LOGIN_ADDRESS_ATTEMPTS'
    | 'LIMIT_REGISTRATIONS'
    | 'LIMIT_REGISTRATION_WINDOW_SECONDS'
    | 'LIMIT_BATCH_CALLS'
    | 'LIMIT_SENDS'
    | 'LIMIT_SEND_WINDOW_SECONDS'
    | 'LIMIT_SEND_QUEUE'
    | 'LIMIT_SEND_WAIT_MS'
    | 'LIMIT_CHECKOUTS'
    | 'LIMIT_CHECKOUT_WINDOW_SECONDS'
    | 'LIMIT_SOCKETS_PER_USER'
    | 'LIMIT_REPLAY'
    | 'LIMIT_SOCKETS_PER_ADDRESS'
    | 'LIMIT_CONNECTIONS_PER_ADDRESS'
    | 'LIMIT_HASH_WAITING'
    | 'LIMIT_HASH_PER_ADDRESS'
    | 'LIMIT_FRIEND_REQUESTS'
    | 'LIMIT_FRIEND_REQUEST_WINDOW_SECONDS'
    | 'LIMIT_PAGE_FETCHES'
    | 'LIMIT_PAGE_FETCH_WINDOW_SECONDS'
  >,
): Partial<LimitSettings> {
  return {
    loginFailures: env.LIMIT_LOGIN_FAILURES,
    loginWindowSeconds: env.LIMIT_LOGIN_WINDOW_SECONDS,
    loginHandleFailures: env.LIMIT_LOGIN_HANDLE_FAILURES,
    loginAddressAttempts: env.LIMIT_LOGIN_ADDRESS_ATTEMPTS,
    registrations: env.LIMIT_REGISTRATIONS,
    registrationWindowSeconds: env.LIMIT_REGISTRATION_WINDOW_SECONDS,
    batchCalls: env.LIMIT_BATCH_CALLS,
    sends: env.LIMIT_SENDS,
    sendWindowSeconds: env.LIMIT_SEND_WINDOW_SECONDS,
    sendQueue: env.LIMIT_SEND_QUEUE,
    sendWaitMs: env.LIMIT_SEND_WAIT_MS,
    checkouts: env.LIMIT_CHECKOUTS,
    checkoutWindowSeconds: env.LIMIT_CHECKOUT_WINDOW_SECONDS,
    socketsPerUser: env.LIMIT_SOCKETS_PER_USER,
    replayLimit: env.LIMIT_REPLAY,
    socketsPerAddress: env.LIMIT_SOCKETS_PER_ADDRESS,
    connectionsPerAddress: env.LIMIT_CONNECTIONS_PER_ADDRESS,
    hashWaiting: env.LIMIT_HASH_WAITING,
    hashPerAddress: env.LIMIT_HASH_PER_ADDRESS,
    friendRequests: env.LIMIT_FRIEND_REQUESTS,
    friendRequestWindowSeconds: env.LIMIT_FRIEND_REQUEST_WINDOW_SECONDS,
    pageFetches: env.LIMIT_PAGE_FETCHES,
    pageFetchWindowSeconds: env.LIMIT_PAGE_FETCH_WINDOW_SECONDS,
  };
}

/**
 * What one sign-in attempt is counted against: `address` is the strict per-address-and-handle
 * count; `handle` the account-wide count for devices new to it; `device` the count of one known
 * device (each at most `loginFailures`, except `handle`: `loginHandleFailures`); `caller` the
 * address's count over every handle (`loginAddressAttempts`).
 */
export type LoginKey =
  | { kind: 'address'; ip: string; handle: string }
  | { kind: 'caller'; ip: string }
  | { kind: 'handle'; handle: string }
  | { kind: 'device'; id: string }
  | { kind: 'session'; tokenHash: string };

/** One attempt counted before its password is checked. */
export interface LoginReservation {
  /** The password was right: the attempt's counts are cleared (the account-wide one released). */
  succeeded(): Promise<void>;
}

export interface Limits {
  settings: LimitSettings;
  /**
   * This process's password-hashing queue, bounded by `hashWaiting` and `hashPerAddress`: every
   * sign-in, sign-up, password change and account deletion takes a place in it first.
   */
  hashQueue: HashQueue;
  /**
   * Counts one sign-in attempt against every key before the password is checked, so however
   * many attempts arrive at once (batched, in parallel, on several instances) no more than the
   * limit are ever checked. Throws TOO_MANY_REQUESTS (counting nothing) when any key is used up;
   * a wrong password leaves the attempt counted.
   */
  reserveLogin(keys: LoginKey[]): Promise<LoginReservation>;
  /** Counts one sign-up from `ip`; throws TOO_MANY_REQUESTS with the wait when over. */
  consumeRegistration(ip: string): Promise<void>;
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
  /**
   * Whether the shared counts' Redis answers within `timeoutMs` (null: counts are kept in
   * memory, no Redis). While it does not, each instance counts on its own.
   */
  storeState(timeoutMs: number): Promise<'ok' | 'timeout' | 'unreachable' | null>;
  /**
   * Counts one public product lookup (`shop.forClipPrefix`) from `ip`, LOOKUPS_PER_MINUTE a
   * minute; throws TOO_MANY_REQUESTS with the wait when over.
   */
  consumeLookup(ip: string): Promise<void>;
  /**
   * Counts one friend request by handle from `userId`, whether or not the handle exists;
   * throws TOO_MANY_REQUESTS with the wait when over.
   */
  consumeFriendRequest(userId: string): Promise<void>;
  /**
   * Counts one video-site page the server is about to fetch for `userId`; throws
   * TOO_MANY_REQUESTS with the wait when over.
   */
  consumePageFetch(userId: string): Promise<void>;
}

/** Public product lookups one address may make a minute: far more than anyone scrolls clips. */
export const LOOKUPS_PER_MINUTE = 600;

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
  /**
   * Its commands must fail rather than hang when Redis stalls (see `CommandRedis`): the
   * in-memory counts answer only when a command fails.
   */
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
  const loginsByHandle = limiter(
    'login-handle',
    settings.loginHandleFailures,
    settings.loginWindowSeconds,
  );
  const loginsByAddress = limiter(
    'login-ip',
    settings.loginAddressAttempts,
    settings.loginWindowSeconds,
  );
  const registrations = limiter(
    'register-ip',
    settings.registrations,
    settings.registrationWindowSeconds,
  );
  const loginCount = (key: LoginKey): { limiter: RateLimiterAbstract; key: string } => {
    switch (key.kind) {
      case 'address':
        return { limiter: logins, key: `ip:${key.ip}:${key.handle}` };
      case 'handle':
        return { limiter: loginsByHandle, key: `handle:${key.handle}` };
      case 'caller':
        return { limiter: loginsByAddress, key: `ip:${key.ip}` };
      case 'device':
        return { limiter: logins, key: `device:${key.id}` };
      case 'session':
        return { limiter: logins, key: `session:${key.tokenHash}` };
    }
  };
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
  const lookups = limiter('lookup-ip', LOOKUPS_PER_MINUTE, 60);
  const friendRequests = limiter(
    'friend-request',
    settings.friendRequests,
    settings.friendRequestWindowSeconds,
  );
  const pageFetches = limiter('page-fetch', settings.pageFetches, settings.pageFetchWindowSeconds);
  return {
    settings,
    hashQueue: new HashQueue({
      concurrency: HASH_CONCURRENCY,
      maxWaiting: settings.hashWaiting,
      perCaller: settings.hashPerAddress,
    }),
    async reserveLogin(keys) {
      const counted = keys.map((key) => ({ kind: key.kind, ...loginCount(key) }));
      const results = await Promise.all(
        counted.map(({ limiter, key }) =>
          limiter.consume(key).then(
            () => null,
            (error: unknown) => {
              if (error instanceof RateLimiterRes) return error;
              throw error;
            },
          ),
        ),
      );
      const refused = counted.filter((_, i) => results[i] !== null);
      if (refused.length > 0) {
        // A refused attempt is not checked, so it uses up nothing.
        await Promise.all(
          counted.map(({ limiter, key }, i) =>
            results[i] === null ? limiter.reward(key, 1) : null,
          ),
        );
        const wait = Math.max(...results.map((r) => r?.msBeforeNext ?? 0));
        const accountWide = refused.every((c) => c.kind === 'handle');
        const fromHere = refused.every((c) => c.kind === 'caller');
        throw tooMany(
          accountWide
            ? 'Too many failed sign-in attempts on this account from new devices: sign in from a device you have signed in on before.'
            : fromHere
              ? 'Too many failed sign-in attempts from this address, over several accounts: sign in from a device you have signed in on before, or wait.'
              : 'Too many failed sign-in attempts.',
          wait,
        );
      }
      return {
        async succeeded() {
          await Promise.all(
            counted.map(({ kind, limiter, key }) =>
              // Others' failures on the account (or from the address, over other accounts) stay
              // counted; only this attempt is given back.
              kind === 'handle' || kind === 'caller' ? limiter.reward(key, 1) : limiter.delete(key),
            ),
          );
        },
      };
    },
    async consumeRegistration(ip) {
      try {
        await registrations.consume(ip);
      } catch (error) {
        if (error instanceof RateLimiterRes)
          throw tooMany('Too many accounts were created from this address.', error.msBeforeNext);
        throw error;
      }
    },
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
    async storeState(timeoutMs) {
      if (!store) return null;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      const answered = store.redis.ping().then(
        () => 'ok' as const,
        (error: unknown) =>
          error instanceof Error && error.message === 'Command timed out'
            ? ('timeout' as const)
            : ('unreachable' as const),
      );
      try {
        return await Promise.race([answered, timedOut]);
      } finally {
        clearTimeout(timer);
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
    async consumeLookup(ip) {
      try {
        await lookups.consume(ip);
      } catch (error) {
        if (error instanceof RateLimiterRes)
          throw tooMany('Too many product lookups from this address.', error.msBeforeNext);
        throw error;
      }
    },
    async consumeFriendRequest(userId) {
      try {
        await friendRequests.consume(userId);
      } catch (error) {
        if (error instanceof RateLimiterRes)
          throw tooMany('You have sent too many friend requests.', error.msBeforeNext);
        throw error;
      }
    },
    async consumePageFetch(userId) {
      try {
        await pageFetches.consume(userId);
      } catch (error) {
        if (error instanceof RateLimiterRes)
          throw tooMany(
            'You have asked for too many video-site pages to be read.',
            error.msBeforeNext,
          );
        throw error;
      }
    },
  };
}
