import { and, asc, desc, eq, gt, lt } from 'drizzle-orm';
import { periodsOf, requireMember, seqVisible } from '../access';
import type { DbOrTx } from '../db/client';
import { messages } from '../db/schema';
import { loadMessageViews, selectMessages } from './view';

export interface ListMessagesInput {
  groupId: string;
  beforeSeq?: number | undefined;
  afterSeq?: number | undefined;
  limit: number;
}

/**
 * A page of a thread for one of its members, only what was said while they were a member:
 * the newest `limit` before `beforeSeq`, or with `afterSeq` the oldest after it.
 */
export async function listMessages(db: DbOrTx, userId: string, input: ListMessagesInput) {
  await requireMember(db, input.groupId, userId);
  const inGroup = and(
    eq(messages.groupId, input.groupId),
    seqVisible(await periodsOf(db, input.groupId, userId)),
  );
  const take = input.limit + 1;
  const upper = input.beforeSeq !== undefined ? lt(messages.seq, input.beforeSeq) : undefined;
  if (input.afterSeq !== undefined) {
    const rows = await selectMessages(db)
      .where(and(inGroup, gt(messages.seq, input.afterSeq), upper))
      .orderBy(asc(messages.seq))
      .limit(take);
    const hasMore = rows.length > input.limit;
    return { messages: await loadMessageViews(db, rows.slice(0, input.limit)), hasMore };
  }
  const rows = await selectMessages(db)
    .where(and(inGroup, upper))
    .orderBy(desc(messages.seq))
    .limit(take);
  const hasMore = rows.length > input.limit;
  const page = rows.slice(0, input.limit).reverse();
  return { messages: await loadMessageViews(db, page), hasMore };
}
