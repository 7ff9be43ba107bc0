import { TRPCError, tracked } from '@trpc/server';
import { and, eq, gt, gte, inArray, isNotNull, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { BusEvent } from '../bus';
import { events, groupMembers, sessions } from '../db/schema';
import { encodeOnce } from '../sync/encoder';
import { type Attachment, rowToBusEvent } from '../sync/hub';
import { Inbox } from '../sync/inbox';
import { revokes, SESSION_ENDED_MESSAGE } from '../sync/revocation';
import { authedProcedure, router } from '../trpc';

/** A subscriber that falls this far behind live delivery is cut over to a resync. */
const MAX_BACKLOG = 5000;

export interface SyncEvent {
  id: number | null;
  type: string;
  groupId: string | null;
  userId: string | null;
  payload: unknown;
  createdAt: string;
}

const openStreams = new Map<string, number>();

/** One view per event, shared by every stream it goes to (a message reaches up to 32). */
const views = new WeakMap<BusEvent, SyncEvent>();

function view(event: BusEvent): SyncEvent {
  let shown = views.get(event);
  if (!shown) {
    shown = encodeOnce({
      id: event.id ?? null,
      type: event.type,
      groupId: event.groupId,
      userId: event.userId ?? null,
      payload: event.payload,
      createdAt: event.createdAt,
    });
    views.set(event, shown);
  }
  return shown;
}

/** What one user may see of the stream, following their joins and removals as they happen. */
class Membership {
  constructor(
    private readonly userId: string,
    private readonly groups: Map<string, number>,
  ) {}

  /** Whether the event is theirs; updates the membership for joins and departures. */
  admit(event: BusEvent): boolean {
    const aboutMe = event.userId === this.userId;
    if (aboutMe && event.type === 'member.added') {
      this.groups.set(event.groupId, event.id ?? 0);
      return true;
    }
    const joined = this.groups.get(event.groupId);
    if (aboutMe && (event.type === 'member.removed' || event.type === 'member.left')) {
      this.groups.delete(event.groupId);
      return true;
    }
    if (joined === undefined) return false;
    if (event.type === 'group.archived') this.groups.delete(event.groupId);
    return event.id === undefined || event.id >= joined;
  }
}

export const syncRouter = router({
  events: authedProcedure
    .input(
      z
        .object({
          lastEventId: z
            .string()
            .regex(/^\d{1,15}$/, 'lastEventId must be an id received from this stream')
            .nullish(),
        })
        .optional(),
    )
    .subscription(async function* ({ ctx, input, signal }) {
      const me = ctx.user.id;
      const streams = openStreams.get(me) ?? 0;
      if (streams >= ctx.limits.settings.socketsPerUser) {
        throw new TRPCError({
          code: 'TOO_MANY_REQUESTS',
          message: `Too many open connections for this account (at most ${ctx.limits.settings.socketsPerUser}). Close another tab or device and retry.`,
        });
      }
      openStreams.set(me, streams + 1);

      // Attach first, so nothing committed from here on can slip between replay and live.
      const inbox = new Inbox<BusEvent>(signal);
      let backlog = 0;
      let overflowed = false;
      let hub: Attachment | undefined;
      const joins = new Set<string>();
      hub = await ctx.hub.attach(
        (event) => {
          // A join seen live: that group's events must reach this stream from now on.
          if (event.type === 'member.added' && event.userId === me) {
            joins.add(event.groupId);
            hub?.watch(event.groupId);
          }
          if (overflowed) return;
          if (++backlog > MAX_BACKLOG) {
            overflowed = true;
            inbox.push({ type: 'overflow' } as unknown as BusEvent);
            return;
          }
          inbox.push(event);
        },
        { userId: me },
      );
      for (const groupId of joins) hub.watch(groupId);
      const { position, detach } = hub;
      try {
        // Signed out (or deleted) between the context being made and attaching: nothing more.
        const [session] = await ctx.db
          .select({ userId: sessions.userId })
          .from(sessions)
          .where(eq(sessions.tokenHash, ctx.tokenHash));
        if (!session) throw new TRPCError({ code: 'UNAUTHORIZED', message: SESSION_ENDED_MESSAGE });
        const rows = await ctx.db
          .select({ groupId: groupMembers.groupId, joinedEventId: groupMembers.joinedEventId })
          .from(groupMembers)
          .where(eq(groupMembers.userId, me));
        // From here the hub wakes this stream only for its groups and for events about this user
        // (a superset of what `Membership` admits: groups are only ever added to the filter).
        hub.narrow(rows.map((r) => r.groupId));
        const membership = new Membership(
          me,
          new Map(rows.map((r) => [r.groupId, r.joinedEventId])),
        );
        let sent = position;

        if (input?.lastEventId) {
          const cursor = Number(input.lastEventId);
          // What this user may see after the cursor: each of their groups from their join (an
          // index range per group), and their own removals from groups they have left. Only
          // their groups' events are read, however busy the rest of the table is.
          const replay = await ctx.db
            .select()
            .from(events)
            .where(
              and(
                gt(events.id, cursor),
                or(
                  ...rows.map((r) =>
                    and(eq(events.groupId, r.groupId), gte(events.id, r.joinedEventId)),
                  ),
                  and(
                    eq(events.userId, me),
                    isNotNull(events.userId),
                    inArray(events.type, ['member.removed', 'member.left']),
                  ),
                ),
              ),
            )
            .orderBy(events.id)
            .limit(ctx.limits.settings.replayLimit + 1);
          const [oldest] = await ctx.db
            .select({ min: sql<string | null>`min(${events.id})` })
            .from(events);
          const pruned = oldest?.min != null && Number(oldest.min) > cursor + 1 && cursor > 0;
          if (
            replay.length > ctx.limits.settings.replayLimit ||
            pruned ||
            cursor > Math.max(position, replay.at(-1)?.id ?? 0)
          ) {
            yield tracked(String(position), resync(position, pruned ? 'pruned' : 'too-far-behind'));
          } else {
            sent = cursor;
            for (const row of replay) {
              const event = rowToBusEvent(row);
              if (!membership.admit(event)) continue;
              sent = row.id;
              yield tracked(String(row.id), view(event));
            }
            sent = Math.max(sent, position);
          }
        }

        // Caught up: from here on everything arrives live. Clients may now load state by query.
        yield tracked(String(sent), marker('ready', sent, { message: 'Live.' }));

        for await (const event of inbox) {
          backlog -= 1;
          if ((event.type as string) === 'overflow') {
            // Too slow to keep up: tell the client to refetch, then end so it reconnects fresh.
            yield tracked(String(sent), resync(sent, 'too-far-behind'));
            return;
          }
          // This session was ended (logout, logout everywhere, account deleted): stop here.
          if (revokes(event, me, ctx.tokenHash))
            throw new TRPCError({ code: 'UNAUTHORIZED', message: SESSION_ENDED_MESSAGE });
          if (event.id !== undefined && event.id <= sent) continue;
          if (!membership.admit(event)) continue;
          if (event.id === undefined) {
            // Ephemeral: carries the current position so a client's resume point stays put.
            yield tracked(String(sent), view(event));
          } else {
            sent = event.id;
            yield tracked(String(event.id), view(event));
          }
        }
      } finally {
        detach();
        const left = (openStreams.get(me) ?? 1) - 1;
        if (left <= 0) openStreams.delete(me);
        else openStreams.set(me, left);
      }
    }),
});

/** Stream control events: not about a group, carrying the stream position. */
function marker(
  type: 'ready' | 'resync',
  position: number,
  payload: Record<string, string>,
): SyncEvent {
  return {
    id: position,
    type,
    groupId: null,
    userId: null,
    payload,
    createdAt: new Date().toISOString(),
  };
}

function resync(position: number, reason: 'pruned' | 'too-far-behind'): SyncEvent {
  return marker('resync', position, {
    reason,
    message: 'Missed too much to replay: refetch groups and messages, then carry on from here.',
  });
}
