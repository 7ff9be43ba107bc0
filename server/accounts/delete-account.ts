import { TRPCError } from '@trpc/server';
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { verifyPassword } from '../auth/password';
import { brands, groupMembers, groups, messageRequests, users } from '../db/schema';
import type { Deps } from '../deps';
import { transact } from '../events';
import { leaveGroup } from '../groups/membership';
import { announceRevoked } from '../sync/revocation';
import { isolate } from '../text';
import type { AuthedContext } from '../trpc';

/** How a sender whose account is gone is shown: their messages stay, with sender null. */
export const DELETED_USER_NAME = 'Deleted user';

/**
 * Deletes an account for good, after checking its password. In one transaction: it leaves
 * every group and thread the way `groups.leave` does (ownership passes on, emptied groups are
 * archived, others see it leave); message requests addressed to it are closed; the names
 * stored in past events are replaced by "Deleted user"; then the user row goes, and with it
 * every session, friendship, block, invite, reaction and request. Its messages stay, with no
 * sender; its orders stay for the brand with no buyer. The handle is free again. Refused while
 * it owns a brand: its orders must keep an owner.
 */
export async function deleteAccount(
  ctx: Pick<Deps, 'db' | 'bus' | 'limits'> & Pick<AuthedContext, 'user' | 'tokenHash' | 'ip'>,
  password: string,
) {
  const me = ctx.user.id;
  // Counted before the password is checked, like a sign-in, so it cannot be used to guess.
  const attempt = await ctx.limits.reserveLogin([
    { kind: 'address', ip: ctx.ip, handle: ctx.user.handle.toLowerCase() },
    { kind: 'session', tokenHash: ctx.tokenHash },
  ]);
  const [row] = await ctx.db
    .select({ passwordHash: users.passwordHash })
    .from(users)
    .where(eq(users.id, me));
  if (!row)
    throw new TRPCError({ code: 'UNAUTHORIZED', message: 'This account no longer exists.' });
  const place = ctx.limits.hashQueue.admit(ctx.ip);
  const right = await verifyPassword(password, row.passwordHash, place).finally(() =>
    place.release(),
  );
  if (!right) {
    // FORBIDDEN, not UNAUTHORIZED: the session is fine, and clients sign out on UNAUTHORIZED.
    throw new TRPCError({
      code: 'FORBIDDEN',
      message:
        'That is not your password, so your account was not deleted. Type your current password to confirm.',
    });
  }
  await attempt.succeeded();

  const result = await transact(ctx, async (tx, emit) => {
    // Holds off a concurrent second deletion (and anything that locks the user row).
    await tx.select({ id: users.id }).from(users).where(eq(users.id, me)).for('update');
    const owned = await tx
      .select({ name: brands.name })
      .from(brands)
      .where(eq(brands.ownerId, me))
      .orderBy(asc(brands.createdAt));
    if (owned.length > 0) {
      throw new TRPCError({
        code: 'PRECONDITION_FAILED',
        message: `You own the brand${owned.length > 1 ? 's' : ''} ${owned.map((b) => `"${isolate(b.name)}"`).join(', ')}, whose orders must keep an owner. Contact support to hand ${owned.length > 1 ? 'them' : 'it'} over or close ${owned.length > 1 ? 'them' : 'it'}, then delete your account.`,
      });
    }

    // Groups in id order, each under its row lock, so two deletions never wait on each other.
    const memberships = await tx
      .select({ groupId: groupMembers.groupId, role: groupMembers.role })
      .from(groupMembers)
      .where(eq(groupMembers.userId, me))
      .orderBy(asc(groupMembers.groupId));
    let archived = 0;
    for (const m of memberships) {
      await tx.select({ id: groups.id }).from(groups).where(eq(groups.id, m.groupId)).for('update');
      const left = await leaveGroup(tx, emit, m.groupId, me, m.role);
      if (left.archived) archived += 1;
    }

    // Requests to me lead nowhere now: their threads close for the sender too.
    const asked = await tx
      .select({ groupId: messageRequests.groupId })
      .from(messageRequests)
      .innerJoin(groups, eq(groups.id, messageRequests.groupId))
      .where(and(eq(messageRequests.toUserId, me), isNull(groups.archivedAt)))
      .orderBy(asc(messageRequests.groupId));
    for (const { groupId } of asked) {
      await tx.update(groups).set({ archivedAt: new Date() }).where(eq(groups.id, groupId));
      emit({ groupId, type: 'group.archived', payload: { groupId } });
    }

    // Past events are replayed to reconnecting clients: they keep no name of mine.
    await tx.execute(sql`
      update events set payload = jsonb_set(payload, '{sender}', 'null'::jsonb)
      where payload->'sender'->>'id' = ${me}`);
    await tx.execute(sql`
      update events set payload = jsonb_set(payload, '{user}',
        jsonb_build_object('id', ${me}::text, 'handle', '', 'displayName', ${DELETED_USER_NAME}::text))
      where payload->'user'->>'id' = ${me}`);

    await tx.delete(users).where(eq(users.id, me));
    return { groupsLeft: memberships.length, groupsArchived: archived + asked.length };
  });
  // Every session row went with the user; open streams and sockets end now.
  await announceRevoked(ctx, me, 'all');
  return { ok: true as const, ...result };
}
