import { TRPCError } from '@trpc/server';
import { eq } from 'drizzle-orm';
import { isBlockedEitherWay } from '../access';
import { groups } from '../db/schema';
import type { Deps } from '../deps';
import { transact } from '../events';
import { loadGroup } from '../groups/load-group';
import { addMemberRows } from '../groups/membership';
import { submitSend } from '../messages/send-message';
import type { MessageView } from '../messages/view';
import { type BrandRow, requireActiveProduct, requireBrand } from '../payments/catalog';
import type { SessionUser } from '../trpc';

type AskDeps = Pick<Deps, 'db' | 'bus' | 'limits'> & { user: SessionUser };

/** One brand thread per (brand, customer); the key keeps a concurrent second open from racing. */
const brandThreadKey = (brandId: string, userId: string) => `brand:${brandId}:${userId}`;

/** The customer's thread with the brand (kind 'brand', the customer and the brand's owner). */
export async function openBrandThread(
  ctx: Pick<Deps, 'db' | 'bus'>,
  brand: BrandRow,
  customerId: string,
  openedBy = customerId,
): Promise<string> {
  const key = brandThreadKey(brand.id, customerId);
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
        createdBy: openedBy,
      })
      .onConflictDoNothing()
      .returning({ id: groups.id });
    if (!group) return null;
    // Both people are in the thread from its start.
    await addMemberRows(tx, emit, group.id, [customerId], 'member', openedBy, 0);
    await addMemberRows(tx, emit, group.id, [brand.ownerId], 'member', openedBy, 0);
    return group.id;
  });
  const id = created ?? (await find());
  if (!id) throw new TRPCError({ code: 'NOT_FOUND', message: 'No such brand.' });
  return id;
}

export interface AskBrandInput {
  brandId: string;
  body?: string | undefined;
  productId?: string | undefined;
  clientId?: string | undefined;
}

/**
 * Ask the brand: opens the caller's brand thread (one per brand and customer, with the brand's
 * owner) and, given a body or a product, posts it there. Idempotent on `clientId`.
 */
export async function askBrand(ctx: AskDeps, input: AskBrandInput) {
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
  const groupId = await openBrandThread(ctx, brand, ctx.user.id);
  let message: MessageView | null = null;
  if (posting && input.clientId) {
    await ctx.limits.consumeSend(ctx.user.id);
    message = await submitSend(ctx, {
      groupId,
      senderId: ctx.user.id,
      clientId: input.clientId,
      kind: input.productId ? 'product' : 'text',
      body: input.body ?? null,
      productId: input.productId ?? null,
    });
  }
  return { group: await loadGroup(ctx.db, groupId, ctx.user.id), message };
}
