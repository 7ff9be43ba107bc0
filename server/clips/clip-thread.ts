import { and, asc, eq } from 'drizzle-orm';
import { periodsOf, requireMember, seqVisible } from '../access';
import type { Db } from '../db/client';
import { messages } from '../db/schema';
import { loadMessageViews, type MessageView, selectMessages } from '../messages/view';
import type { ResolvedClip } from './resolve';
import { findClip } from './store';

/**
 * `clips.thread`: the messages about one clip in one group, oldest first (at most 500), of
 * those said while `userId` was a member.
 */
export async function clipThread(
  db: Db,
  userId: string,
  groupId: string,
  url: ResolvedClip,
): Promise<{ clip: ResolvedClip; messages: MessageView[] }> {
  await requireMember(db, groupId, userId);
  const clipRef = await findClip(db, url);
  if (!clipRef) return { clip: url, messages: [] };
  const periods = await periodsOf(db, groupId, userId);
  const rows = await selectMessages(db)
    .where(and(eq(messages.groupId, groupId), eq(messages.clipRef, clipRef), seqVisible(periods)))
    .orderBy(asc(messages.seq))
    .limit(500);
  return { clip: url, messages: await loadMessageViews(db, rows) };
}
