import { and, eq } from 'drizzle-orm';
import type { BusEvent } from '../bus';
import type { Db } from '../db/client';
import { groupMembers, memberPeriods } from '../db/schema';
import { isUserEvent } from './user-events';

/**
 * One span of one user's membership in a group: the events with ids `from..to`, and the messages
 * with `fromSeq < seq <= toSeq` (`to`, `toSeq` Infinity while still in).
 */
export interface Span {
  from: number;
  to: number;
  fromSeq: number;
  toSeq: number;
}

/** Events about one existing message: who may see them depends on when it was said. */
const ABOUT_A_MESSAGE = new Set(['message.edited', 'message.deleted', 'reaction.changed']);

/** A whole number field of an event's payload, if it has one. */
export function numberField(payload: unknown, key: string): number | undefined {
  const value = (payload as Record<string, unknown> | null)?.[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * What one user may see of the stream, following their joins and removals as they happen: each
 * group's events from the time they were members, and of the events about a message (edits,
 * deletions, reactions) only those about messages said while they were members
 * (`member_periods`; the same rule as `messages.list`).
 */
export class Membership {
  /** Per group, the highest message seq this stream has seen said (a fallback, see `close`). */
  private readonly said = new Map<string, number>();

  constructor(
    private readonly userId: string,
    private readonly groups: Map<string, Span[]>,
  ) {}

  /** Whether the event is theirs; updates the membership for joins and departures. */
  admit(event: BusEvent): boolean {
    const aboutMe = event.userId === this.userId;
    const id = event.id;
    // A signal about me alone (a friend request): mine whatever my groups.
    if (isUserEvent(event.type)) return aboutMe && id === undefined;
    if (aboutMe && event.type === 'member.added') {
      const spans = this.groups.get(event.groupId) ?? [];
      // Known already when replayed from the database; a live join opens a new span. Without a
      // `fromSeq` (an event from an older server), the span's first message tells it.
      if (!spans.some((s) => s.from === (id ?? 0))) {
        const fromSeq = numberField(event.payload, 'fromSeq') ?? Infinity;
        spans.push({ from: id ?? 0, to: Infinity, fromSeq, toSeq: Infinity });
      }
      this.groups.set(event.groupId, spans);
      return true;
    }
    if (aboutMe && (event.type === 'member.removed' || event.type === 'member.left')) {
      this.close(event.groupId, id, numberField(event.payload, 'toSeq'));
      return true;
    }
    const spans = this.groups.get(event.groupId);
    if (!spans) return false;
    if (id === undefined) return spans.some((s) => s.to === Infinity);
    const span = spans.find((s) => id >= s.from && id <= s.to);
    if (event.type === 'group.archived') this.close(event.groupId, id);
    if (!span) return false;
    if (event.type === 'message.created') {
      const seq = numberField(event.payload, 'seq');
      if (seq !== undefined) {
        // Every message of a span this stream saw open is said after the join, so seen here.
        if (span.fromSeq === Infinity) span.fromSeq = seq - 1;
        this.said.set(event.groupId, Math.max(this.said.get(event.groupId) ?? 0, seq));
      }
      return true;
    }
    if (!ABOUT_A_MESSAGE.has(event.type)) return true;
    // About a message: only if it was said while they were in (any of their spans).
    const seq = numberField(event.payload, 'seq');
    return seq !== undefined && spans.some((s) => seq > s.fromSeq && seq <= s.toSeq);
  }

  /**
   * Ends the span open at `id` (a span that started later is a later membership) at message
   * `toSeq`; without one (an event from an older server), at the last message seen said here.
   */
  private close(groupId: string, id: number | undefined, toSeq?: number) {
    for (const span of this.groups.get(groupId) ?? []) {
      if (span.to === Infinity && (id === undefined || span.from <= id)) {
        span.to = id ?? span.from;
        if (span.toSeq === Infinity)
          span.toSeq = toSeq ?? Math.max(span.fromSeq, this.said.get(groupId) ?? 0);
      }
    }
  }
}

/**
 * The user's spans in each group they are in now (earlier spans too, if they were out for a
 * while), and the groups they are in now. A group they have left replays only their removal.
 */
export async function loadSpans(
  db: Db,
  userId: string,
): Promise<{ spans: Map<string, Span[]>; current: string[] }> {
  const periods = await db
    .select({
      groupId: memberPeriods.groupId,
      from: memberPeriods.fromEventId,
      to: memberPeriods.toEventId,
      fromSeq: memberPeriods.fromSeq,
      toSeq: memberPeriods.toSeq,
    })
    .from(memberPeriods)
    .innerJoin(
      groupMembers,
      and(
        eq(groupMembers.groupId, memberPeriods.groupId),
        eq(groupMembers.userId, memberPeriods.userId),
      ),
    )
    .where(eq(memberPeriods.userId, userId));
  const spans = new Map<string, Span[]>();
  const seen = new Set<string>();
  for (const p of periods) {
    const key = `${p.groupId}:${p.from}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const list = spans.get(p.groupId) ?? [];
    list.push({
      from: p.from,
      to: p.to ?? Infinity,
      fromSeq: p.fromSeq,
      toSeq: p.toSeq ?? Infinity,
    });
    spans.set(p.groupId, list);
  }
  const current = [...new Set(periods.filter((p) => p.to === null).map((p) => p.groupId))];
  return { spans, current };
}
