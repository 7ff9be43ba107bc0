import { TRPCError } from '@trpc/server';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

export interface LimitSettings {
  /** Failed logins allowed per handle (and per address) in `loginWindowSeconds`. */
  loginFailures: number;
  loginWindowSeconds: number;
  /** Messages a user may send per `sendWindowSeconds` (bursts included). */
  sends: number;
  sendWindowSeconds: number;
  /** Open event streams per user (each tab or device holds one). */
  socketsPerUser: number;
  /** Missed events replayed on reconnect; more than this and the client is told to resync. */
  replayLimit: number;
}

export const defaultLimitSettings: LimitSettings = {
  loginFailures: 10,
  loginWindowSeconds: 15 * 60,
  sends: 30,
  sendWindowSeconds: 10,
  socketsPerUser: 8,
  replayLimit: 2000,
};

export interface Limits {
  settings: LimitSettings;
  /** Throws TOO_MANY_REQUESTS while `key` has used up its failed logins. */
  assertLoginAllowed(key: string): Promise<void>;
  recordLoginFailure(key: string): Promise<void>;
  clearLoginFailures(key: string): Promise<void>;
  /** Counts one send for the user; throws TOO_MANY_REQUESTS with the wait when over. */
  consumeSend(userId: string, points?: number): Promise<void>;
}

function tooMany(what: string, ms: number): TRPCError {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  return new TRPCError({
    code: 'TOO_MANY_REQUESTS',
    message: `${what} Try again in ${seconds} s.`,
    cause: Object.assign(new Error('rate limited'), { retryAfterSeconds: seconds }),
  });
}

export function createLimits(overrides: Partial<LimitSettings> = {}): Limits {
  const settings = { ...defaultLimitSettings, ...overrides };
  const logins = new RateLimiterMemory({
    points: settings.loginFailures,
    duration: settings.loginWindowSeconds,
  });
  const sends = new RateLimiterMemory({
    points: settings.sends,
    duration: settings.sendWindowSeconds,
  });
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
  };
}
