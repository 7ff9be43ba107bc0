import { and, eq, lt, sql } from 'drizzle-orm';
import { requireMember } from '../access';
import { groupMembers } from '../db/schema';
import type { Deps } from '../deps';
import { transact } from '../events';

/**
 * Moves a member's read position forward to `seq` (at most the group's last), and tells the
 * group unless their setting keeps read receipts to themselves.
 */
export async function markRead(
  deps: Pick<Deps, 'db' | 'bus'>,
  userId: string,
  groupId: string,
  upTo: number,
) {
  return transact(deps, async (tx, emit) => {
    const member = await requireMember(tx, groupId, userId);
    const seq = Math.min(upTo, member.lastSeq);
    // Read positions only move forward; an old or repeated call changes nothing.
    if (seq <= member.lastReadSeq) return { groupId, lastReadSeq: member.lastReadSeq };
    const mine = and(eq(groupMembers.groupId, groupId), eq(groupMembers.userId, userId));
    // Conditional, so a concurrent call that already went further is never undone (under
    // READ COMMITTED the condition is re-checked on the row as that call committed it).
    const moved = await tx
      .update(groupMembers)
      .set({ lastReadSeq: seq })
      .where(and(mine, lt(groupMembers.lastReadSeq, seq)))
      .returning({ lastReadSeq: groupMembers.lastReadSeq });
    if (moved.length === 0) {
      const [current] = await tx
        .select({ lastReadSeq: groupMembers.lastReadSeq })
        .from(groupMembers)
        .where(mine);
      return { groupId, lastReadSeq: current?.lastReadSeq ?? seq };
    }
    const [settings] = await tx
      .execute<{ send_receipts: boolean }>(
        sql`select send_receipts from users where id = ${userId}`,
      )
      .then((r) => r.rows);
    if (settings?.send_receipts !== false) {
      emit({ groupId, type: 'read', userId, payload: { groupId, userId, seq } });
    }
    return { groupId, lastReadSeq: seq };
  });
}
