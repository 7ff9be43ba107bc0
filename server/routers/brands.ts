import { TRPCError } from '@trpc/server';
import { and, desc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { isBlockedEitherWay, openPeriod, periodJoinedAt, requireUser } from '../access';
import { isUniqueViolation, type Tx } from '../db/client';
import { brands, groupMembers, groups, orders } from '../db/schema';
import { type Emit, transact } from '../events';
import { loadGroup } from '../groups/load-group';
import { clientIdSchema, MAX_BODY } from '../messages/schemas';
import { storeMessage } from '../messages/store-message';
import type { MessageView } from '../messages/view';
import {
  type BrandRow,
  brandIdSchema,
  ownerBrandView,
  productIdSchema,
  requireActiveProduct,
  requireBrand,
  requireBrandOwner,
} from '../payments/catalog';
import { ensureConnectedAccount, onboardingLink } from '../payments/connect';
import { orderViews } from '../payments/orders';
import { requirePayments } from '../payments/stripe';
import { type AuthedContext, authedProcedure, router } from '../trpc';
import { olderThan } from './orders';

export const MAX_BRANDS_PER_USER = 20;

const nameSchema = z
  .string()
  .trim()
  .min(1, 'A brand needs a name')
  .max(80, 'Brand names can be at most 80 characters');
const slugSchema = z
  .string()
  .trim()
  .toLowerCase()
  .min(3, 'slug must be 3–40 characters')
  .max(40, 'slug must be 3–40 characters')
  .regex(
    /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/,
    'slug may only use lower-case letters, digits and inner hyphens',
  );
const questionSchema = z
  .string()
  .trim()
  .min(1, 'Message cannot be empty')
  .max(MAX_BODY, `Messages can be at most ${MAX_BODY} characters`);

/** One brand thread per (brand, customer); the key keeps a concurrent second open from racing. */
const brandThreadKey = (brandId: string, userId: string) => `brand:${brandId}:${userId}`;

async function addMember(tx: Tx, emit: Emit, groupId: string, userId: string, by: string) {
  await tx.insert(groupMembers).values({ groupId, userId, role: 'member' });
  // Both people are in the thread from its start.
  await openPeriod(tx, groupId, userId, 0);
  emit({
    groupId,
    type: 'member.added',
    userId,
    payload: { groupId, user: await requireUser(tx, userId), role: 'member', by },
    onId: async (eventId, t) => {
      await t
        .update(groupMembers)
        .set({ joinedEventId: eventId })
        .where(and(eq(groupMembers.groupId, groupId), eq(groupMembers.userId, userId)));
      await periodJoinedAt(t, groupId, userId, eventId);
    },
  });
}

/** The customer's thread with the brand (kind 'brand', the customer and the brand's owner). */
async function openBrandThread(ctx: AuthedContext, brand: BrandRow): Promise<string> {
  const key = brandThreadKey(brand.id, ctx.user.id);
  const find = async () => {
    const [row] = await ctx.db
      .select({ id: groups.id })
      .from(groups)
      .where(eq(groups.directKey, key));
    return row?.id ?? null;
  };
  const existing = await find();
  if (existing) return existing;
  const created = await transact(ctx, async (tx, emit) => {
    const [group] = await tx
      .insert(groups)
      .values({
        kind: 'brand',
        name: brand.name,
        directKey: key,
        brandId: brand.id,
        createdBy: ctx.user.id,
      })
      .onConflictDoNothing()
      .returning({ id: groups.id });
    if (!group) return null;
    await addMember(tx, emit, group.id, ctx.user.id, ctx.user.id);
    await addMember(tx, emit, group.id, brand.ownerId, ctx.user.id);
    return group.id;
  });
  const id = created ?? (await find());
  if (!id) throw new TRPCError({ code: 'NOT_FOUND', message: 'No such brand.' });
  return id;
}

export const brandsRouter = router({
  /** A new brand owned by the caller. */
  create: authedProcedure
    .input(z.object({ name: nameSchema, slug: slugSchema }))
    .mutation(async ({ ctx, input }) => {
      const owned = await ctx.db.$count(brands, eq(brands.ownerId, ctx.user.id));
      if (owned >= MAX_BRANDS_PER_USER)
        throw new TRPCError({
          code: 'BAD_REQUEST',
          message: `One account can own at most ${MAX_BRANDS_PER_USER} brands.`,
        });
      try {
        const [row] = await ctx.db
          .insert(brands)
          .values({ ownerId: ctx.user.id, name: input.name, slug: input.slug })
          .returning();
        return ownerBrandView(row!);
      } catch (error) {
        if (isUniqueViolation(error))
          throw new TRPCError({
            code: 'CONFLICT',
            message: `The slug “${input.slug}” is taken; choose another.`,
          });
        throw error;
      }
    }),

  /** The brands the caller owns, with the state of their Stripe accounts. */
  mine: authedProcedure.query(async ({ ctx }) => {
    const rows = await ctx.db
      .select()
      .from(brands)
      .where(eq(brands.ownerId, ctx.user.id))
      .orderBy(desc(brands.createdAt));
    return rows.map(ownerBrandView);
  }),

  /**
   * Starts (or resumes) Stripe onboarding: creates the brand's Express account once and returns
   * a fresh Account Link to send the owner to.
   */
  connect: authedProcedure
    .input(z.object({ brandId: brandIdSchema }))
    .mutation(async ({ ctx, input }) => {
      const brand = await requireBrandOwner(ctx.db, input.brandId, ctx.user.id);
      const payments = requirePayments(ctx.payments);
      const accountId = await ensureConnectedAccount(ctx, payments, brand);
      const link = await onboardingLink(payments, brand.id, accountId);
      return {
        url: link.url,
        expiresAt: link.expiresAt,
        accountId,
        chargesEnabled: brand.chargesEnabled,
      };
    }),

  /** The brand's sales, newest first, with what brought each one (clip, group share, widget). */
  orders: authedProcedure
    .input(
      z.object({
        brandId: brandIdSchema,
        status: z.enum(['pending', 'paid', 'expired', 'failed', 'refunded']).optional(),
        limit: z.number().int().min(1).max(100).default(50),
        before: z.uuid('before must be an order id').optional(),
      }),
    )
    .query(async ({ ctx, input }) => {
      const brand = await requireBrandOwner(ctx.db, input.brandId, ctx.user.id);
      const rows = await ctx.db
        .select()
        .from(orders)
        .where(
          and(
            eq(orders.brandId, brand.id),
            input.status ? eq(orders.status, input.status) : undefined,
            await olderThan(ctx.db, input.before),
          ),
        )
        .orderBy(desc(orders.createdAt), desc(orders.id))
        .limit(input.limit + 1);
      const page = rows.slice(0, input.limit);
      return {
        orders: await orderViews(ctx.db, page, 'brand'),
        hasMore: rows.length > input.limit,
      };
    }),

  /**
   * Ask the brand: opens the caller's brand thread (one per brand and customer, with the brand's
   * owner) and, given a body or a product, posts it there. Idempotent on `clientId`.
   */
  ask: authedProcedure
    .input(
      z.object({
        brandId: brandIdSchema,
        body: questionSchema.optional(),
        /** A product of this brand the question is about. */
        productId: productIdSchema.optional(),
        clientId: clientIdSchema.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const brand = await requireBrand(ctx.db, input.brandId);
      if (brand.ownerId === ctx.user.id)
        throw new TRPCError({
          code: 'BAD_REQUEST',
          message: 'This is your own brand; its customers’ questions are in brands.threads.',
        });
      const posting = Boolean(input.body || input.productId);
      if (posting && !input.clientId)
        throw new TRPCError({
          code: 'BAD_REQUEST',
          message: 'Sending a question needs a clientId, so a retry does not send it twice.',
        });
      if (input.productId) {
        const { product } = await requireActiveProduct(ctx.db, input.productId);
        if (product.brandId !== brand.id)
          throw new TRPCError({ code: 'NOT_FOUND', message: 'This brand has no such product.' });
      }
      if (await isBlockedEitherWay(ctx.db, ctx.user.id, brand.ownerId))
        throw new TRPCError({ code: 'FORBIDDEN', message: 'You cannot message this brand.' });
      const groupId = await openBrandThread(ctx, brand);
      let message: MessageView | null = null;
      if (posting && input.clientId) {
        await ctx.limits.consumeSend(ctx.user.id);
        message = await storeMessage(ctx, {
          groupId,
          senderId: ctx.user.id,
          clientId: input.clientId,
          kind: input.productId ? 'product' : 'text',
          body: input.body ?? null,
          productId: input.productId ?? null,
        });
      }
      return { group: await loadGroup(ctx.db, groupId, ctx.user.id), message };
    }),

  /** The brand's customer threads, for its owner: who asked, the last message, what is unread. */
  threads: authedProcedure
    .input(z.object({ brandId: brandIdSchema }))
    .query(async ({ ctx, input }) => {
      const brand = await requireBrandOwner(ctx.db, input.brandId, ctx.user.id);
      const me = ctx.user.id;
      const result = await ctx.db.execute<{
        id: string;
        last_seq: number;
        unread: number;
        customer_id: string | null;
        customer_handle: string | null;
        customer_name: string | null;
        last_body: string | null;
        last_kind: string | null;
        last_deleted: boolean | null;
        last_at: Date | string | null;
        created_at: Date | string;
      }>(sql`
        select g.id, g.last_seq, g.created_at,
          (select count(*)::int from messages m
            where m.group_id = g.id and m.seq > gm.last_read_seq and m.deleted_at is null
              and m.sender_id is distinct from ${me}) as unread,
          c.id as customer_id, c.handle as customer_handle, c.display_name as customer_name,
          lm.body as last_body, lm.kind as last_kind, (lm.deleted_at is not null) as last_deleted,
          lm.created_at as last_at
        from groups g
        join group_members gm on gm.group_id = g.id and gm.user_id = ${me}
        left join lateral (
          select u.id, u.handle, u.display_name from group_members o join users u on u.id = o.user_id
          where o.group_id = g.id and o.user_id <> ${me} limit 1
        ) c on true
        left join lateral (
          select * from messages m where m.group_id = g.id order by m.seq desc limit 1
        ) lm on true
        where g.kind = 'brand' and g.brand_id = ${brand.id} and g.archived_at is null
        order by coalesce(lm.created_at, g.created_at) desc
        limit 500
      `);
      const iso = (v: Date | string) => new Date(v).toISOString();
      return result.rows.map((r) => ({
        groupId: r.id,
        customer: r.customer_id
          ? {
              id: r.customer_id,
              handle: r.customer_handle ?? '',
              displayName: r.customer_name ?? '',
            }
          : null,
        lastSeq: Number(r.last_seq),
        unread: Number(r.unread),
        lastMessage: r.last_at
          ? {
              kind: r.last_kind,
              body: r.last_deleted ? null : r.last_body,
              createdAt: iso(r.last_at),
            }
          : null,
        createdAt: iso(r.created_at),
      }));
    }),
});
