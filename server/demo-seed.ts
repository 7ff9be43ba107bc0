import { randomBytes } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { and, eq, sql } from 'drizzle-orm';
import { newClaimCode } from './channels/claims';
import { brands, channelClaims, products } from './db/schema';
import type { Deps } from './deps';
import { appRouter } from './router';
import { createCallerFactory, createContextInner } from './trpc';

/**
 * On an empty database, a demo brand with three products tagged to a clip, so `/demo` and the
 * console show the widget kit working at once. Idempotent: a database that already has the demo
 * brand only gets its image links refreshed; one with any other data is left alone. Everything
 * goes through the real procedures (validation, ownership), except the image links: they point
 * at this server's own `/demo/assets/`, which may be plain http on a laptop.
 */

export const DEMO_SLUG = 'kith-demo';
/** The clip the demo products are tagged to (the demo page plays a local video for it). */
export const DEMO_CLIP = 'https://www.tiktok.com/@kithdemo/video/7300000000000000001';
/** The demo brand's own channel, verified by the seed, so its tags show to viewers. */
export const DEMO_CHANNEL = { site: 'tiktok', handle: 'kithdemo' } as const;

export const DEMO_PRODUCTS = [
  {
    key: 'tote',
    title: 'Canvas tote',
    description: 'Heavy organic cotton, inside pocket, carries a week of groceries.',
    priceCents: 2800,
    stock: 40,
    from: 0,
    to: 5,
  },
  {
    key: 'cap',
    title: 'Corduroy cap',
    description: 'Six panels, brass buckle, one size.',
    priceCents: 3200,
    stock: 25,
    from: 3,
    to: 9,
  },
  {
    key: 'mug',
    title: 'Stoneware mug',
    description: 'Hand-glazed, 350 ml, dishwasher safe.',
    priceCents: 1900,
    stock: null,
    from: 7,
    to: undefined,
  },
] as const;

/** Where the demo brand ships. */
export const DEMO_SHIPPING_COUNTRIES = ['US', 'CA', 'GB', 'DE', 'FR', 'NL', 'AU'];

export type DemoKey = (typeof DEMO_PRODUCTS)[number]['key'];

export interface DemoCatalog {
  brandId: string;
  brandName: string;
  /** Product ids by key, in DEMO_PRODUCTS order. */
  products: Partial<Record<DemoKey, string>>;
  clip: string;
}

const caller = createCallerFactory(appRouter);

const imageUrl = (publicUrl: string, key: string) =>
  `${publicUrl.replace(/\/+$/, '')}/demo/assets/${key}.svg`;

/** The demo brand's catalog, if the demo was seeded. */
export async function demoCatalog(db: Deps['db']): Promise<DemoCatalog | null> {
  const [brand] = await db
    .select({ id: brands.id, name: brands.name })
    .from(brands)
    .where(eq(brands.slug, DEMO_SLUG));
  if (!brand) return null;
  const rows = await db
    .select({ id: products.id, title: products.title })
    .from(products)
    .where(and(eq(products.brandId, brand.id), eq(products.active, true)));
  const ids: DemoCatalog['products'] = {};
  for (const p of DEMO_PRODUCTS) {
    const row = rows.find((r) => r.title === p.title);
    if (row) ids[p.key] = row.id;
  }
  return { brandId: brand.id, brandName: brand.name, products: ids, clip: DEMO_CLIP };
}

async function refreshImages(deps: Pick<Deps, 'db' | 'env'>, brandId: string) {
  for (const p of DEMO_PRODUCTS) {
    await deps.db
      .update(products)
      .set({ imageUrl: imageUrl(deps.env.PUBLIC_URL, p.key) })
      .where(and(eq(products.brandId, brandId), eq(products.title, p.title)));
  }
}

/**
 * Makes the demo channel the demo brand's, verified, unless someone already owns it. The seed
 * cannot put a code in a real bio, so it writes the verified claim itself.
 */
async function verifyDemoChannel(db: Deps['db'], brandId: string) {
  const [brand] = await db
    .select({ ownerId: brands.ownerId })
    .from(brands)
    .where(eq(brands.id, brandId));
  if (!brand) return;
  await db
    .insert(channelClaims)
    .values({
      userId: brand.ownerId,
      brandId,
      ...DEMO_CHANNEL,
      code: newClaimCode(),
      state: 'verified',
      verifiedAt: new Date(),
    })
    .onConflictDoNothing();
}

export type SeedResult = 'seeded' | 'present' | 'skipped';

export async function seedDemo(deps: Deps): Promise<SeedResult> {
  const existing = await demoCatalog(deps.db);
  if (existing) {
    await refreshImages(deps, existing.brandId);
    await verifyDemoChannel(deps.db, existing.brandId);
    return 'present';
  }
  const { rows } = await deps.db.execute<{ n: number }>(
    sql`select (select count(*) from users)::int + (select count(*) from brands)::int as n`,
  );
  if (Number(rows[0]?.n) > 0) return 'skipped';

  try {
    const anon = caller(await createContextInner(deps));
    // Nobody signs in as the demo owner: its password is thrown away.
    const { token } = await anon.auth.register({
      handle: 'kith_demo',
      password: randomBytes(24).toString('base64url'),
      displayName: 'Kith demo',
    });
    const owner = caller(await createContextInner(deps, { token }));
    const brand = await owner.brands.create({ name: 'Kith Demo Goods', slug: DEMO_SLUG });
    // It ships to a few countries, and the demo page (this server) may be returned to.
    await owner.brands.update({
      brandId: brand.id,
      shippingCountries: DEMO_SHIPPING_COUNTRIES,
      allowedOrigins: [new URL(deps.env.PUBLIC_URL).origin],
    });
    await verifyDemoChannel(deps.db, brand.id);
    for (const p of DEMO_PRODUCTS) {
      const product = await owner.products.create({
        brandId: brand.id,
        title: p.title,
        description: p.description,
        priceCents: p.priceCents,
        currency: 'USD',
        stock: p.stock,
      });
      await owner.shop.tag({
        brandId: brand.id,
        url: DEMO_CLIP,
        productId: product.id,
        fromSeconds: p.from,
        ...(p.to === undefined ? {} : { toSeconds: p.to }),
      });
    }
    await owner.auth.logout();
    await refreshImages(deps, brand.id);
    return 'seeded';
  } catch (error) {
    // Another instance seeding the same empty database at the same moment won the race.
    if (error instanceof TRPCError && error.code === 'CONFLICT')
      return (await demoCatalog(deps.db)) ? 'present' : 'skipped';
    throw error;
  }
}
