import { TRPCError } from '@trpc/server';
import { and, eq, ne, sql } from 'drizzle-orm';
import { publicUserColumns } from '../accounts/profile';
import { sessions, users } from '../db/schema';
import type { Deps } from '../deps';
import { notifyInviter, redeemOnSignUp } from '../friends/invites';
import type { Limits } from '../limits';
import { announceRevoked } from '../sync/revocation';
import type { SessionUser } from '../trpc';
import {
  type AdmitOptions,
  DUMMY_HASH,
  type HashAdmission,
  hashPassword,
  hashToken,
  knownDeviceId,
  newDeviceToken,
  newToken,
  verifyPassword,
} from './password';

export const SESSION_DAYS = 30;

/** What sign-in and sign-up need: the database, the limits and the caller's address. */
type Caller = Pick<Deps, 'db' | 'limits'> & { ip: string };

async function startSession(deps: Pick<Deps, 'db'>, userId: string) {
  const token = newToken();
  const expiresAt = new Date(Date.now() + SESSION_DAYS * 24 * 3600 * 1000);
  await deps.db.insert(sessions).values({ tokenHash: hashToken(token), userId, expiresAt });
  return { token, expiresAt: expiresAt.toISOString() };
}

/**
 * Runs a request that hashes a password with its place in the hash queue taken first, before
 * any other work: past the queue's bounds it is refused at once, costing nothing.
 */
export async function withHashPlace<T>(
  caller: { ip: string; limits: Pick<Limits, 'hashQueue'> },
  work: (place: HashAdmission) => Promise<T>,
  options: AdmitOptions = {},
) {
  const place = caller.limits.hashQueue.admit(caller.ip, options);
  try {
    return await work(place);
  } finally {
    place.release();
  }
}

/**
 * Creates an account and signs it in. Answers with a session `token` and a `deviceToken` to
 * keep and send with later sign-ins. Sign-ups are limited per address. With `inviteCode` (a
 * code or an invite link) the new account is friends with the inviter from the start, in the
 * same transaction; a code that is unknown, expired or used up still lets the sign-up through,
 * and `invite` says why no friendship was made.
 */
export function register(
  caller: Caller & Pick<Deps, 'bus'>,
  input: {
    handle: string;
    password: string;
    displayName?: string | undefined;
    inviteCode?: string | undefined;
  },
) {
  return withHashPlace(caller, async (place) => {
    await caller.limits.consumeRegistration(caller.ip);
    const passwordHash = await hashPassword(input.password, place);
    const created = await caller.db.transaction(async (tx) => {
      const [user] = await tx
        .insert(users)
        .values({
          handle: input.handle,
          displayName: input.displayName ?? input.handle,
          passwordHash,
        })
        .onConflictDoNothing()
        .returning(publicUserColumns);
      if (!user) {
        throw new TRPCError({
          code: 'CONFLICT',
          message: `The handle "${input.handle}" is taken. Pick another.`,
        });
      }
      const invite =
        input.inviteCode === undefined
          ? undefined
          : await redeemOnSignUp(tx, user.id, input.inviteCode);
      return { user, invite };
    });
    const { user, invite } = created;
    if (invite?.accepted) await notifyInviter(caller, invite.friend.id, user);
    return {
      ...(await startSession(caller, user.id)),
      deviceToken: newDeviceToken(user.id, passwordHash),
      user,
      ...(invite ? { invite } : {}),
    };
  });
}

/**
 * Signs in. Every attempt is counted before the password is checked: per address and
 * handle, and per handle from any address, unless `deviceToken` shows a known device, which
 * is counted on its own instead of per handle: guessers cannot lock the owner out.
 */
