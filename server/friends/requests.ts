import { TRPCError } from '@trpc/server';
import { and, desc, eq, or, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { isBlockedEitherWay } from '../access';
import { publicUserColumns } from '../accounts/profile';
import type { DbOrTx, Tx } from '../db/client';
import { friendRequests, friendships, users } from '../db/schema';
import type { Deps } from '../deps';
import { notifyUser } from '../sync/user-events';
import type { SessionUser } from '../trpc';

/**
 * Friend requests by handle. Asking someone who has already asked me makes us friends at once.
 * A handle nobody has, a person who turned `findableByHandle` off and a person blocked either
 * way all get the same answer, after the same single lookup, and all count against the
 * requester's rate limit: the answer cannot tell who is on Kith.
 */

/** The one answer for every handle that cannot be asked (absent, hidden or blocked). */
export const NO_SUCH_HANDLE =
  'Nobody on Kith can be asked by that handle. Check the spelling, or send them an invite link.';

type PublicUser = { id: string; handle: string; displayName: string };

export type RequestAnswer =
  | { status: 'requested'; request: { id: string; to: PublicUser; createdAt: string } }
  | { status: 'friends'; friend: PublicUser };

/** Both friendship rows of a pair, and no request left either way. */
async function makeFriends(tx: Tx, a: string, b: string) {
  await tx
    .insert(friendships)
    .values([
      { userId: a, friendId: b },
      { userId: b, friendId: a },
    ])
    .onConflictDoNothing();
  await tx
    .delete(friendRequests)
    .where(
      or(
        and(eq(friendRequests.fromId, a), eq(friendRequests.toId, b)),
        and(eq(friendRequests.fromId, b), eq(friendRequests.toId, a)),
      ),
    );
}

/**
 * Serialises every change between one pair (requests, answers, invites, blocks), so two
 * crossing requests make friends and a block is never overtaken by a request already on its way.
 */
export async function lockPair(tx: Tx, a: string, b: string) {
  const key = a < b ? `${a}:${b}` : `${b}:${a}`;
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`friends:${key}`}))`);
}

/** Asks the person with `handle` to be friends (or, if they asked me first, makes us friends). */
export async function requestFriend(
  deps: Pick<Deps, 'db' | 'bus' | 'limits'>,
  me: SessionUser,
  handle: string,
): Promise<RequestAnswer> {
  // Counted first, whatever the handle: the limit must not tell real handles from made-up ones.
  await deps.limits.consumeFriendRequest(me.id);
  const [target] = await deps.db
    .select({
      ...publicUserColumns,
      findable: users.findableByHandle,
      // Plain SQL with explicit tables: inside a subquery an unqualified "id" would be the
      // subquery's own.
      blocked: sql<boolean>`exists (select 1 from blocks b where (b.blocker_id = ${me.id} and b.blocked_id = users.id) or (b.blocker_id = users.id and b.blocked_id = ${me.id}))`,
      friends: sql<boolean>`exists (select 1 from friendships f where f.user_id = ${me.id} and f.friend_id = users.id)`,
      askedMe: sql<boolean>`exists (select 1 from friend_requests r where r.from_id = users.id and r.to_id = ${me.id})`,
    })
    .from(users)
    .where(eq(sql`lower(${users.handle})`, handle.toLowerCase()))
    .limit(1);
  if (target?.id === me.id)
    throw new TRPCError({ code: 'BAD_REQUEST', message: 'That is your own handle.' });
  // Someone who asked me has shown themselves, whatever their setting.
  if (!target || target.blocked || (!target.findable && !target.askedMe))
    throw new TRPCError({ code: 'NOT_FOUND', message: NO_SUCH_HANDLE });
  if (target.friends)
    throw new TRPCError({
      code: 'CONFLICT',
      message: `You and ${target.displayName} are friends already.`,
    });
  const friend = { id: target.id, handle: target.handle, displayName: target.displayName };

  const answer = await deps.db.transaction(async (tx): Promise<RequestAnswer> => {
    await lockPair(tx, me.id, friend.id);
    // A block may have landed since the lookup: answered like any handle that cannot be asked.
    if (await isBlockedEitherWay(tx, me.id, friend.id))
      throw new TRPCError({ code: 'NOT_FOUND', message: NO_SUCH_HANDLE });
    const [theirs] = await tx
      .select({ id: friendRequests.id })
      .from(friendRequests)
      .where(and(eq(friendRequests.fromId, friend.id), eq(friendRequests.toId, me.id)));
    if (theirs) {
      await makeFriends(tx, me.id, friend.id);
      return { status: 'friends', friend };
    }
    await tx
      .insert(friendRequests)
      .values({ fromId: me.id, toId: friend.id })
      .onConflictDoNothing();
    // A request already pending is answered as it stands (a retry sends nothing twice).
    const [mine] = await tx
      .select({ id: friendRequests.id, createdAt: friendRequests.createdAt })
      .from(friendRequests)
      .where(and(eq(friendRequests.fromId, me.id), eq(friendRequests.toId, friend.id)));
    if (!mine) throw new Error('friend request vanished inside its transaction');
    return {
      status: 'requested',
      request: { id: mine.id, to: friend, createdAt: mine.createdAt.toISOString() },
    };
  });
  const from = { id: me.id, handle: me.handle, displayName: me.displayName };
  if (answer.status === 'friends')
    await notifyUser(deps, friend.id, 'friend.accepted', { friend: from });
  else
    await notifyUser(deps, friend.id, 'friend.requested', { requestId: answer.request.id, from });
  return answer;
}

/** Requests to me not yet answered, and mine to others, newest first. */
export async function listRequests(db: DbOrTx, me: string) {
  const other = alias(users, 'other');
  const person = { id: other.id, handle: other.handle, displayName: other.displayName };
  const [incoming, outgoing] = await Promise.all([
    db
      .select({ id: friendRequests.id, from: person, createdAt: friendRequests.createdAt })
      .from(friendRequests)
      .innerJoin(other, eq(other.id, friendRequests.fromId))
      .where(eq(friendRequests.toId, me))
      .orderBy(desc(friendRequests.createdAt), desc(friendRequests.id)),
    db
      .select({ id: friendRequests.id, to: person, createdAt: friendRequests.createdAt })
      .from(friendRequests)
      .innerJoin(other, eq(other.id, friendRequests.toId))
      .where(eq(friendRequests.fromId, me))
      .orderBy(desc(friendRequests.createdAt), desc(friendRequests.id)),
  ]);
  return {
    incoming: incoming.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() })),
    outgoing: outgoing.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() })),
  };
}

const noRequest = () =>
  new TRPCError({
    code: 'NOT_FOUND',
    message: 'This friend request is no longer there: it was answered or taken back.',
  });

/** Accepts or declines a request made to me. The asker hears of an acceptance only. */
export async function respondToRequest(
  deps: Pick<Deps, 'db' | 'bus'>,
  me: SessionUser,
  requestId: string,
  accept: boolean,
): Promise<{ accepted: true; friend: PublicUser } | { accepted: false }> {
  const [request] = await deps.db
    .select({ fromId: friendRequests.fromId })
    .from(friendRequests)
    .where(and(eq(friendRequests.id, requestId), eq(friendRequests.toId, me.id)));
  if (!request) throw noRequest();
  const friend = await deps.db.transaction(async (tx) => {
    await lockPair(tx, me.id, request.fromId);
    const [taken] = await tx
      .delete(friendRequests)
      .where(and(eq(friendRequests.id, requestId), eq(friendRequests.toId, me.id)))
      .returning({ fromId: friendRequests.fromId });
    if (!taken) throw noRequest();
    if (!accept) return null;
    if (await isBlockedEitherWay(tx, me.id, taken.fromId)) throw noRequest();
    const [asker] = await tx
      .select(publicUserColumns)
      .from(users)
      .where(eq(users.id, taken.fromId));
    if (!asker) throw noRequest();
    await makeFriends(tx, me.id, asker.id);
    return asker;
  });
  if (!friend) return { accepted: false };
  await notifyUser(deps, friend.id, 'friend.accepted', {
    friend: { id: me.id, handle: me.handle, displayName: me.displayName },
  });
  return { accepted: true, friend };
}

/**
 * Takes back a request I made; its recipient's count drops at once. Under the pair's lock, so
 * a crossing request that is turning it into a friendship either finishes first (then the
 * request is gone) or finds it taken back.
 */
export async function cancelRequest(
  deps: Pick<Deps, 'db' | 'bus'>,
  me: string,
  requestId: string,
): Promise<{ ok: true }> {
  const [request] = await deps.db
    .select({ toId: friendRequests.toId })
    .from(friendRequests)
    .where(and(eq(friendRequests.id, requestId), eq(friendRequests.fromId, me)));
  if (!request) throw noRequest();
  const taken = await deps.db.transaction(async (tx) => {
    await lockPair(tx, me, request.toId);
    const [row] = await tx
      .delete(friendRequests)
      .where(and(eq(friendRequests.id, requestId), eq(friendRequests.fromId, me)))
      .returning({ toId: friendRequests.toId });
    return row;
  });
  if (!taken) throw noRequest();
  await notifyUser(deps, taken.toId, 'friend.cancelled', { requestId });
  return { ok: true };
}

/** Drops any request between two people (a block ends them both ways). */
export function dropRequestsBetween(db: DbOrTx, a: string, b: string) {
  return db
    .delete(friendRequests)
    .where(
      or(
        and(eq(friendRequests.fromId, a), eq(friendRequests.toId, b)),
        and(eq(friendRequests.fromId, b), eq(friendRequests.toId, a)),
      ),
    );
}
