import { TRPCError, tracked } from '@trpc/server';
import { eq } from 'drizzle-orm';
import type { BusEvent } from '../bus';
import { sessions } from '../db/schema';
import type { AuthedContext } from '../trpc';
import { type Frame, LiveStream, marker } from './event-stream';
import type { Attachment } from './hub';
import { Inbox } from './inbox';
import { loadSpans, Membership } from './membership';
import { replayFrames } from './replay';
import { SESSION_ENDED_MESSAGE } from './revocation';

/** Open `sync.events` streams per user in this process, against `socketsPerUser`. */
const openStreams = new Map<string, number>();

/**
 * `sync.events`: one user's stream. Resuming after `lastEventId` replays what they may see
 * since (or one resync when that is too much); then `ready`, then live events as they come.
 */
export async function openSyncEvents(
  ctx: AuthedContext,
  lastEventId: string | null | undefined,
  signal: AbortSignal | undefined,
): Promise<LiveStream> {
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
  let hub: Attachment | undefined;
  const stream = new LiveStream(inbox, me, ctx.tokenHash, ctx.socket, () => {
    hub?.detach();
    const left = (openStreams.get(me) ?? 1) - 1;
    if (left <= 0) openStreams.delete(me);
    else openStreams.set(me, left);
  });
  signal?.addEventListener('abort', () => stream.close(), { once: true });
  try {
    const joins = new Set<string>();
    hub = await ctx.hub.attach(
      (event) => {
        // A join seen live: that group's events must reach this stream from now on.
        if (event.type === 'member.added' && event.userId === me) {
          joins.add(event.groupId);
          hub?.watch(event.groupId);
        }
        stream.deliver(event);
      },
      { userId: me },
    );
    for (const groupId of joins) hub.watch(groupId);
    const { position } = hub;
    // Signed out (or deleted) between the context being made and attaching: nothing more.
    const [session] = await ctx.db
      .select({ userId: sessions.userId })
      .from(sessions)
      .where(eq(sessions.tokenHash, ctx.tokenHash));
    if (!session) throw new TRPCError({ code: 'UNAUTHORIZED', message: SESSION_ENDED_MESSAGE });
    const cursor = lastEventId ? Number(lastEventId) : position;
    const { spans, current } = await loadSpans(ctx.db, me);
    // From here the hub wakes this stream only for its groups and for events about this user
    // (a superset of what `Membership` admits: groups are only ever added to the filter).
    hub.narrow(current);
    const membership = new Membership(me, spans);
    const opening: Frame[] = [];
    let sent = position;

    if (lastEventId) {
      const replayed = await replayFrames(
        ctx.db,
        me,
        spans,
        membership,
        cursor,
        position,
        ctx.limits.settings.replayLimit,
      );
      opening.push(...replayed.frames);
      sent = replayed.sent;
    }

    // Caught up: from here on everything arrives live. Clients may now load state by query.
    opening.push(tracked(String(sent), marker('ready', sent, { message: 'Live.' })));
    stream.open(opening, membership, sent);
    return stream;
  } catch (error) {
    stream.close();
    throw error;
  }
}
