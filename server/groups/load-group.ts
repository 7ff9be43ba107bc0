import { asc, eq } from 'drizzle-orm';
import { requireMember } from '../access';
import type { DbOrTx } from '../db/client';
import { groupMembers, users } from '../db/schema';
import { MAX_REQUEST_MESSAGES, requestFor } from '../messages/requests';

async function memberList(db: DbOrTx, groupId: string) {
  const rows = await db
    .select({
      id: users.id,
      handle: users.handle,
      displayName: users.displayName,
      role: groupMembers.role,
      joinedAt: groupMembers.joinedAt,
    })
    .from(groupMembers)
    .innerJoin(users, eq(users.id, groupMembers.userId))
    .where(eq(groupMembers.groupId, groupId))
    .orderBy(asc(groupMembers.joinedAt), asc(groupMembers.joinedEventId), asc(users.handle));
  return rows.map((r) => ({ ...r, joinedAt: r.joinedAt.toISOString() }));
}

/** The full view of a group for one of its members. */
export async function loadGroup(db: DbOrTx, groupId: string, userId: string) {
  const me = await requireMember(db, groupId, userId);
  const members = await memberList(db, groupId);
  const request = me.kind === 'direct' ? await requestFor(db, groupId) : null;
  return {
    id: groupId,
    kind: me.kind,
    name: me.name,
    role: me.role,
    muted: me.muted,
    lastSeq: me.lastSeq,
    lastReadSeq: me.lastReadSeq,
    members,
    /**
     * Set while this direct thread is my message request that the other person has not
     * accepted: they are not a member yet, and I may send up to `maxMessages` until they do.
     * (A declined request looks the same to its sender.)
     */
    request: request
      ? { pending: true as const, toUserId: request.toUserId, maxMessages: MAX_REQUEST_MESSAGES }
      : null,
  };
}
