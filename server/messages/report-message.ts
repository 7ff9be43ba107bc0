import { and, eq } from 'drizzle-orm';
import type { DbOrTx } from '../db/client';
import { messages, reports } from '../db/schema';
import { visibleMessage } from './visible-message';

export interface ReportMessageInput {
  messageId: string;
  reason: 'spam' | 'harassment' | 'other';
  note: string | null;
}

/**
 * Reports a message for review: stored with a copy of its body as it is now. Only members of
 * the message's group can report it; reporting it again while the report is open changes
 * nothing and answers the same report.
 */
export async function reportMessage(db: DbOrTx, userId: string, input: ReportMessageInput) {
  const msg = await visibleMessage(db, input.messageId, userId);
  const mine = and(
    eq(reports.reporterId, userId),
    eq(reports.messageId, msg.id),
    eq(reports.status, 'open'),
  );
  const answer = (r: { id: string; createdAt: Date }) => ({
    reportId: r.id,
    messageId: msg.id,
    status: 'open' as const,
    createdAt: r.createdAt.toISOString(),
  });
  const [existing] = await db
    .select({ id: reports.id, createdAt: reports.createdAt })
    .from(reports)
    .where(mine);
  if (existing) return answer(existing);
  const [body] = await db
    .select({ body: messages.body })
    .from(messages)
    .where(eq(messages.id, msg.id));
  const [row] = await db
    .insert(reports)
    .values({
      reporterId: userId,
      messageId: msg.id,
      groupId: msg.groupId,
      reportedUserId: msg.senderId,
      reason: input.reason,
      note: input.note,
      bodySnapshot: body?.body ?? null,
    })
    .onConflictDoNothing()
    .returning({ id: reports.id, createdAt: reports.createdAt });
  if (row) return answer(row);
  // The same report sent twice at once: the other one is stored, answer with it.
  const [winner] = await db
    .select({ id: reports.id, createdAt: reports.createdAt })
    .from(reports)
    .where(mine);
  return answer(winner!);
}
