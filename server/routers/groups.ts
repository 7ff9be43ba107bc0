import { TRPCError } from '@trpc/server';
import { and, asc, eq, inArray, ne, sql } from 'drizzle-orm';
import { z } from 'zod';
import {
  areFriends,
  closePeriod,
  groupNotFound,
  isBlockedEitherWay,
  openPeriod,
  periodJoinedAt,
  periodLeftAt,
  refuseDirect,
  requireManager,
  requireMember,
  requireUser,
  seenBy,
} from '../access';
import type { DbOrTx, Tx } from '../db/client';
import {
  friendships,
  groupMembers,
  groups,
  type MemberRole,
  messageRequests,
  users,
} from '../db/schema';
import { type Emit, transact } from '../events';
import { MAX_REQUEST_MESSAGES, requestFor } from '../messages/requests';
import { isolate } from '../text';
import { authedProcedure, router } from '../trpc';

export const MAX_GROUP_MEMBERS = 32;

const groupIdInput = z.object({ groupId: z.uuid('groupId must be a group id') });
const groupName = z
  .string()
  .trim()
  .min(1, 'Group name cannot be empty')
  .max(80, 'Group names can be at most 80 characters');
const tooMany = `A group has at most ${MAX_GROUP_MEMBERS} members`;
/** People to add, each once. The cap is checked on distinct people, not on the raw list. */
const userIds = z
  .array(z.uuid('each member must be a user id'))
  .max(MAX_GROUP_MEMBERS * 4, tooMany)
  .transform((ids) => [...new Set(ids)])
  .pipe(z.array(z.string()).max(MAX_GROUP_MEMBERS, tooMany));

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

/** Rejects ids that are not the adder's friends, naming how many were refused. */
async function assertAllFriends(db: DbOrTx, userId: string, ids: string[]) {
  if (ids.length === 0) return;
  const rows = await db
    .select({ id: friendships.friendId })
    .from(friendships)
    .where(and(eq(friendships.userId, userId), inArray(friendships.friendId, ids)));
  const friends = new Set(rows.map((r) => r.id));
  const strangers = ids.filter((id) => !friends.has(id));
  if (strangers.length > 0) {
    throw new TRPCError({
      code: 'FORBIDDEN',
      message: `You can only add your friends to a group (${strangers.length} of the people chosen ${strangers.length === 1 ? 'is' : 'are'} not).`,
    });
  }
}

/** Refuses people whose setting says nobody may add them to groups, naming them. */
async function assertAcceptGroupAdds(db: DbOrTx, ids: string[]) {
  if (ids.length === 0) return;
  const rows = await db
    .select({ handle: users.handle, displayName: users.displayName })
    .from(users)
    .where(and(inArray(users.id, ids), eq(users.groupAdds, 'nobody')))
    .orderBy(asc(users.handle));
  if (rows.length === 0) return;
  const names = rows.map((r) => `${isolate(r.displayName)} (@${r.handle})`).join(', ');
  throw new TRPCError({
    code: 'FORBIDDEN',
    message: `${names} ${rows.length === 1 ? 'does' : 'do'} not want to be added to groups (a privacy setting). Leave ${rows.length === 1 ? 'them' : 'these people'} out, or ask them to add you instead.`,
  });
}

/**
 * Takes `userId` out of a group the way leaving does: a `member.left` event, the owner's role
 * passing to the longest-standing admin (else member), and a group left empty archived. Used by
 * `groups.leave` and by account deletion (which also leaves direct and brand threads).
 */
