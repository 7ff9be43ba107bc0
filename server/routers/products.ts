import { z } from 'zod';
import { brandIdSchema, productIdSchema } from '../payments/catalog';
import { currencySchema, priceCentsSchema } from '../payments/money';
import { createProduct, getProduct, listProducts, updateProduct } from '../payments/products';
import { authedProcedure, publicProcedure, router } from '../trpc';

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
/** Creators' commission on sales from their clips, in basis points (0: no affiliates). */
export const MAX_AFFILIATE_BPS = 5000;
const affiliateBpsSchema = z
  .number({ message: 'affiliateBps must be a whole number of basis points' })
  .int('affiliateBps must be a whole number of basis points')
  .min(0, 'affiliateBps cannot be negative')
  .max(MAX_AFFILIATE_BPS, `affiliateBps can be at most ${MAX_AFFILIATE_BPS} (50%)`);
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
        /** A physical product: Checkout asks for a shipping address. */
        requiresShipping: z.boolean().default(true),
        /** Commission for creators who tag it on their clips, in basis points; 0 takes none. */
        affiliateBps: affiliateBpsSchema.default(0),
      }),
    )
    .mutation(({ ctx, input }) => createProduct(ctx.db, ctx.user.id, input)),

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
        requiresShipping: z.boolean().optional(),
        affiliateBps: affiliateBpsSchema.optional(),
      }),
    )
    .mutation(({ ctx, input }) => updateProduct(ctx.db, ctx.user.id, input)),

  /** Public: anyone sees a brand's products on sale; its owner also sees the inactive ones. */
  list: publicProcedure
    .input(z.object({ brandId: brandIdSchema }))
    .query(({ ctx, input }) => listProducts(ctx.db, ctx.user?.id, input.brandId)),

  /** Public: a product on sale (or any of one's own products). */
  get: publicProcedure
    .input(z.object({ productId: productIdSchema }))
    .query(({ ctx, input }) => getProduct(ctx.db, ctx.user?.id, input.productId)),
});
