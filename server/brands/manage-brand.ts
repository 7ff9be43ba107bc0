import { TRPCError } from '@trpc/server';
import { and, desc, eq } from 'drizzle-orm';
import { type DbOrTx, isUniqueViolation } from '../db/client';
import { brands, type OrderStatus, orders } from '../db/schema';
import type { Deps } from '../deps';
import { ownerBrandView, requireBrandOwner } from '../payments/catalog';
import { ensureConnectedAccount, onboardingLink } from '../payments/connect';
import { olderThan, orderViews } from '../payments/orders';
import { requirePayments } from '../payments/stripe';

export const MAX_BRANDS_PER_USER = 20;

/** A new brand owned by `ownerId`; its slug is unique across Kith. */
export async function createBrand(
  db: DbOrTx,
  ownerId: string,
  input: { name: string; slug: string },
) {
  const owned = await db.$count(brands, eq(brands.ownerId, ownerId));
  if (owned >= MAX_BRANDS_PER_USER)
    throw new TRPCError({
      code: 'BAD_REQUEST',
      message: `One account can own at most ${MAX_BRANDS_PER_USER} brands.`,
    });
  try {
    const [row] = await db
      .insert(brands)
      .values({ ownerId, name: input.name, slug: input.slug })
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
}

/** The brands `ownerId` owns, with the state of their Stripe accounts. */
export async function myBrands(db: DbOrTx, ownerId: string) {
  const rows = await db
    .select()
    .from(brands)
    .where(eq(brands.ownerId, ownerId))
    .orderBy(desc(brands.createdAt));
  return rows.map(ownerBrandView);
}

/**
 * Starts (or resumes) Stripe onboarding: creates the brand's Express account once and returns
 * a fresh Account Link to send the owner to.
 */
export async function connectBrand(deps: Deps, ownerId: string, brandId: string) {
  const brand = await requireBrandOwner(deps.db, brandId, ownerId);
  const payments = requirePayments(deps.payments);
  const accountId = await ensureConnectedAccount(deps, payments, brand);
  const link = await onboardingLink(payments, brand.id, accountId);
  return {
    url: link.url,
    expiresAt: link.expiresAt,
    accountId,
    chargesEnabled: brand.chargesEnabled,
  };
}

export interface BrandSettings {
  brandId: string;
  shippingCountries?: string[] | undefined;
  allowedOrigins?: string[] | undefined;
  supportEmail?: string | null | undefined;
}

/** `brands.update`: where the brand ships, where checkouts return to, its support email. */
export async function updateBrand(db: DbOrTx, ownerId: string, input: BrandSettings) {
  const brand = await requireBrandOwner(db, input.brandId, ownerId);
  const set: Partial<typeof brands.$inferInsert> = {};
  if (input.shippingCountries !== undefined) set.shippingCountries = input.shippingCountries;
  if (input.allowedOrigins !== undefined) set.allowedOrigins = input.allowedOrigins;
  if (input.supportEmail !== undefined) set.supportEmail = input.supportEmail;
  if (Object.keys(set).length === 0)
    throw new TRPCError({
      code: 'BAD_REQUEST',
      message: 'Nothing to update: give shippingCountries, allowedOrigins or supportEmail.',
    });
  const [row] = await db.update(brands).set(set).where(eq(brands.id, brand.id)).returning();
  return ownerBrandView(row!);
}

/** The brand's sales for its owner, newest first, with what brought each one. */
export async function brandOrders(
  db: DbOrTx,
  ownerId: string,
  input: { brandId: string; status?: OrderStatus | undefined; limit: number; before?: string },
) {
  const brand = await requireBrandOwner(db, input.brandId, ownerId);
  const rows = await db
    .select()
    .from(orders)
    .where(
      and(
        eq(orders.brandId, brand.id),
        input.status ? eq(orders.status, input.status) : undefined,
        await olderThan(db, input.before),
      ),
    )
    .orderBy(desc(orders.createdAt), desc(orders.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  return {
    orders: await orderViews(db, page, 'brand'),
    hasMore: rows.length > input.limit,
  };
}
