import { z } from 'zod';
import { defaultLimitSettings } from './limit-defaults';

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

/** A whole number from the environment, within [min, max], `fallback` when unset or empty. */
const integer = (min: number, max: number, fallback: number) => {
  const message = `must be a whole number from ${min} to ${max}`;
  return z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z.coerce
      .number({ error: message })
      .int(message)
      .min(min, message)
      .max(max, message)
      .default(fallback),
  );
};

const day = 24 * 60 * 60;

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  HOST: z.string().default('0.0.0.0'),
  PUBLIC_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
  DATABASE_URL: optionalString.pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional()),
  DATA_DIR: z.string().default('./.data'),
  REDIS_URL: optionalString.pipe(z.url({ protocol: /^rediss?$/ }).optional()),
  STRIPE_SECRET_KEY: optionalString,
  STRIPE_WEBHOOK_SECRET: optionalString,
  STRIPE_API_BASE: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
  /**
   * Where channel profiles and clip pages are fetched from instead of the sites themselves
   * (tests point it at a loopback fake): `<base>/<site><path>`.
   */
  CHANNEL_FETCH_BASE: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
  PLATFORM_FEE_BPS: z.coerce.number().int().min(0).max(10000).default(500),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * How many reverse proxies in front of Kith append to X-Forwarded-For (0: none, the header is
   * ignored). The client's address, which rate limits use, is read past that many hops.
   */
  TRUST_PROXY: z.coerce.number().int().min(0).max(10).default(0),
  /** Store pages the home page links to for the extension (else the zips in KITH_OUT_DIR). */
  KITH_CHROME_STORE_URL: optionalString.pipe(
    z
      .url({ protocol: /^https$/, error: 'must be an https:// address of the store page' })
      .optional(),
  ),
  KITH_FIREFOX_STORE_URL: optionalString.pipe(
    z
      .url({ protocol: /^https$/, error: 'must be an https:// address of the store page' })
      .optional(),
  ),
  // Rate and abuse limits (see `LimitSettings`); unset means the built-in default.
  LIMIT_LOGIN_FAILURES: integer(1, 1_000_000, defaultLimitSettings.loginFailures),
  LIMIT_LOGIN_WINDOW_SECONDS: integer(1, day, defaultLimitSettings.loginWindowSeconds),
  LIMIT_LOGIN_HANDLE_FAILURES: integer(1, 1_000_000, defaultLimitSettings.loginHandleFailures),
  LIMIT_LOGIN_ADDRESS_ATTEMPTS: integer(1, 1_000_000, defaultLimitSettings.loginAddressAttempts),
  LIMIT_REGISTRATIONS: integer(1, 1_000_000, defaultLimitSettings.registrations),
  LIMIT_REGISTRATION_WINDOW_SECONDS: integer(
    1,
    day,
    defaultLimitSettings.registrationWindowSeconds,
  ),
  LIMIT_BATCH_CALLS: integer(1, 1000, defaultLimitSettings.batchCalls),
  LIMIT_SENDS: integer(1, 1_000_000, defaultLimitSettings.sends),
  LIMIT_SEND_WINDOW_SECONDS: integer(1, day, defaultLimitSettings.sendWindowSeconds),
  LIMIT_SEND_QUEUE: integer(1, 1_000_000, defaultLimitSettings.sendQueue),
  LIMIT_SEND_WAIT_MS: integer(1, 600_000, defaultLimitSettings.sendWaitMs),
  LIMIT_CHECKOUTS: integer(1, 1_000_000, defaultLimitSettings.checkouts),
  LIMIT_CHECKOUT_WINDOW_SECONDS: integer(1, day, defaultLimitSettings.checkoutWindowSeconds),
  LIMIT_SOCKETS_PER_USER: integer(1, 1000, defaultLimitSettings.socketsPerUser),
  LIMIT_REPLAY: integer(0, 100_000, defaultLimitSettings.replayLimit),
  LIMIT_SOCKETS_PER_ADDRESS: integer(1, 100_000, defaultLimitSettings.socketsPerAddress),
  LIMIT_CONNECTIONS_PER_ADDRESS: integer(1, 100_000, defaultLimitSettings.connectionsPerAddress),
  LIMIT_HASH_WAITING: integer(1, 100_000, defaultLimitSettings.hashWaiting),
  LIMIT_HASH_PER_ADDRESS: integer(1, 100_000, defaultLimitSettings.hashPerAddress),
  LIMIT_FRIEND_REQUESTS: integer(1, 1_000_000, defaultLimitSettings.friendRequests),
  LIMIT_FRIEND_REQUEST_WINDOW_SECONDS: integer(
    1,
    day,
    defaultLimitSettings.friendRequestWindowSeconds,
  ),
  LIMIT_PAGE_FETCHES: integer(1, 1_000_000, defaultLimitSettings.pageFetches),
  LIMIT_PAGE_FETCH_WINDOW_SECONDS: integer(1, day, defaultLimitSettings.pageFetchWindowSeconds),
  /**
   * How often each instance checks its open sockets' sessions against the database, so a
   * sign-out whose signal was lost still closes them (also checked when Redis comes back).
   */
  SESSION_RECHECK_SECONDS: integer(1, 3600, 2),
  // PostgreSQL timeouts (milliseconds), so a stalled database fails requests instead of hanging.
  DATABASE_CONNECT_TIMEOUT_MS: integer(100, 600_000, 5000),
  DATABASE_STATEMENT_TIMEOUT_MS: integer(100, 3_600_000, 5000),
  DATABASE_IDLE_TX_TIMEOUT_MS: integer(100, 3_600_000, 10_000),
});

export type Env = z.infer<typeof envSchema> & { PUBLIC_URL: string };

export class EnvError extends Error {
  override name = 'EnvError';
}

/**
 * Parses the environment once at boot. A bad value stops the server with a message that names
 * the variable and what it should look like.
 */
export function parseEnv(source: Record<string, string | undefined> = process.env): Env {
  const result = envSchema.safeParse(source);
  if (!result.success) {
    const lines = result.error.issues.map(
      (issue) => `  ${issue.path.join('.') || '(environment)'}: ${issue.message}`,
    );
    throw new EnvError(
      `Invalid environment; fix these variables and start again:\n${lines.join('\n')}`,
    );
  }
  const env = result.data;
  return { ...env, PUBLIC_URL: env.PUBLIC_URL ?? `http://localhost:${env.PORT}` };
}
