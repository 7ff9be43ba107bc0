import { TRPCError } from '@trpc/server';
import { eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import type { DbOrTx } from '../db/client';
import { brands, products } from '../db/schema';

/** Brands, products and their views: what the brands, products, shop and checkout routers share. */

export const brandIdSchema = z.uuid('brandId must be a brand id');
export const productIdSchema = z.uuid('productId must be a product id');

export type BrandRow = typeof brands.$inferSelect;
export type ProductRow = typeof products.$inferSelect;

export const brandNotFound = () => new TRPCError({ code: 'NOT_FOUND', message: 'No such brand.' });
export const productNotFound = () =>
  new TRPCError({ code: 'NOT_FOUND', message: 'No such product, or it is no longer for sale.' });

export async function requireBrand(db: DbOrTx, brandId: string): Promise<BrandRow> {
  const [row] = await db.select().from(brands).where(eq(brands.id, brandId)).limit(1);
  if (!row) throw brandNotFound();
  return row;
}

/** The brand, if `userId` owns it: FORBIDDEN for anyone else, NOT_FOUND for no such brand. */
export async function requireBrandOwner(
  db: DbOrTx,
  brandId: string,
  userId: string,
): Promise<BrandRow> {
  const brand = await requireBrand(db, brandId);
  if (brand.ownerId !== userId) {
    throw new TRPCError({
      code: 'FORBIDDEN',
      message: "Only the brand's owner can do that.",
    });
  }
  return brand;
}

/** The product and its brand, if the product exists and is on sale; NOT_FOUND otherwise. */
export async function requireActiveProduct(db: DbOrTx, productId: string) {
  const [row] = await db
    .select({ product: products, brand: brands })
    .from(products)
    .innerJoin(brands, eq(brands.id, products.brandId))
    .where(eq(products.id, productId))
    .limit(1);
  if (!row?.product.active) throw productNotFound();
  return row;
}

export async function productsWithBrands(db: DbOrTx, productIds: string[]) {
  if (productIds.length === 0) return [];
  return db
    .select({ product: products, brand: brands })
    .from(products)
    .innerJoin(brands, eq(brands.id, products.brandId))
    .where(inArray(products.id, productIds));
}

/** Whether checkout would accept this brand right now. */
export function brandCanSell(brand: BrandRow): boolean {
  return Boolean(brand.stripeAccountId) && brand.chargesEnabled;
}

/** What anyone may know about a brand. */
export function publicBrandView(brand: BrandRow) {
  return {
    id: brand.id,
    name: brand.name,
    slug: brand.slug,
    canSell: brandCanSell(brand),
    /** The brand's own sites: a widget there passes its page as the checkout's returnUrl. */
    allowedOrigins: brand.allowedOrigins,
  };
}

/** The owner's view: adds the state of the Stripe account. */
export function ownerBrandView(brand: BrandRow) {
  return {
    ...publicBrandView(brand),
    ownerId: brand.ownerId,
    stripe: {
      connected: Boolean(brand.stripeAccountId),
      accountId: brand.stripeAccountId,
      chargesEnabled: brand.chargesEnabled,
      detailsSubmitted: brand.detailsSubmitted,
      payoutsEnabled: brand.payoutsEnabled,
    },
    shippingCountries: brand.shippingCountries,
    allowedOrigins: brand.allowedOrigins,
    supportEmail: brand.supportEmail,
    createdAt: brand.createdAt.toISOString(),
  };
}

export type NotPurchasable = 'inactive' | 'sold_out' | 'brand_cannot_sell' | 'no_shipping';

const REASON_TEXT: Record<NotPurchasable, (brand: BrandRow) => string> = {
  inactive: () => 'No longer for sale',
  sold_out: () => 'Sold out',
  brand_cannot_sell: (brand) => `${brand.name} cannot take payments yet`,
  no_shipping: (brand) => `${brand.name} does not ship yet`,
};

/** Why checkout would refuse this product now, or null if it would take it. */
export function notPurchasable(product: ProductRow, brand: BrandRow): NotPurchasable | null {
  if (!product.active) return 'inactive';
  if (!brandCanSell(brand)) return 'brand_cannot_sell';
  if (product.requiresShipping && brand.shippingCountries.length === 0) return 'no_shipping';
  if (product.stock !== null && product.stock <= 0) return 'sold_out';
  return null;
}

export function productView(product: ProductRow, brand: BrandRow) {
  const inStock = product.stock === null || product.stock > 0;
  const blocked = notPurchasable(product, brand);
  return {
    id: product.id,
    brandId: product.brandId,
    brand: publicBrandView(brand),
    title: product.title,
    description: product.description,
    imageUrl: product.imageUrl,
    priceCents: product.priceCents,
    currency: product.currency,
    stock: product.stock,
    active: product.active,
    requiresShipping: product.requiresShipping,
    /** Creators' commission on sales from their clips, in basis points (0: no affiliates). */
    affiliateBps: product.affiliateBps,
    inStock,
    /** Checkout would take it now: on sale, in stock, the brand takes payments and ships. */
    canBuy: blocked === null,
    purchasable: blocked === null,
    /** Why Buy is off (a short sentence to show beside it), or null. */
    reason: blocked ? REASON_TEXT[blocked](brand) : null,
    reasonCode: blocked,
    createdAt: product.createdAt.toISOString(),
    updatedAt: product.updatedAt.toISOString(),
  };
}

export type ProductView = ReturnType<typeof productView>;
