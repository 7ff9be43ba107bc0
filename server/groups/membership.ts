import { TRPCError } from '@trpc/server';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import {
  closePeriod,
  openPeriod,
  periodJoinedAt,
  periodLeftAt,
  refuseDirect,
  requireManager,
  requireMember,
  requireUser,
} from '../access';
import type { DbOrTx, Tx } from '../db/client';
import { friendships, groupMembers, groups, type MemberRole, users } from '../db/schema';
import type { Deps } from '../deps';
import { type Emit, transact } from '../events';
import { isolate } from '../text';
import { loadGroup } from './load-group';
import { MAX_GROUP_MEMBERS } from './schemas';

/** Rejects ids that are not the adder's friends, naming how many were refused. */
export async function assertAllFriends(db: DbOrTx, userId: string, ids: string[]) {
  if (ids.length === 0) return;
  const rows = await db
    .select({ id: friendships.friendId })
    .from(friendships)
    .where(and(eq(friendships.userId, userId), inArray(friendships.friendId, ids)));
  const friends = new Set(rows.map((r) => r.id));
  const strangers = ids.filter((id) => !friends.has(id));
  if (strangers.length > 0) {
    throw new TRPCError({
      code: 'FORBIDDEN',
      message: `You can only add your friends to a group (${strangers.length} of the people chosen ${strangers.length === 1 ? 'is' : 'are'} not).`,
    });
  }
}

/** Refuses people whose setting says nobody may add them to groups, naming them. */
export async function assertAcceptGroupAdds(db: DbOrTx, ids: string[]) {
  if (ids.length === 0) return;
  const rows = await db
    .select({ handle: users.handle, displayName: users.displayName })
    .from(users)
    .where(and(inArray(users.id, ids), eq(users.groupAdds, 'nobody')))
    .orderBy(asc(users.handle));
  if (rows.length === 0) return;
  const names = rows.map((r) => `${isolate(r.displayName)} (@${r.handle})`).join(', ');
  throw new TRPCError({
    code: 'FORBIDDEN',
    message: `${names} ${rows.length === 1 ? 'does' : 'do'} not want to be added to groups (a privacy setting). Leave ${rows.length === 1 ? 'them' : 'these people'} out, or ask them to add you instead.`,
  });
}

/**
 * Puts people in a thread inside the caller's transaction: their member rows, their first
 * period, and a `member.added` event each, from which on events are theirs to see.
 */
export async function addMemberRows(
  tx: Tx,
  emit: Emit,
  groupId: string,
  ids: string[],
  role: MemberRole,
  by: string,
  /** Messages after this seq are theirs; by default the group's last seq (nothing before). */
  fromSeq?: number,
) {
  for (const id of ids) {
    await tx.insert(groupMembers).values({ groupId, userId: id, role });
    const from = await openPeriod(tx, groupId, id, fromSeq);
    emit({
      groupId,
      type: 'member.added',
      userId: id,
      // `fromSeq`: messages after it are theirs (their streams keep it, see sync/membership.ts).
      payload: { groupId, user: await requireUser(tx, id), role, by, fromSeq: from },
      // Events from this one on are the new member's to see.
      onId: async (eventId, t) => {
        await t
          .update(groupMembers)
          .set({ joinedEventId: eventId })
          .where(and(eq(groupMembers.groupId, groupId), eq(groupMembers.userId, id)));
        await periodJoinedAt(t, groupId, id, eventId);
      },
    });
  }
}

/**
 * Takes `userId` out of a group the way leaving does: a `member.left` event, the owner's role
 * passing to the longest-standing admin (else member), and a group left empty archived. Used by
 * `groups.leave` and by account deletion (which also leaves direct and brand threads).
 */
