import { initTRPC, TRPCError } from '@trpc/server';
import { ZodError, z } from 'zod';
import { hashToken } from './auth/password';
import { findSessionUser } from './auth/session-lookup';
import { isDatabaseUnavailable } from './db/client';
import type { Deps } from './deps';
import type { FrameSocket } from './sync/frames';
import { SESSION_ENDED_MESSAGE } from './sync/revocation';

export type { Deps };

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
  // Lookups of one moment share one query (many sockets sign in at once after a restart).
  const row = await findSessionUser(deps.db, tokenHash).catch((error: unknown) => {
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

/** `String.prototype.isWellFormed` (Node 20; not yet in TypeScript's ES2023 library). */
const isWellFormed = (text: string) =>
  (text as string & { isWellFormed(): boolean }).isWellFormed();

/**
 * What is wrong with the text in a client's raw input, if anything: a NUL character (PostgreSQL
 * cannot store it) or a lone UTF-16 surrogate (not Unicode at all: PostgreSQL refuses it in
 * jsonb, and a text column would silently turn it into U+FFFD). Keys are checked as well as
 * values, at any depth, without recursion.
 */
export function textProblem(input: unknown): string | null {
  // Each node remembers its key and parent; a path is spelled out only for the answer (building
  // one per node would be quadratic in the depth of a deeply nested input).
  interface Node {
    value: unknown;
    key: string;
    parent: Node | null;
  }
  const field = (node: Node | null) => {
    const keys: string[] = [];
    for (let at = node; at?.parent; at = at.parent) keys.push(at.key);
    const path = keys.reverse().join('.');
    // Cut short: keys are the client's own.
    return path ? (path.length > 80 ? `${path.slice(0, 80)}…` : path) : 'the input';
  };
  const nul = 'Invalid input: text cannot contain the NUL character (U+0000).';
  const notUnicode = (what: string) =>
    `Invalid input: ${what} contains text that is not valid Unicode (a lone surrogate, U+D800–U+DFFF). Send well-formed UTF-8 or UTF-16 text.`;
  const stack: Node[] = [{ value: input, key: '', parent: null }];
  for (let node = stack.pop(); node; node = stack.pop()) {
    const { value } = node;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return nul;
      if (!isWellFormed(value)) return notUnicode(field(node));
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    for (const [key, item] of Object.entries(value)) {
      if (key.includes('\u0000')) return nul;
      if (!isWellFormed(key)) return notUnicode(`a key in ${field(node)}`);
      stack.push({ value: item, key, parent: node });
    }
  }
  return null;
}

/**
 * Text that cannot be stored as sent (a NUL character, a lone surrogate) is bad input: refused
 * up front for every procedure, before zod and before it can reach a query.
 */
const refuseBadText = t.middleware(async ({ getRawInput, next }) => {
  const problem = textProblem(await getRawInput());
  if (problem) throw new TRPCError({ code: 'BAD_REQUEST', message: problem });
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

export const publicProcedure = procedure.use(refuseBadText);

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
  .use(refuseBadText);

export type AuthedContext = Context & { user: SessionUser; tokenHash: string };

export { z };
