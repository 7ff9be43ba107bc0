import { TRPCError } from '@trpc/server';
import { and, desc, eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { products } from '../db/schema';
import {
  productNotFound,
  productsWithBrands,
  productView,
  requireBrand,
  requireBrandOwner,
} from './catalog';

/** A brand has at most this many products (active or not). */
export const MAX_PRODUCTS_PER_BRAND = 500;

export interface NewProduct {
  brandId: string;
  title: string;
  description?: string | undefined;
  imageUrl?: string | undefined;
  priceCents: number;
  currency: string;
  stock?: number | null | undefined;
  active: boolean;
  requiresShipping: boolean;
  affiliateBps?: number | undefined;
}

export type ProductChanges = Partial<{
  title: string | undefined;
  description: string | null | undefined;
  imageUrl: string | null | undefined;
  priceCents: number | undefined;
  currency: string | undefined;
  stock: number | null | undefined;
  active: boolean | undefined;
  requiresShipping: boolean | undefined;
  affiliateBps: number | undefined;
}>;

/** `products.create`: a product of the brand, by its owner; at most MAX_PRODUCTS_PER_BRAND. */
export async function createProduct(db: Db, userId: string, input: NewProduct) {
  const brand = await requireBrandOwner(db, input.brandId, userId);
  const count = await db.$count(products, eq(products.brandId, brand.id));
  if (count >= MAX_PRODUCTS_PER_BRAND) {
    throw new TRPCError({
      code: 'BAD_REQUEST',
      message: `A brand can have at most ${MAX_PRODUCTS_PER_BRAND} products; deactivate or reuse one.`,
    });
  }
  const [row] = await db
    .insert(products)
    .values({
      brandId: brand.id,
      title: input.title,
      description: input.description || null,
      imageUrl: input.imageUrl ?? null,
      priceCents: input.priceCents,
      currency: input.currency,
      stock: input.stock ?? null,
      active: input.active,
      requiresShipping: input.requiresShipping,
      affiliateBps: input.affiliateBps ?? 0,
    })
    .returning();
  return productView(row!, brand);
}

/** `products.update`: changes the given fields of a product, by its brand's owner. */
export async function updateProduct(
  db: Db,
  userId: string,
  input: ProductChanges & { productId: string },
) {
  const { productId, ...changes } = input;
  const set = Object.fromEntries(
    Object.entries(changes).filter(([, value]) => value !== undefined),
  ) as Partial<typeof products.$inferInsert>;
  if (Object.keys(set).length === 0) {
    throw new TRPCError({
      code: 'BAD_REQUEST',
      message: 'Nothing to update: give at least one field to change.',
    });
  }
  if (set.description === '') set.description = null;
  const [current] = await db
    .select({ brandId: products.brandId })
    .from(products)
    .where(eq(products.id, productId));
  if (!current) throw productNotFound();
  const brand = await requireBrandOwner(db, current.brandId, userId);
  const [row] = await db
    .update(products)
    .set({ ...set, updatedAt: new Date() })
    .where(and(eq(products.id, productId), eq(products.brandId, brand.id)))
    .returning();
  if (!row) throw productNotFound();
  return productView(row, brand);
}

/** `products.list`: a brand's products on sale; its owner (`viewerId`) also sees inactive ones. */
export async function listProducts(db: Db, viewerId: string | undefined, brandId: string) {
  const brand = await requireBrand(db, brandId);
  const owner = viewerId === brand.ownerId;
  const rows = await db
    .select()
    .from(products)
    .where(
      owner
        ? eq(products.brandId, brand.id)
        : and(eq(products.brandId, brand.id), eq(products.active, true)),
    )
    .orderBy(desc(products.createdAt), desc(products.id))
    .limit(MAX_PRODUCTS_PER_BRAND);
  return rows.map((row) => productView(row, brand));
}

/** `products.get`: a product on sale, or any of the viewer's own brand's products. */
export async function getProduct(db: Db, viewerId: string | undefined, productId: string) {
  const [row] = await productsWithBrands(db, [productId]);
  if (!row || (!row.product.active && row.brand.ownerId !== viewerId)) throw productNotFound();
  return productView(row.product, row.brand);
}
