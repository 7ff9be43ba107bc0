import { TRPCError } from '@trpc/server';
import { and, asc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { periodsOf, requireMember, seenBy, seqVisible } from '../access';
import {
  clipMeta,
  clipTitleSchema,
  clipUrlSchema,
  findClip,
  thumbnailSchema,
  upsertClip,
} from '../clips/store';
import { messages } from '../db/schema';
import { transact } from '../events';
import { loadMessage, loadMessageViews, type MessageView, selectMessages } from '../messages/view';
import { authedProcedure, publicProcedure, router } from '../trpc';
import {
  atSecondsSchema,
  clientIdSchema,
  findByClientId,
  groupIdSchema,
  insertMessage,
  isUniqueViolation,
} from './messages';

export const MAX_NOTE = 1000;
export const MAX_SHARE_GROUPS = 10;

export const clipsRouter = router({
  /** Public: turning a link into its canonical clip reveals nothing about anyone. */
  resolve: publicProcedure.input(z.object({ url: clipUrlSchema })).query(({ input }) => input.url),

  share: authedProcedure
    .input(
      z.object({
        groupIds: z
          .array(groupIdSchema)
          .min(1, 'Choose at least one group')
          .max(MAX_SHARE_GROUPS, `Share to at most ${MAX_SHARE_GROUPS} groups at once`)
          .transform((ids) => [...new Set(ids)]),
        url: clipUrlSchema,
        title: clipTitleSchema.optional(),
        thumbnailUrl: thumbnailSchema.optional(),
        atSeconds: atSecondsSchema.optional(),
        note: z
          .string()
          .trim()
          .max(MAX_NOTE, `Notes can be at most ${MAX_NOTE} characters`)
          .optional(),
        /** Makes a retried share (offline outbox, flaky network) land once per group. */
        clientId: clientIdSchema
          .pipe(z.string().max(48, 'clientId must be at most 48 characters'))
          .optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      // One key per group, with a ':' that messages.send's clientIds cannot contain, so a share
      // never answers with a plain message that happens to use the same key.
      const clientIds = input.groupIds.map((groupId) =>
        input.clientId ? `${input.clientId}:${groupId}` : crypto.randomUUID(),
      );
      const existing = await Promise.all(
        clientIds.map((id) => findByClientId(ctx.db, ctx.user.id, id)),
      );
      if (existing.every(Boolean)) {
        // A retry answers only while the sender is still in every group it went to.
        for (const groupId of input.groupIds) await requireMember(ctx.db, groupId, ctx.user.id);
        const views = await Promise.all(existing.map((row) => loadMessage(ctx.db, row!.id)));
        return { clip: input.url, messages: views as MessageView[] };
      }
      await ctx.limits.consumeSend(ctx.user.id, input.groupIds.length);
      try {
        const views = await transact(ctx, async (tx, emit) => {
          const clipRef = await upsertClip(tx, input.url);
          const meta = clipMeta(input.url, input);
          const out: MessageView[] = [];
          // Group rows are locked in one fixed order (by id), so two shares to overlapping groups
          // listed in different orders wait for each other instead of deadlocking.
          const lockOrder = [...input.groupIds.keys()].sort((a, b) =>
            input.groupIds[a]! < input.groupIds[b]! ? -1 : 1,
          );
          // All or nothing: one group the sender is not in fails the whole share.
          for (const i of lockOrder) {
            out[i] = await insertMessage(tx, emit, {
              groupId: input.groupIds[i]!,
              senderId: ctx.user.id,
              clientId: clientIds[i]!,
              kind: 'clip',
              body: input.note || null,
              clipRef,
              ...meta,
              atSeconds: input.atSeconds ?? null,
            });
          }
          return out;
        });
        return { clip: input.url, messages: views };
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw new TRPCError({
            code: 'CONFLICT',
            message: 'This share is already being sent. Retry to get its result.',
          });
        }
        throw error;
      }
    }),

  thread: authedProcedure
    .input(z.object({ groupId: groupIdSchema, url: clipUrlSchema }))
    .query(async ({ ctx, input }) => {
      await requireMember(ctx.db, input.groupId, ctx.user.id);
      const clipRef = await findClip(ctx.db, input.url);
      if (!clipRef) return { clip: input.url, messages: [] };
      const periods = await periodsOf(ctx.db, input.groupId, ctx.user.id);
      const rows = await selectMessages(ctx.db)
        .where(
          and(
            eq(messages.groupId, input.groupId),
            eq(messages.clipRef, clipRef),
            seqVisible(periods),
          ),
        )
        .orderBy(asc(messages.seq))
        .limit(500);
      return { clip: input.url, messages: await loadMessageViews(ctx.db, rows) };
    }),

  activity: authedProcedure
    .input(z.object({ url: clipUrlSchema }))
    .query(async ({ ctx, input }) => {
      const clipRef = await findClip(ctx.db, input.url);
      if (!clipRef) return { clip: input.url, groups: [], friends: [] };
      const me = ctx.user.id;
      // Only groups the caller is in count: activity elsewhere is not theirs to know.
      const result = await ctx.db.execute<{
        group_id: string;
        kind: string;
        name: string;
        peer_name: string | null;
        message_count: number;
        last_at: Date | string;
        sender_id: string | null;
        handle: string | null;
        display_name: string | null;
        is_friend: boolean;
      }>(sql`
      select g.id as group_id, g.kind, g.name,
        (select u.display_name from group_members o join users u on u.id = o.user_id
          where g.kind = 'direct' and o.group_id = g.id and o.user_id <> ${me} limit 1) as peer_name,
        count(*) over (partition by g.id)::int as message_count,
        max(m.created_at) over (partition by g.id) as last_at,
        m.sender_id, u.handle, u.display_name,
        exists (select 1 from friendships f where f.user_id = ${me} and f.friend_id = m.sender_id) as is_friend
      from messages m
      join group_members gm on gm.group_id = m.group_id and gm.user_id = ${me}
      join groups g on g.id = m.group_id and g.archived_at is null
      left join users u on u.id = m.sender_id
      where m.clip_ref = ${clipRef} and m.deleted_at is null and ${seenBy(me)}
      order by m.created_at desc
    `);
      const groupsById = new Map<
        string,
        {
          groupId: string;
          kind: string;
          name: string;
          messageCount: number;
          lastAt: string;
          people: { id: string; handle: string; displayName: string }[];
        }
      >();
      const friends = new Map<string, { id: string; handle: string; displayName: string }>();
      for (const r of result.rows) {
        let group = groupsById.get(r.group_id);
        if (!group) {
          group = {
            groupId: r.group_id,
            kind: r.kind,
            name: r.kind === 'direct' ? (r.peer_name ?? r.name) : r.name,
            messageCount: Number(r.message_count),
            lastAt: new Date(r.last_at).toISOString(),
            people: [],
          };
          groupsById.set(r.group_id, group);
        }
        if (r.sender_id && r.handle && !group.people.some((p) => p.id === r.sender_id)) {
          group.people.push({
            id: r.sender_id,
            handle: r.handle,
            displayName: r.display_name ?? r.handle,
          });
        }
        if (r.sender_id && r.handle && r.is_friend && r.sender_id !== me) {
          friends.set(r.sender_id, {
            id: r.sender_id,
            handle: r.handle,
            displayName: r.display_name ?? r.handle,
          });
        }
      }
      return { clip: input.url, groups: [...groupsById.values()], friends: [...friends.values()] };
    }),
});