export async function leaveGroup(
  tx: Tx,
  emit: Emit,
  groupId: string,
  userId: string,
  role: MemberRole,
) {
  await tx
    .delete(groupMembers)
    .where(and(eq(groupMembers.groupId, groupId), eq(groupMembers.userId, userId)));
  const toSeq = await closePeriod(tx, groupId, userId);
  emit({
    groupId,
    type: 'member.left',
    userId,
    // `toSeq`: the last message of their time in (their streams keep it, see sync/membership.ts).
    payload: { groupId, userId, toSeq },
    onId: (eventId, t) => periodLeftAt(t, groupId, userId, eventId),
  });
  const rest = await tx
    .select({ userId: groupMembers.userId, role: groupMembers.role })
    .from(groupMembers)
    .where(eq(groupMembers.groupId, groupId))
    .orderBy(
      sql`case ${groupMembers.role} when 'admin' then 0 else 1 end`,
      asc(groupMembers.joinedAt),
      asc(groupMembers.joinedEventId),
    );
  if (rest.length === 0) {
    await tx.update(groups).set({ archivedAt: new Date() }).where(eq(groups.id, groupId));
    emit({ groupId, type: 'group.archived', payload: { groupId } });
    return { ok: true as const, archived: true, newOwnerId: null };
  }
  let newOwnerId: string | null = null;
  const heir = rest[0];
  if (role === 'owner' && heir) {
    newOwnerId = heir.userId;
    await tx
      .update(groupMembers)
      .set({ role: 'owner' })
      .where(and(eq(groupMembers.groupId, groupId), eq(groupMembers.userId, heir.userId)));
    emit({
      groupId,
      type: 'member.role',
      userId: heir.userId,
      payload: { groupId, userId: heir.userId, role: 'owner' },
    });
  }
  return { ok: true as const, archived: false, newOwnerId };
}

/** `groups.leave`: `userId` leaves a group (not a direct thread) of their own accord. */
export function leave(deps: Pick<Deps, 'db' | 'bus'>, userId: string, groupId: string) {
  return transact(deps, async (tx, emit) => {
    const me = await requireMember(tx, groupId, userId, true);
    refuseDirect(me, 'Leaving');
    return leaveGroup(tx, emit, groupId, userId, me.role);
  });
}

/** An owner or admin adds friends of theirs to a group; people already in it are skipped. */
export async function addMembers(
  deps: Pick<Deps, 'db' | 'bus'>,
  userId: string,
  groupId: string,
  userIds: string[],
) {
  await transact(deps, async (tx, emit) => {
    const me = await requireMember(tx, groupId, userId, true);
    refuseDirect(me, 'Adding people');
    requireManager(me);
    const existing = await tx
      .select({ id: groupMembers.userId })
      .from(groupMembers)
      .where(eq(groupMembers.groupId, groupId));
    const present = new Set(existing.map((r) => r.id));
    const fresh = userIds.filter((id) => !present.has(id));
    await assertAllFriends(tx, userId, fresh);
    await assertAcceptGroupAdds(tx, fresh);
    if (present.size + fresh.length > MAX_GROUP_MEMBERS) {
      throw new TRPCError({
        code: 'BAD_REQUEST',
        message: `A group has at most ${MAX_GROUP_MEMBERS} members; there is room for ${MAX_GROUP_MEMBERS - present.size} more.`,
      });
    }
    await addMemberRows(tx, emit, groupId, fresh, 'member', userId);
  });
  return loadGroup(deps.db, groupId, userId);
}

/** An owner removes an admin or member, an admin removes a member; nobody removes the owner. */
export async function removeMember(
  deps: Pick<Deps, 'db' | 'bus'>,
  userId: string,
  groupId: string,
  targetId: string,
) {
  if (targetId === userId) {
    throw new TRPCError({
      code: 'BAD_REQUEST',
      message: 'To remove yourself, leave the group instead.',
    });
  }
  await transact(deps, async (tx, emit) => {
    const me = await requireMember(tx, groupId, userId, true);
    refuseDirect(me, 'Removing people');
    requireManager(me);
    const [target] = await tx
      .select({ role: groupMembers.role })
      .from(groupMembers)
      .where(and(eq(groupMembers.groupId, groupId), eq(groupMembers.userId, targetId)));
    if (!target)
      throw new TRPCError({ code: 'NOT_FOUND', message: 'That person is not in this group.' });
    if (target.role === 'owner' || (target.role === 'admin' && me.role !== 'owner')) {
      throw new TRPCError({
        code: 'FORBIDDEN',
        message: 'Only the owner can remove an admin, and nobody can remove the owner.',
      });
    }
    await tx
      .delete(groupMembers)
      .where(and(eq(groupMembers.groupId, groupId), eq(groupMembers.userId, targetId)));
    const toSeq = await closePeriod(tx, groupId, targetId);
    emit({
      groupId,
      type: 'member.removed',
      userId: targetId,
      payload: { groupId, userId: targetId, by: userId, toSeq },
      onId: (eventId, t) => periodLeftAt(t, groupId, targetId, eventId),
    });
  });
  return loadGroup(deps.db, groupId, userId);
}
