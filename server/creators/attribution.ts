import { and, eq, gt, inArray, isNull, ne } from 'drizzle-orm';
import type { ResolvedClip } from '../clips/resolve';
import type { DbOrTx } from '../db/client';
import {
  brands,
  channelClaims,
  clipChannels,
  clipProducts,
  clips,
  creatorAccounts,
  products,
} from '../db/schema';

/** A creator a checkout is attributed to, with their commission. */
export interface Attribution {
  creatorId: string;
  /** The creator's Connect account, fixed on the order at checkout. */
  accountId: string;
  creatorCents: number;
}

/** The commission on `amount` at `bps` basis points, rounded down (in the brand's favour). */
export function commission(amount: number, bps: number): number {
  return Math.floor((amount * bps) / 10_000);
}

/**
 * Who earns a commission on a checkout that started from `clip`, decided from Kith's own data
 * only (the client says which clip, nothing more): each line whose product is tagged in that
 * clip by the clip's verified channel owner, where the owner is a person (the claim is not a
 * brand's, and the person does not own the product's brand), the tag still has their consent,
 * the product pays affiliates (`affiliateBps` > 0), and the creator has a Connect account that
 * can take transfers and payouts; and the buyer (`buyerId`, when signed in) is not the creator.
 * The commission is the sum over those lines, capped so that the brand's share is never
 * negative. Null when nobody earns anything.
 */
export async function attributeToCreator(
  db: DbOrTx,
  clip: ResolvedClip | undefined,
  lines: { productId: string; unitPriceCents: number; quantity: number }[],
  totalCents: number,
  feeCents: number,
  buyerId: string | null = null,
): Promise<Attribution | null> {
  if (!clip || clip.site === 'web') return null;
  const rows = await db
    .select({
      productId: clipProducts.productId,
      bps: products.affiliateBps,
      creatorId: channelClaims.userId,
      accountId: creatorAccounts.stripeAccountId,
    })
    .from(clips)
    .innerJoin(clipProducts, eq(clipProducts.clipRef, clips.id))
    .innerJoin(products, eq(products.id, clipProducts.productId))
    .innerJoin(brands, eq(brands.id, products.brandId))
    .innerJoin(clipChannels, eq(clipChannels.clipRef, clips.id))
    .innerJoin(
      channelClaims,
      and(
        eq(channelClaims.site, clipChannels.site),
        eq(channelClaims.handle, clipChannels.handle),
        eq(channelClaims.state, 'verified'),
        isNull(channelClaims.brandId),
      ),
    )
    .innerJoin(
      creatorAccounts,
      and(
        eq(creatorAccounts.userId, channelClaims.userId),
        eq(creatorAccounts.payoutsEnabled, true),
      ),
    )
    .where(
      and(
        eq(clips.site, clip.site),
        eq(clips.clipId, clip.clipId),
        inArray(
          clipProducts.productId,
          lines.map((l) => l.productId),
        ),
        eq(clipProducts.createdBy, channelClaims.userId),
        eq(clipProducts.consentBy, channelClaims.userId),
        ne(brands.ownerId, channelClaims.userId),
        gt(products.affiliateBps, 0),
      ),
    );
  if (rows.length === 0) return null;
  // A channel has one verified owner, so every row names the same creator.
  const { creatorId, accountId } = rows[0]!;
  // A creator's own purchase earns them nothing (a commission to oneself is a discount the
  // brand never offered).
  if (buyerId !== null && creatorId === buyerId) return null;
  let cents = 0;
  for (const row of rows) {
    const line = lines.find((l) => l.productId === row.productId);
    if (line) cents += commission(line.unitPriceCents * line.quantity, row.bps);
  }
  cents = Math.min(cents, totalCents - feeCents);
  if (cents <= 0) return null;
  return { creatorId, accountId, creatorCents: cents };
}