export async function leaveGroup(
  tx: Tx,
  emit: Emit,
  groupId: string,
  userId: string,
  role: MemberRole,
) {
  await tx
    .delete(groupMembers)
    .where(and(eq(groupMembers.groupId, groupId), eq(groupMembers.userId, userId)));
  const toSeq = await closePeriod(tx, groupId, userId);
  emit({
    groupId,
    type: 'member.left',
    userId,
    // `toSeq`: the last message of their time in (their streams keep it, see routers/sync.ts).
    payload: { groupId, userId, toSeq },
    onId: (eventId, t) => periodLeftAt(t, groupId, userId, eventId),
  });
  const rest = await tx
    .select({ userId: groupMembers.userId, role: groupMembers.role })
    .from(groupMembers)
    .where(eq(groupMembers.groupId, groupId))
    .orderBy(
      sql`case ${groupMembers.role} when 'admin' then 0 else 1 end`,
      asc(groupMembers.joinedAt),
      asc(groupMembers.joinedEventId),
    );
  if (rest.length === 0) {
    await tx.update(groups).set({ archivedAt: new Date() }).where(eq(groups.id, groupId));
    emit({ groupId, type: 'group.archived', payload: { groupId } });
    return { ok: true as const, archived: true, newOwnerId: null };
  }
  let newOwnerId: string | null = null;
  const heir = rest[0];
  if (role === 'owner' && heir) {
    newOwnerId = heir.userId;
    await tx
      .update(groupMembers)
      .set({ role: 'owner' })
      .where(and(eq(groupMembers.groupId, groupId), eq(groupMembers.userId, heir.userId)));
    emit({
      groupId,
      type: 'member.role',
      userId: heir.userId,
      payload: { groupId, userId: heir.userId, role: 'owner' },
    });
  }
  return { ok: true as const, archived: false, newOwnerId };
}

/** Whether the two share at least one friend (and so may send each other a message request). */
async function shareAFriend(db: DbOrTx, a: string, b: string): Promise<boolean> {
  const result = await db.execute<{ one: number }>(sql`
    select 1 as one from friendships fa
    join friendships fb on fb.user_id = fa.friend_id and fb.friend_id = ${b}
    where fa.user_id = ${a}
    limit 1`);
  return result.rows.length > 0;
}

/**
 * Turns a message request into an ordinary direct thread: the recipient joins it, and what was
 * said in the request (addressed to them) is theirs from the start.
 */
async function acceptRequestTx(tx: Tx, emit: Emit, groupId: string, toUserId: string) {
  await tx.delete(messageRequests).where(eq(messageRequests.groupId, groupId));
  await addMemberRows(tx, emit, groupId, [toUserId], 'member', toUserId, 0);
}

const requestNotFound = () =>
  new TRPCError({
    code: 'NOT_FOUND',
    message: 'No such message request. It may have been withdrawn; check your requests again.',
  });

async function addMemberRows(
  tx: Tx,
  emit: Emit,
  groupId: string,
  ids: string[],
  role: MemberRole,
  by: string,
  /** Messages after this seq are theirs; by default the group's last seq (nothing before). */
  fromSeq?: number,
) {
  for (const id of ids) {
    await tx.insert(groupMembers).values({ groupId, userId: id, role });
    const from = await openPeriod(tx, groupId, id, fromSeq);
    emit({
      groupId,
      type: 'member.added',
      userId: id,
      // `fromSeq`: messages after it are theirs (their streams keep it, see routers/sync.ts).
      payload: { groupId, user: await requireUser(tx, id), role, by, fromSeq: from },
      // Events from this one on are the new member's to see.
      onId: async (eventId, t) => {
        await t
          .update(groupMembers)
          .set({ joinedEventId: eventId })
          .where(and(eq(groupMembers.groupId, groupId), eq(groupMembers.userId, id)));
        await periodJoinedAt(t, groupId, id, eventId);
      },
    });
  }
}

