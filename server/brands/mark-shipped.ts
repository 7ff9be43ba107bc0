import { TRPCError } from '@trpc/server';
import { eq } from 'drizzle-orm';
import { isBlockedEitherWay } from '../access';
import { brands, orders } from '../db/schema';
import type { Deps } from '../deps';
import { transact } from '../events';
import { insertMessage } from '../messages/store-message';
import { advanceOrder, lockOrder, orderViews } from '../payments/orders';
import { openBrandThread } from './ask-brand';

/** Tracking pages of the carriers brands use most; any other carrier may give its own link. */
const CARRIERS: Record<string, { name: string; url: (n: string) => string }> = {
  ups: { name: 'UPS', url: (n) => `https://www.ups.com/track?tracknum=${n}` },
  usps: { name: 'USPS', url: (n) => `https://tools.usps.com/go/TrackConfirmAction?tLabels=${n}` },
  fedex: { name: 'FedEx', url: (n) => `https://www.fedex.com/fedextrack/?trknbr=${n}` },
  dhl: {
    name: 'DHL',
    url: (n) =>
      `https://www.dhl.com/global-en/home/tracking/tracking-express.html?tracking-id=${n}`,
  },
  'royal mail': {
    name: 'Royal Mail',
    url: (n) => `https://www.royalmail.com/track-your-item#/tracking-results/${n}`,
  },
};

export interface MarkShippedInput {
  orderId: string;
  carrier: string;
  trackingNumber: string;
  /** For a carrier Kith does not know: its https tracking page for this parcel. */
  trackingUrl?: string | undefined;
}

const notYours = () =>
  new TRPCError({ code: 'NOT_FOUND', message: 'No such order, or it is not yours to see.' });

/** The carrier's name as shown and the tracking link for the parcel. */
export function trackingFor(input: MarkShippedInput) {
  const known = CARRIERS[input.carrier.trim().toLowerCase()];
  const number = encodeURIComponent(input.trackingNumber);
  return {
    carrier: known?.name ?? input.carrier.trim(),
    trackingUrl: input.trackingUrl ?? known?.url(number) ?? null,
  };
}

/**
 * `orders.markShipped`: the brand's owner marks a paid order shipped (forward only) and, in the
 * same transaction, tells a signed-in buyer in their thread with the brand, with the tracking
 * link. Marking it again with the same parcel answers the order as it is; anything else about a
 * shipped order is a CONFLICT.
 */
export async function markShipped(
  deps: Pick<Deps, 'db' | 'bus'>,
  userId: string,
  input: MarkShippedInput,
) {
  const [row] = await deps.db
    .select({ order: orders, brand: brands })
    .from(orders)
    .innerJoin(brands, eq(brands.id, orders.brandId))
    .where(eq(orders.id, input.orderId));
  if (!row || row.brand.ownerId !== userId) throw notYours();
  const { order, brand } = row;
  const { carrier, trackingUrl } = trackingFor(input);
  const same = (o: typeof order) =>
    o.status === 'shipped' && o.carrier === carrier && o.trackingNumber === input.trackingNumber;
  if (same(order)) return (await orderViews(deps.db, [order], 'brand'))[0]!;
  if (order.status !== 'paid')
    throw new TRPCError({
      code: 'CONFLICT',
      message:
        order.status === 'shipped'
          ? 'This order is already marked shipped with another parcel.'
          : `Only a paid order can be shipped; this one is ${order.status}.`,
    });
  // A guest has no Kith thread (the brand emails them); a buyer who blocked the brand gets none.
  const buyerId = order.buyerId;
  const tell =
    buyerId && buyerId !== userId && !(await isBlockedEitherWay(deps.db, buyerId, userId));
  const groupId = tell && buyerId ? await openBrandThread(deps, brand, buyerId, userId) : null;

  const updated = await transact(deps, async (tx, emit) => {
    const locked = await lockOrder(tx, order.id);
    if (!locked) throw notYours();
    if (same(locked)) return locked;
    const moved = await advanceOrder(tx, locked, 'shipped', {
      carrier,
      trackingNumber: input.trackingNumber,
      trackingUrl,
      shippedAt: new Date(),
    });
    if (!moved.changed)
      throw new TRPCError({
        code: 'CONFLICT',
        message: `Only a paid order can be shipped; this one is ${locked.status}.`,
      });
    if (groupId) {
      const items = await orderViews(tx, [locked], 'buyer');
      const what = items[0]?.items.map((i) => `${i.title} × ${i.quantity}`).join(', ') ?? '';
      await insertMessage(tx, emit, {
        groupId,
        senderId: userId,
        // One shipping note per order, however often this is retried.
        clientId: `shipped-${order.id}`.slice(0, 64),
        kind: 'text',
        body:
          `Your order from ${brand.name} has shipped (${what}). ` +
          `${carrier} tracking number ${input.trackingNumber}` +
          (trackingUrl ? `: ${trackingUrl}` : '.'),
      });
    }
    const [after] = await tx.select().from(orders).where(eq(orders.id, order.id));
    return after!;
  });
  return (await orderViews(deps.db, [updated], 'brand'))[0]!;
}
