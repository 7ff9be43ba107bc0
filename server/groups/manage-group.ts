import { TRPCError } from '@trpc/server';
import { and, eq, ne } from 'drizzle-orm';
import { refuseDirect, requireManager, requireMember } from '../access';
import { groupMembers, groups } from '../db/schema';
import type { Deps } from '../deps';
import { transact } from '../events';
import { loadGroup } from './load-group';
import { addMemberRows, assertAcceptGroupAdds, assertAllFriends } from './membership';
import { MAX_GROUP_MEMBERS, TOO_MANY_MEMBERS } from './schemas';

type GroupDeps = Pick<Deps, 'db' | 'bus'>;

/** A new group owned by `userId`, with friends of theirs who accept being added. */
export async function createGroup(
  deps: GroupDeps,
  userId: string,
  input: { name: string; memberIds: string[] },
) {
  const memberIds = input.memberIds.filter((id) => id !== userId);
  if (memberIds.length > MAX_GROUP_MEMBERS - 1) {
    throw new TRPCError({
      code: 'BAD_REQUEST',
      message: `${TOO_MANY_MEMBERS}: you and up to ${MAX_GROUP_MEMBERS - 1} others.`,
    });
  }
  await assertAllFriends(deps.db, userId, memberIds);
  await assertAcceptGroupAdds(deps.db, memberIds);
  const groupId = await transact(deps, async (tx, emit) => {
    const [group] = await tx
      .insert(groups)
      .values({ kind: 'group', name: input.name, createdBy: userId })
      .returning({ id: groups.id });
    if (!group) throw new Error('group insert returned nothing');
    await addMemberRows(tx, emit, group.id, [userId], 'owner', userId);
    await addMemberRows(tx, emit, group.id, memberIds, 'member', userId);
    return group.id;
  });
  return loadGroup(deps.db, groupId, userId);
}

/** The owner or an admin renames a group (a direct thread has no name of its own). */
export async function renameGroup(deps: GroupDeps, userId: string, groupId: string, name: string) {
  await transact(deps, async (tx, emit) => {
    const me = await requireMember(tx, groupId, userId, true);
    refuseDirect(me, 'Renaming');
    requireManager(me);
    await tx.update(groups).set({ name }).where(eq(groups.id, groupId));
    emit({ groupId, type: 'group.renamed', payload: { groupId, name, by: userId } });
  });
  return loadGroup(deps.db, groupId, userId);
}

/** The owner makes a member an admin or an admin a member; the owner's own role stays. */
export async function setMemberRole(
  deps: GroupDeps,
  userId: string,
  input: { groupId: string; userId: string; role: 'admin' | 'member' },
) {
  const { groupId } = input;
  await transact(deps, async (tx, emit) => {
    const me = await requireMember(tx, groupId, userId, true);
    refuseDirect(me, 'Changing roles');
    if (me.role !== 'owner')
      throw new TRPCError({
        code: 'FORBIDDEN',
        message: 'Only the group owner can change roles.',
      });
    const updated = await tx
      .update(groupMembers)
      .set({ role: input.role })
      .where(
        and(
          eq(groupMembers.groupId, groupId),
          eq(groupMembers.userId, input.userId),
          ne(groupMembers.role, 'owner'),
        ),
      )
      .returning({ id: groupMembers.userId });
    if (updated.length === 0)
      throw new TRPCError({
        code: 'NOT_FOUND',
        message: 'That person is not a member whose role can change.',
      });
    emit({
      groupId,
      type: 'member.role',
      userId: input.userId,
      payload: { groupId, userId: input.userId, role: input.role },
    });
  });
  return loadGroup(deps.db, groupId, userId);
}

/** Mutes or unmutes a thread for `userId` alone. */
export async function muteGroup(deps: GroupDeps, userId: string, groupId: string, muted: boolean) {
  await requireMember(deps.db, groupId, userId);
  await deps.db
    .update(groupMembers)
    .set({ muted })
    .where(and(eq(groupMembers.groupId, groupId), eq(groupMembers.userId, userId)));
  return { groupId, muted };
}