export async function login(
  caller: Caller,
  input: { handle: string; password: string; deviceToken?: string | undefined },
) {
  const lookUp = async () => {
    const [row] = await caller.db
      .select({ ...publicUserColumns, passwordHash: users.passwordHash })
      .from(users)
      .where(eq(sql`lower(${users.handle})`, input.handle))
      .limit(1);
    return row;
  };
  // A sign-in showing a device token is looked up first: a valid one (for this account) may
  // take the hash places kept for owners on their own devices. Without one, the place is taken
  // before anything else, so a refused flood costs nothing.
  const early = input.deviceToken ? await lookUp() : undefined;
  const device = early ? knownDeviceId(input.deviceToken, early.id, early.passwordHash) : null;
  return withHashPlace(
    caller,
    async (place) => {
      const row = input.deviceToken ? early : await lookUp();
      const reservation = await caller.limits.reserveLogin([
        { kind: 'address', ip: caller.ip, handle: input.handle },
        ...(device
          ? [{ kind: 'device' as const, id: device }]
          : [
              { kind: 'handle' as const, handle: input.handle },
              { kind: 'caller' as const, ip: caller.ip },
            ]),
      ]);
      const ok = await verifyPassword(input.password, row?.passwordHash ?? DUMMY_HASH, place);
      if (!row || !ok) {
        throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Wrong handle or password.' });
      }
      await reservation.succeeded();
      const { passwordHash, ...user } = row;
      return {
        ...(await startSession(caller, user.id)),
        deviceToken:
          device && input.deviceToken ? input.deviceToken : newDeviceToken(user.id, passwordHash),
        user,
      };
    },
    device && early ? { knownAccount: early.id } : {},
  );
}

/**
 * Changes a password: the current one is checked (and counted like a sign-in, so it cannot be
 * used to guess), every other session of the account ends, on every instance; this one stays.
 * Answers with a new `deviceToken` (earlier ones stop working with the old password).
 */
export function changePassword(
  caller: Caller & Pick<Deps, 'bus'> & { user: SessionUser; tokenHash: string },
  input: { currentPassword: string; newPassword: string },
) {
  return withHashPlace(caller, async (place) => {
    const me = caller.user.id;
    const reservation = await caller.limits.reserveLogin([
      { kind: 'address', ip: caller.ip, handle: caller.user.handle.toLowerCase() },
      { kind: 'session', tokenHash: caller.tokenHash },
    ]);
    const [row] = await caller.db
      .select({ passwordHash: users.passwordHash })
      .from(users)
      .where(eq(users.id, me));
    if (!row)
      throw new TRPCError({ code: 'UNAUTHORIZED', message: 'This account no longer exists.' });
    if (!(await verifyPassword(input.currentPassword, row.passwordHash, place))) {
      // FORBIDDEN, not UNAUTHORIZED: the session is fine, and clients sign out on UNAUTHORIZED.
      throw new TRPCError({
        code: 'FORBIDDEN',
        message:
          'That is not your current password, so nothing was changed. Type your current password again.',
      });
    }
    await reservation.succeeded();
    const passwordHash = await hashPassword(input.newPassword, place);
    const ended = await caller.db.transaction(async (tx) => {
      await tx.update(users).set({ passwordHash }).where(eq(users.id, me));
      return tx
        .delete(sessions)
        .where(and(eq(sessions.userId, me), ne(sessions.tokenHash, caller.tokenHash)))
        .returning({ tokenHash: sessions.tokenHash });
    });
    if (ended.length > 0)
      await announceRevoked(
        caller,
        me,
        ended.map((s) => s.tokenHash),
      );
    return {
      ok: true as const,
      sessionsEnded: ended.length,
      deviceToken: newDeviceToken(me, passwordHash),
    };
  });
}

/** Ends this one session, on every instance. */
export async function logout(deps: Pick<Deps, 'db' | 'bus'>, userId: string, tokenHash: string) {
  await deps.db.delete(sessions).where(eq(sessions.tokenHash, tokenHash));
  await announceRevoked(deps, userId, [tokenHash]);
  return { ok: true as const };
}

/** Ends every session of the account, this one included: other devices and open sockets too. */
export async function logoutAll(deps: Pick<Deps, 'db' | 'bus'>, userId: string) {
  const ended = await deps.db
    .delete(sessions)
    .where(eq(sessions.userId, userId))
    .returning({ tokenHash: sessions.tokenHash });
  await announceRevoked(deps, userId, 'all');
  return { ok: true as const, sessionsEnded: ended.length };
}
