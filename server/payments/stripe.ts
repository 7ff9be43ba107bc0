import { TRPCError } from '@trpc/server';
import Stripe from 'stripe';
import type { Env } from '../env';

/** What the server needs to take payments; absent when `STRIPE_SECRET_KEY` is not set. */
export interface Payments {
  stripe: Stripe;
  /** `STRIPE_WEBHOOK_SECRET`; without it the webhook answers 503 and changes nothing. */
  webhookSecret: string | null;
  /** The platform's share of each order, in basis points (`PLATFORM_FEE_BPS`, default 500). */
  feeBps: number;
  /** Where Stripe sends buyers and brands back to (`PUBLIC_URL`). */
  publicUrl: string;
}

export interface PaymentsOptions {
  /** Per-request timeout towards Stripe. */
  timeoutMs?: number;
  /** Automatic retries of a failed request (same idempotency key). */
  maxNetworkRetries?: number;
}

/**
 * `STRIPE_API_BASE` (e.g. `http://127.0.0.1:12111`) as the SDK's host, port and protocol, so
 * tests reach a loopback fake; unset means Stripe itself.
 */
export function stripeEndpoint(apiBase: string | undefined): {
  host?: string;
  port?: number;
  protocol?: 'http' | 'https';
} {
  if (!apiBase) return {};
  const url = new URL(apiBase);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : protocol === 'http' ? 80 : 443,
    protocol,
  };
}

/** The Stripe client and settings, or null when payments are not configured. */
export function createPayments(
  env: Pick<
    Env,
    'STRIPE_SECRET_KEY' | 'STRIPE_WEBHOOK_SECRET' | 'STRIPE_API_BASE' | 'PLATFORM_FEE_BPS'
  > & { PUBLIC_URL: string },
  options: PaymentsOptions = {},
): Payments | null {
  if (!env.STRIPE_SECRET_KEY) return null;
  const stripe = new Stripe(env.STRIPE_SECRET_KEY, {
    ...stripeEndpoint(env.STRIPE_API_BASE),
    timeout: options.timeoutMs ?? 10_000,
    maxNetworkRetries: options.maxNetworkRetries ?? 1,
    telemetry: false,
    appInfo: { name: 'Kith' },
  });
  return {
    stripe,
    webhookSecret: env.STRIPE_WEBHOOK_SECRET ?? null,
    feeBps: env.PLATFORM_FEE_BPS,
    publicUrl: env.PUBLIC_URL.replace(/\/+$/, ''),
  };
}

export function requirePayments(payments: Payments | null | undefined): Payments {
  if (!payments) {
    throw new TRPCError({
      code: 'PRECONDITION_FAILED',
      message:
        'Payments are not configured on this server (no STRIPE_SECRET_KEY), so nothing can be bought yet.',
    });
  }
  return payments;
}

/**
 * A Stripe failure as a client error that says what to do: outages and timeouts are worth
 * retrying; anything else is a refusal that a retry will not fix.
 */
export function stripeFailure(error: unknown, what: string): TRPCError {
  if (error instanceof TRPCError) return error;
  const e = error as InstanceType<typeof Stripe.errors.StripeError>;
  const retryable =
    e instanceof Stripe.errors.StripeConnectionError ||
    e instanceof Stripe.errors.StripeAPIError ||
    e instanceof Stripe.errors.StripeRateLimitError ||
    (typeof e?.statusCode === 'number' && e.statusCode >= 500);
  if (retryable) {
    return new TRPCError({
      code: 'SERVICE_UNAVAILABLE',
      message: `Stripe did not answer in time, so ${what} could not start and nothing was charged. Please try again in a moment.`,
      cause: error,
    });
  }
  if (e instanceof Stripe.errors.StripeIdempotencyError) {
    return new TRPCError({
      code: 'CONFLICT',
      message: `This request id was already used for a different ${what}. Use a new clientId.`,
      cause: error,
    });
  }
  return new TRPCError({
    code: 'BAD_GATEWAY',
    message: `Stripe refused ${what}, so nothing was charged. Please contact the brand or try later.`,
    cause: error,
  });
}
