import { initTRPC, TRPCError } from '@trpc/server';
import { and, eq, gt } from 'drizzle-orm';
import type { Logger } from 'pino';
import { ZodError, z } from 'zod';
import { hashToken } from './auth/password';
import type { Bus } from './bus';
import { type Db, isDatabaseUnavailable } from './db/client';
import { sessions, users } from './db/schema';
import type { Env } from './env';
import type { Limits } from './limits';
import type { Payments } from './payments/stripe';
import type { FrameSocket } from './sync/frames';
import type { EventHub } from './sync/hub';
import { SESSION_ENDED_MESSAGE } from './sync/revocation';

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

export interface SessionUser {
  id: string;
  handle: string;
  displayName: string;
}

export interface Context extends Deps {
  user: SessionUser | null;
  tokenHash: string | null;
  /** Where the request came from, for rate limits. */
  ip: string;
  /** The WebSocket of a socket request: `sync.events` writes its frames to it directly. */
  socket?: FrameSocket;
  /**
   * For a signed-in socket, whose context was made when it connected: whether its session
   * still exists now (false closes the socket). Absent over HTTP, where each request's context
   * reads the session afresh.
   */
  stillSignedIn?: () => Promise<boolean>;
}

/** Resolves a bearer token to its user. Unknown and expired tokens give an anonymous context. */
export async function createContextInner(
  deps: Deps,
  request: { token?: string | null; ip?: string } = {},
): Promise<Context> {
  const base: Context = { ...deps, user: null, tokenHash: null, ip: request.ip ?? 'local' };
  const token = request.token;
  if (!token || token.length > 200) return base;
  const tokenHash = hashToken(token);
  const [row] = await deps.db
    .select({ id: users.id, handle: users.handle, displayName: users.displayName })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.tokenHash, tokenHash), gt(sessions.expiresAt, new Date())))
    .limit(1)
    .catch((error: unknown) => {
      throw isDatabaseUnavailable(error) ? databaseUnavailable(error) : error;
    });
  return row ? { ...base, user: row, tokenHash } : base;
}

/** What a client is told while the database cannot be reached (restart, failover, outage). */
export const DATABASE_UNAVAILABLE_MESSAGE =
  'Kith cannot reach its database right now, or it is not answering in time. Try again in a few seconds; sending a message again with the same clientId never stores it twice.';

/**
 * The database is down, not the request wrong: SERVICE_UNAVAILABLE (503), which clients tell
 * apart from a refusal and retry as they are.
 */
export function databaseUnavailable(cause: unknown): TRPCError {
  return new TRPCError({
    code: 'SERVICE_UNAVAILABLE',
    message: DATABASE_UNAVAILABLE_MESSAGE,
    cause,
  });
}

/** zod's own messages may start with "Invalid input"; the formatter says that once, up front. */
function issueText(issue: ZodError['issues'][number]): string {
  return issue.message.replace(/^Invalid input:\s*/, '');
}

function describeZodError(error: ZodError): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
      return `${where}${issueText(issue)}`;
    })
    .join('; ');
}

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    const zod = error.cause instanceof ZodError ? error.cause : null;
    let message = shape.message;
    let { code, httpStatus } = shape.data;
    if (zod) message = `Invalid input: ${describeZodError(zod)}`;
    // A lost database connection outside a procedure's own call (a subscription's stream).
    if (error.code === 'INTERNAL_SERVER_ERROR' && isDatabaseUnavailable(error.cause)) {
      code = 'SERVICE_UNAVAILABLE';
      httpStatus = 503;
      message = DATABASE_UNAVAILABLE_MESSAGE;
    } else if (error.code === 'INTERNAL_SERVER_ERROR') {
      // Internal failures never leak driver or stack details to the client.
      message = 'Something went wrong on our side. Please try again.';
    }
    return {
      ...shape,
      message,
      data: {
        code,
        httpStatus,
        path: shape.data.path,
        ...(zod
          ? { issues: zod.issues.map((i) => ({ path: i.path.map(String), message: issueText(i) })) }
          : {}),
      },
    };
  },
});

export const router = t.router;
export const mergeRouters = t.mergeRouters;
export const createCallerFactory = t.createCallerFactory;

/** Whether any string (or key) in a client's input holds U+0000, which PostgreSQL cannot store. */
function hasNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (value === null || typeof value !== 'object' || depth > 32) return false;
  return Object.entries(value).some(
    ([key, item]) => key.includes('\u0000') || hasNul(item, depth + 1),
  );
}

/** Text with a NUL character is bad input: refused up front, before it can reach a query. */
const refuseNul = t.middleware(async ({ getRawInput, next }) => {
  if (hasNul(await getRawInput())) {
    throw new TRPCError({
      code: 'BAD_REQUEST',
      message: 'Invalid input: text cannot contain the NUL character (U+0000).',
    });
  }
  return next();
});

/**
 * A procedure that failed because the database could not be reached answers 503
 * SERVICE_UNAVAILABLE with a message to try again, not a 500.
 */
const databaseUp = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.code === 'INTERNAL_SERVER_ERROR') {
    if (isDatabaseUnavailable(result.error.cause)) throw databaseUnavailable(result.error.cause);
  }
  return result;
});

const procedure = t.procedure.use(databaseUp);

export const publicProcedure = procedure.use(refuseNul);

export const authedProcedure = procedure
  .use(({ ctx, next }) => {
    if (!ctx.user || !ctx.tokenHash) {
      throw new TRPCError({
        code: 'UNAUTHORIZED',
        message: 'Sign in first: this needs a valid session token.',
      });
    }
    return next({ ctx: { ...ctx, user: ctx.user, tokenHash: ctx.tokenHash } });
  })
  // Over a socket the session was read once, at connect: a session ended since (signed out
  // everywhere on another instance, its signal lost) must not keep working until the socket is
  // closed, so each procedure checks it again (the checks of one turn share one query).
  .use(async ({ ctx, next }) => {
    if (ctx.stillSignedIn && !(await ctx.stillSignedIn())) {
      throw new TRPCError({ code: 'UNAUTHORIZED', message: SESSION_ENDED_MESSAGE });
    }
    return next();
  })
  .use(refuseNul);

export type AuthedContext = Context & { user: SessionUser; tokenHash: string };

export { z };
