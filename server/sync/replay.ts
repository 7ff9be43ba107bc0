import { tracked } from '@trpc/server';
import { and, eq, gt, gte, inArray, isNotNull, lte, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { events, messages } from '../db/schema';
import { type Frame, resync, view } from './event-stream';
import { rowToBusEvent } from './hub';
import { type Membership, numberField, type Span } from './membership';

/**
 * Replayed reactions stored before their payload carried the message's seq: looks it up, so the
 * replay follows the same rule as the live stream.
 */
async function withMessageSeqs(
  db: Db,
  rows: (typeof events.$inferSelect)[],
): Promise<(typeof events.$inferSelect)[]> {
  const missing = new Set<string>();
  for (const row of rows) {
    const messageId = (row.payload as { messageId?: unknown } | null)?.messageId;
    if (
      row.type === 'reaction.changed' &&
      numberField(row.payload, 'seq') === undefined &&
      typeof messageId === 'string'
    )
      missing.add(messageId);
  }
  if (missing.size === 0) return rows;
  const found = await db
    .select({ id: messages.id, seq: messages.seq })
    .from(messages)
    .where(inArray(messages.id, [...missing]));
  const seqs = new Map(found.map((m) => [m.id, m.seq]));
  return rows.map((row) => {
    const messageId = (row.payload as { messageId?: unknown } | null)?.messageId;
    const seq = typeof messageId === 'string' ? seqs.get(messageId) : undefined;
    if (
      row.type !== 'reaction.changed' ||
      seq === undefined ||
      numberField(row.payload, 'seq') !== undefined
    )
      return row;
    return { ...row, payload: { ...(row.payload as object), seq } };
  });
}

/**
 * The opening frames of a stream resuming after `cursor`: what this user may see since then, or
 * one resync when that is too much, pruned, or a cursor from the future. Answers the frames and
 * the id of the last event they cover.
 */
export async function replayFrames(
  db: Db,
  userId: string,
  spans: Map<string, Span[]>,
  membership: Membership,
  cursor: number,
  position: number,
  replayLimit: number,
): Promise<{ frames: Frame[]; sent: number }> {
  // What this user may see after the cursor: each span of each of their groups (an index range
  // per span), and their own removals from groups they have left. Only their groups' events are
  // read, however busy the rest of the table is.
  const ranges = [...spans].flatMap(([groupId, list]) =>
    list
      .filter((span) => span.to > cursor)
      .map((span) =>
        and(
          eq(events.groupId, groupId),
          gte(events.id, span.from),
          span.to === Infinity ? undefined : lte(events.id, span.to),
        ),
      ),
  );
  const replay = await db
    .select()
    .from(events)
    .where(
      and(
        gt(events.id, cursor),
        or(
          ...ranges,
          and(
            eq(events.userId, userId),
            isNotNull(events.userId),
            inArray(events.type, ['member.removed', 'member.left']),
          ),
        ),
      ),
    )
    .orderBy(events.id)
    .limit(replayLimit + 1);
  const [oldest] = await db.select({ min: sql<string | null>`min(${events.id})` }).from(events);
  const pruned = oldest?.min != null && Number(oldest.min) > cursor + 1 && cursor > 0;
  if (
    replay.length > replayLimit ||
    pruned ||
    cursor > Math.max(position, replay.at(-1)?.id ?? 0)
  ) {
    return {
      frames: [tracked(String(position), resync(position, pruned ? 'pruned' : 'too-far-behind'))],
      sent: position,
    };
  }
  const frames: Frame[] = [];
  let sent = cursor;
  for (const row of await withMessageSeqs(db, replay)) {
    const event = rowToBusEvent(row);
    if (!membership.admit(event)) continue;
    sent = row.id;
    frames.push(tracked(String(row.id), view(event)));
  }
  return { frames, sent: Math.max(sent, position) };
}
