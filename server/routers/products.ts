import { TRPCError } from '@trpc/server';
import { and, desc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { products } from '../db/schema';
import {
  brandIdSchema,
  productIdSchema,
  productNotFound,
  productsWithBrands,
  productView,
  requireBrand,
  requireBrandOwner,
} from '../payments/catalog';
import { currencySchema, priceCentsSchema } from '../payments/money';
import { authedProcedure, publicProcedure, router } from '../trpc';

export const MAX_PRODUCTS_PER_BRAND = 500;
const MAX_STOCK = 1_000_000;

const titleSchema = z
  .string()
  .trim()
  .min(1, 'A product needs a title')
  .max(120, 'Product titles can be at most 120 characters');
const descriptionSchema = z
  .string()
  .trim()
  .max(2000, 'Descriptions can be at most 2000 characters');
/** Product images load inside other sites and the overlay, so only https links are taken. */
export const imageUrlSchema = z
  .url({ protocol: /^https$/, message: 'imageUrl must be an https link' })
  .max(2048, 'imageUrl can be at most 2048 characters');
const stockSchema = z
  .number({ message: 'stock must be a whole number, or null for untracked stock' })
  .int('stock must be a whole number, or null for untracked stock')
  .min(0, 'stock cannot be negative')
  .max(MAX_STOCK, `stock can be at most ${MAX_STOCK}`);

export const productsRouter = router({
  create: authedProcedure
    .input(
      z.object({
        brandId: brandIdSchema,
        title: titleSchema,
        description: descriptionSchema.optional(),
        imageUrl: imageUrlSchema.optional(),
        priceCents: priceCentsSchema,
        currency: currencySchema,
        /** Units available; leave out for stock that is not tracked. */
        stock: stockSchema.nullable().optional(),
        active: z.boolean().default(true),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const brand = await requireBrandOwner(ctx.db, input.brandId, ctx.user.id);
      const count = await ctx.db.$count(products, eq(products.brandId, brand.id));
      if (count >= MAX_PRODUCTS_PER_BRAND) {
        throw new TRPCError({
          code: 'BAD_REQUEST',
          message: `A brand can have at most ${MAX_PRODUCTS_PER_BRAND} products; deactivate or reuse one.`,
        });
      }
      const [row] = await ctx.db
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
        })
        .returning();
      return productView(row!, brand);
    }),

  update: authedProcedure
    .input(
      z.object({
        productId: productIdSchema,
        title: titleSchema.optional(),
        /** null clears it. */
        description: descriptionSchema.nullable().optional(),
        imageUrl: imageUrlSchema.nullable().optional(),
        priceCents: priceCentsSchema.optional(),
        currency: currencySchema.optional(),
        /** null stops tracking stock. */
        stock: stockSchema.nullable().optional(),
        active: z.boolean().optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
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
      const [current] = await ctx.db
        .select({ brandId: products.brandId })
        .from(products)
        .where(eq(products.id, productId));
      if (!current) throw productNotFound();
      const brand = await requireBrandOwner(ctx.db, current.brandId, ctx.user.id);
      const [row] = await ctx.db
        .update(products)
        .set({ ...set, updatedAt: new Date() })
        .where(and(eq(products.id, productId), eq(products.brandId, brand.id)))
        .returning();
      if (!row) throw productNotFound();
      return productView(row, brand);
    }),

  /** Public: anyone sees a brand's products on sale; its owner also sees the inactive ones. */
  list: publicProcedure
    .input(z.object({ brandId: brandIdSchema }))
    .query(async ({ ctx, input }) => {
      const brand = await requireBrand(ctx.db, input.brandId);
      const owner = ctx.user?.id === brand.ownerId;
      const rows = await ctx.db
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
    }),

  /** Public: a product on sale (or any of one's own products). */
  get: publicProcedure
    .input(z.object({ productId: productIdSchema }))
    .query(async ({ ctx, input }) => {
      const [row] = await productsWithBrands(ctx.db, [input.productId]);
      if (!row || (!row.product.active && row.brand.ownerId !== ctx.user?.id))
        throw productNotFound();
      return productView(row.product, row.brand);
    }),
});