export const groupsRouter = router({
  create: authedProcedure
    .input(z.object({ name: groupName, memberIds: userIds }))
    .mutation(async ({ ctx, input }) => {
      const memberIds = input.memberIds.filter((id) => id !== ctx.user.id);
      if (memberIds.length > MAX_GROUP_MEMBERS - 1) {
        throw new TRPCError({
          code: 'BAD_REQUEST',
          message: `${tooMany}: you and up to ${MAX_GROUP_MEMBERS - 1} others.`,
        });
      }
      await assertAllFriends(ctx.db, ctx.user.id, memberIds);
      await assertAcceptGroupAdds(ctx.db, memberIds);
      const groupId = await transact(ctx, async (tx, emit) => {
        const [group] = await tx
          .insert(groups)
          .values({ kind: 'group', name: input.name, createdBy: ctx.user.id })
          .returning({ id: groups.id });
        if (!group) throw new Error('group insert returned nothing');
        await addMemberRows(tx, emit, group.id, [ctx.user.id], 'owner', ctx.user.id);
        await addMemberRows(tx, emit, group.id, memberIds, 'member', ctx.user.id);
        return group.id;
      });
      return loadGroup(ctx.db, groupId, ctx.user.id);
    }),

  list: authedProcedure.query(async ({ ctx }) => {
    const me = ctx.user.id;
    const result = await ctx.db.execute<{
      id: string;
      kind: string;
      name: string;
      role: string;
      muted: boolean;
      last_seq: number;
      last_read_seq: number;
      member_count: number;
      unread: number;
      peer_id: string | null;
      peer_handle: string | null;
      peer_name: string | null;
      last_id: string | null;
      last_body: string | null;
      last_kind: string | null;
      last_seq_msg: number | null;
      last_sender: string | null;
      last_deleted: boolean | null;
      last_at: Date | string | null;
      created_at: Date | string;
    }>(sql`
      select g.id, g.kind, g.name, gm.role, gm.muted, g.last_seq, gm.last_read_seq, g.created_at,
        (select count(*)::int from group_members c where c.group_id = g.id) as member_count,
        (select count(*)::int from messages m
          where m.group_id = g.id and m.seq > gm.last_read_seq and m.deleted_at is null
            and m.sender_id is distinct from ${me} and ${seenBy(me)}) as unread,
        peer.id as peer_id, peer.handle as peer_handle, peer.display_name as peer_name,
        lm.id as last_id, lm.body as last_body, lm.kind as last_kind, lm.seq as last_seq_msg,
        lm.sender_id as last_sender, (lm.deleted_at is not null) as last_deleted, lm.created_at as last_at
      from group_members gm
      join groups g on g.id = gm.group_id and g.archived_at is null
      left join lateral (
        select u.id, u.handle, u.display_name from users u
        where g.kind = 'direct' and u.id = coalesce(
          (select o.user_id from group_members o where o.group_id = g.id and o.user_id <> ${me} limit 1),
          -- My message request not yet accepted: the one I asked is not a member yet.
          (select mr.to_user_id from message_requests mr where mr.group_id = g.id and mr.from_user_id = ${me}))
      ) peer on true
      left join lateral (
        select * from messages m where m.group_id = g.id and ${seenBy(me)}
        order by m.seq desc limit 1
      ) lm on true
      where gm.user_id = ${me}
      order by coalesce(lm.created_at, g.created_at) desc
    `);
    const iso = (v: Date | string) => new Date(v).toISOString();
    return result.rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      name: r.kind === 'direct' ? (r.peer_name ?? r.name) : r.name,
      role: r.role,
      muted: r.muted,
      lastSeq: Number(r.last_seq),
      lastReadSeq: Number(r.last_read_seq),
      memberCount: Number(r.member_count),
      unread: Number(r.unread),
      peer: r.peer_id
        ? { id: r.peer_id, handle: r.peer_handle ?? '', displayName: r.peer_name ?? '' }
        : null,
      lastMessage: r.last_id
        ? {
            id: r.last_id,
            seq: Number(r.last_seq_msg),
            kind: r.last_kind,
            senderId: r.last_sender,
            body: r.last_deleted ? null : r.last_body,
            deleted: Boolean(r.last_deleted),
            createdAt: iso(r.last_at ?? r.created_at),
          }
        : null,
      createdAt: iso(r.created_at),
    }));
  }),

  get: authedProcedure
    .input(groupIdInput)
    .query(({ ctx, input }) => loadGroup(ctx.db, input.groupId, ctx.user.id)),

  addMembers: authedProcedure
    .input(
      groupIdInput.extend({
        userIds: userIds.pipe(z.array(z.string()).min(1, 'Choose at least one person')),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      await transact(ctx, async (tx, emit) => {
        const me = await requireMember(tx, input.groupId, ctx.user.id, true);
        refuseDirect(me, 'Adding people');
        requireManager(me);
        const existing = await tx
          .select({ id: groupMembers.userId })
          .from(groupMembers)
          .where(eq(groupMembers.groupId, input.groupId));
        const present = new Set(existing.map((r) => r.id));
        const fresh = input.userIds.filter((id) => !present.has(id));
        await assertAllFriends(tx, ctx.user.id, fresh);
        await assertAcceptGroupAdds(tx, fresh);
        if (present.size + fresh.length > MAX_GROUP_MEMBERS) {
          throw new TRPCError({
            code: 'BAD_REQUEST',
            message: `A group has at most ${MAX_GROUP_MEMBERS} members; there is room for ${MAX_GROUP_MEMBERS - present.size} more.`,
          });
        }
        await addMemberRows(tx, emit, input.groupId, fresh, 'member', ctx.user.id);
      });
      return loadGroup(ctx.db, input.groupId, ctx.user.id);
    }),

  removeMember: authedProcedure
    .input(groupIdInput.extend({ userId: z.uuid('userId must be a user id') }))
    .mutation(async ({ ctx, input }) => {
      if (input.userId === ctx.user.id) {
        throw new TRPCError({
          code: 'BAD_REQUEST',
          message: 'To remove yourself, leave the group instead.',
        });
      }
      await transact(ctx, async (tx, emit) => {
        const me = await requireMember(tx, input.groupId, ctx.user.id, true);
        refuseDirect(me, 'Removing people');
        requireManager(me);
        const [target] = await tx
          .select({ role: groupMembers.role })
          .from(groupMembers)
          .where(
            and(eq(groupMembers.groupId, input.groupId), eq(groupMembers.userId, input.userId)),
          );
        if (!target)
          throw new TRPCError({ code: 'NOT_FOUND', message: 'That person is not in this group.' });
        if (target.role === 'owner' || (target.role === 'admin' && me.role !== 'owner')) {
          throw new TRPCError({
            code: 'FORBIDDEN',
            message: 'Only the owner can remove an admin, and nobody can remove the owner.',
          });
        }
        await tx
          .delete(groupMembers)
          .where(
            and(eq(groupMembers.groupId, input.groupId), eq(groupMembers.userId, input.userId)),
          );
        const toSeq = await closePeriod(tx, input.groupId, input.userId);
        emit({
          groupId: input.groupId,
          type: 'member.removed',
          userId: input.userId,
          payload: { groupId: input.groupId, userId: input.userId, by: ctx.user.id, toSeq },
          onId: (eventId, t) => periodLeftAt(t, input.groupId, input.userId, eventId),
        });
      });
      return loadGroup(ctx.db, input.groupId, ctx.user.id);
    }),

  leave: authedProcedure.input(groupIdInput).mutation(async ({ ctx, input }) => {
    return transact(ctx, async (tx, emit) => {
      const me = await requireMember(tx, input.groupId, ctx.user.id, true);
      refuseDirect(me, 'Leaving');
      return leaveGroup(tx, emit, input.groupId, ctx.user.id, me.role);
    });
  }),

  rename: authedProcedure
    .input(groupIdInput.extend({ name: groupName }))
    .mutation(async ({ ctx, input }) => {
      await transact(ctx, async (tx, emit) => {
        const me = await requireMember(tx, input.groupId, ctx.user.id, true);
        refuseDirect(me, 'Renaming');
        requireManager(me);
        await tx.update(groups).set({ name: input.name }).where(eq(groups.id, input.groupId));
        emit({
          groupId: input.groupId,
          type: 'group.renamed',
          payload: { groupId: input.groupId, name: input.name, by: ctx.user.id },
        });
      });
      return loadGroup(ctx.db, input.groupId, ctx.user.id);
    }),

  setRole: authedProcedure
    .input(groupIdInput.extend({ userId: z.uuid(), role: z.enum(['admin', 'member']) }))
    .mutation(async ({ ctx, input }) => {
      await transact(ctx, async (tx, emit) => {
        const me = await requireMember(tx, input.groupId, ctx.user.id, true);
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
              eq(groupMembers.groupId, input.groupId),
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
          groupId: input.groupId,
          type: 'member.role',
          userId: input.userId,
          payload: { groupId: input.groupId, userId: input.userId, role: input.role },
        });
      });
      return loadGroup(ctx.db, input.groupId, ctx.user.id);
    }),

  mute: authedProcedure
    .input(groupIdInput.extend({ muted: z.boolean() }))
    .mutation(async ({ ctx, input }) => {
      await requireMember(ctx.db, input.groupId, ctx.user.id);
      await ctx.db
        .update(groupMembers)
        .set({ muted: input.muted })
        .where(and(eq(groupMembers.groupId, input.groupId), eq(groupMembers.userId, ctx.user.id)));
      return { groupId: input.groupId, muted: input.muted };
    }),

  /**
   * The 1:1 thread with someone. With a friend it is an ordinary thread. With a friend of a
   * friend it is a message request: only I am in it until they accept (see `requests`). Anyone
   * else, or anyone blocked either way, is refused. Opening a thread someone requested with me
   * accepts their request.
   */
  openDirect: authedProcedure
    .input(z.object({ userId: z.uuid('userId must be a user id') }))
    .mutation(async ({ ctx, input }) => {
      if (input.userId === ctx.user.id) {
        throw new TRPCError({
          code: 'BAD_REQUEST',
          message: 'A direct thread needs another person.',
        });
      }
      const peer = await requireUser(ctx.db, input.userId);
      if (await isBlockedEitherWay(ctx.db, ctx.user.id, input.userId)) {
        throw new TRPCError({ code: 'FORBIDDEN', message: 'You cannot message this person.' });
      }
      const directKey = [ctx.user.id, input.userId].sort().join(':');
      const [existing] = await ctx.db
        .select({ id: groups.id })
        .from(groups)
        .where(eq(groups.directKey, directKey));
      const friends = await areFriends(ctx.db, ctx.user.id, input.userId);
      if (existing) {
        const request = await requestFor(ctx.db, existing.id);
        // They asked me and I open the thread, or we have become friends since: it is accepted.
        if (request && (request.toUserId === ctx.user.id || friends)) {
          await transact(ctx, async (tx, emit) => {
            await tx
              .select({ id: groups.id })
              .from(groups)
              .where(eq(groups.id, existing.id))
              .for('update');
            const still = await requestFor(tx, existing.id);
            if (still) await acceptRequestTx(tx, emit, existing.id, still.toUserId);
          });
        }
        return loadGroup(ctx.db, existing.id, ctx.user.id);
      }
      const asRequest = !friends;
      if (asRequest && !(await shareAFriend(ctx.db, ctx.user.id, input.userId))) {
        throw new TRPCError({
          code: 'FORBIDDEN',
          message:
            'You can only message your friends, or friends of your friends. Send them an invite first.',
        });
      }
      const groupId = await transact(ctx, async (tx, emit) => {
        const [group] = await tx
          .insert(groups)
          .values({ kind: 'direct', name: '', directKey, createdBy: ctx.user.id })
          .onConflictDoNothing()
          .returning({ id: groups.id });
        // Both people opened the thread at once: the other insert won, use its thread.
        if (!group) return null;
        if (asRequest) {
          await tx
            .insert(messageRequests)
            .values({ groupId: group.id, fromUserId: ctx.user.id, toUserId: peer.id });
          await addMemberRows(tx, emit, group.id, [ctx.user.id], 'member', ctx.user.id);
        } else {
          await addMemberRows(tx, emit, group.id, [ctx.user.id, peer.id], 'member', ctx.user.id);
        }
        return group.id;
      });
      if (groupId) return loadGroup(ctx.db, groupId, ctx.user.id);
      const [winner] = await ctx.db
        .select({ id: groups.id })
        .from(groups)
        .where(eq(groups.directKey, directKey));
      if (!winner) throw groupNotFound();
      const request = await requestFor(ctx.db, winner.id);
      if (request?.toUserId === ctx.user.id) {
        await transact(ctx, async (tx, emit) => {
          await tx
            .select({ id: groups.id })
            .from(groups)
            .where(eq(groups.id, winner.id))
            .for('update');
          if (await requestFor(tx, winner.id))
            await acceptRequestTx(tx, emit, winner.id, ctx.user.id);
        });
      }
      return loadGroup(ctx.db, winner.id, ctx.user.id);
    }),

  /**
   * Message requests waiting for me: who asks, how many friends we share, and their first
   * message. Requests from people blocked either way are not shown.
   */
  requests: authedProcedure.query(async ({ ctx }) => {
    const me = ctx.user.id;
    const result = await ctx.db.execute<{
      group_id: string;
      created_at: Date | string;
      from_id: string;
      from_handle: string;
      from_name: string;
      mutual: number;
      message_count: number;
      first_body: string | null;
      first_kind: string | null;
      first_at: Date | string | null;
      first_clip_url: string | null;
      first_clip_title: string | null;
    }>(sql`
      select r.group_id, r.created_at, u.id as from_id, u.handle as from_handle,
        u.display_name as from_name,
        (select count(*)::int from friendships fa join friendships fb
           on fb.user_id = fa.friend_id and fb.friend_id = u.id
         where fa.user_id = ${me}) as mutual,
        (select count(*)::int from messages m where m.group_id = r.group_id
           and m.deleted_at is null) as message_count,
        fm.body as first_body, fm.kind as first_kind, fm.created_at as first_at,
        c.url as first_clip_url, fm.clip_title as first_clip_title
      from message_requests r
      join groups g on g.id = r.group_id and g.archived_at is null
      join users u on u.id = r.from_user_id
      left join lateral (
        select m.body, m.kind, m.created_at, m.clip_ref, m.clip_title from messages m
        where m.group_id = r.group_id and m.deleted_at is null order by m.seq limit 1
      ) fm on true
      left join clips c on c.id = fm.clip_ref
      where r.to_user_id = ${me} and r.status = 'pending'
        and not exists (select 1 from blocks b where (b.blocker_id = ${me} and b.blocked_id = u.id)
          or (b.blocker_id = u.id and b.blocked_id = ${me}))
      order by r.created_at desc
    `);
    const iso = (v: Date | string) => new Date(v).toISOString();
    return result.rows.map((r) => ({
      groupId: r.group_id,
      from: { id: r.from_id, handle: r.from_handle, displayName: r.from_name },
      mutualFriends: Number(r.mutual),
      messageCount: Number(r.message_count),
      firstMessage:
        r.first_kind && r.first_at
          ? {
              kind: r.first_kind,
              body: r.first_body,
              clip: r.first_clip_url ? { url: r.first_clip_url, title: r.first_clip_title } : null,
              createdAt: iso(r.first_at),
            }
          : null,
      createdAt: iso(r.created_at),
    }));
  }),

  /** Accepts a message request: I join the thread, and it becomes an ordinary direct thread. */
  acceptRequest: authedProcedure.input(groupIdInput).mutation(async ({ ctx, input }) => {
    await transact(ctx, async (tx, emit) => {
      await tx
        .select({ id: groups.id })
        .from(groups)
        .where(eq(groups.id, input.groupId))
        .for('update');
      const request = await requestFor(tx, input.groupId);
      if (!request || request.toUserId !== ctx.user.id || request.status !== 'pending')
        throw requestNotFound();
      if (await isBlockedEitherWay(tx, request.fromUserId, ctx.user.id))
        throw new TRPCError({
          code: 'FORBIDDEN',
          message: 'You cannot message this person. Unblock them first to accept.',
        });
      const [group] = await tx
        .select({ archivedAt: groups.archivedAt })
        .from(groups)
        .where(eq(groups.id, input.groupId));
      if (!group || group.archivedAt) throw requestNotFound();
      await acceptRequestTx(tx, emit, input.groupId, ctx.user.id);
    });
    return loadGroup(ctx.db, input.groupId, ctx.user.id);
  }),

  /**
   * Declines a message request: it leaves my requests, and its sender cannot send more or ask
   * again (they are not told; to them it still looks unanswered). Becoming friends, or me
   * opening the thread with them, lifts it. Declining again changes nothing.
   */
  declineRequest: authedProcedure.input(groupIdInput).mutation(async ({ ctx, input }) => {
    const request = await requestFor(ctx.db, input.groupId);
    if (!request || request.toUserId !== ctx.user.id) throw requestNotFound();
    if (request.status === 'pending') {
      await ctx.db
        .update(messageRequests)
        .set({ status: 'declined', decidedAt: new Date() })
        .where(
          and(eq(messageRequests.groupId, input.groupId), eq(messageRequests.status, 'pending')),
        );
    }
    return { ok: true as const, groupId: input.groupId };
  }),
});
