import { sql } from 'drizzle-orm';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { HOLD_MS } from '../../server/payments/holds';
import {
  DEFAULT_SWEEP_MARGIN_MS,
  startSweeper,
  sweepStaleOrders,
} from '../../server/payments/sweeper';
import {
  orderRow,
  orderStatus,
  placePendingOrder,
  stockOf,
  useShopWithBrand,
} from '../fixtures/commerce';
import { engines } from '../fixtures/db';

const HOUR = 60 * 60 * 1000;

describe.each(engines)('sweeping stale pending orders on %s', (engine) => {
  const world = useShopWithBrand(engine, {
    owner: 'swowner',
    buyer: 'swbuyer',
    brand: 'Sweep & Co',
  });
  const pendingOrder = (stock: number | null = 10, quantity = 1) =>
    placePendingOrder(world, { stock, quantity });
  const statusOf = (orderId: string) => orderStatus(world.shop, orderId);

  /** Moves the order's creation, and its session's end, `ms` into the past. */
  async function age(orderId: string, ms: number) {
    await world.shop.database.db.execute(
      sql`update orders set created_at = created_at - make_interval(secs => ${ms / 1000}),
            expires_at = expires_at - make_interval(secs => ${ms / 1000}) where id = ${orderId}`,
    );
  }

  const stale = HOLD_MS + DEFAULT_SWEEP_MARGIN_MS + HOUR;

  it('expires a pending order past its session and margin; a fresh one and a paid one stay', async () => {
    const old = await pendingOrder();
    const fresh = await pendingOrder();
    const paid = await pendingOrder(10, 2);
    await world.shop.fake.pay(paid.sessionId);
    await age(old.orderId, stale);
    await age(paid.orderId, stale);
    // Past the session's end but inside the margin: Stripe's own webhook may still come.
    await age(fresh.orderId, HOLD_MS + DEFAULT_SWEEP_MARGIN_MS / 2);

    const result = await sweepStaleOrders(world.shop.database.db);
    expect(result.orderIds).toContain(old.orderId);
    expect(result.orderIds).not.toContain(fresh.orderId);
    expect(result.orderIds).not.toContain(paid.orderId);
    expect(result.expired).toBe(result.orderIds.length);
    expect(await statusOf(old.orderId)).toBe('expired');
    expect(await statusOf(fresh.orderId)).toBe('pending');
    expect(await statusOf(paid.orderId)).toBe('paid');
    expect(await stockOf(world.shop, paid.productId)).toBe(8);
    const view = await world.buyer.api.orders.get({ orderId: old.orderId });
    expect(view).toMatchObject({ status: 'expired', checkoutUrl: null });
    expect(view.closedAt).not.toBeNull();
  });

  it('the given "now" decides what is stale', async () => {
    const order = await pendingOrder();
    const result = await world.shop.database.db.execute<{ ms: number }>(
      sql`select (extract(epoch from expires_at) * 1000)::float8 as ms from orders where id = ${order.orderId}`,
    );
    // The session's own end (the stock hold's), plus the margin.
    const edge = Number(result.rows[0]?.ms) + DEFAULT_SWEEP_MARGIN_MS;
    const before = await sweepStaleOrders(world.shop.database.db, { now: new Date(edge - 1000) });
    expect(before.orderIds).not.toContain(order.orderId);
    expect(await statusOf(order.orderId)).toBe('pending');
    const after = await sweepStaleOrders(world.shop.database.db, { now: new Date(edge + 1000) });
    expect(after.orderIds).toContain(order.orderId);
    expect(await statusOf(order.orderId)).toBe('expired');
  });

  it('running again changes nothing more', async () => {
    const order = await pendingOrder();
    await age(order.orderId, stale);
    expect((await sweepStaleOrders(world.shop.database.db)).orderIds).toContain(order.orderId);
    const first = await orderRow(world.shop, order.orderId);
    const again = await sweepStaleOrders(world.shop.database.db);
    expect(again).toEqual({ expired: 0, orderIds: [] });
    expect(await orderRow(world.shop, order.orderId)).toEqual(first);
  });

  it('two sweeps at once expire each order exactly once', async () => {
    const batch = [await pendingOrder(), await pendingOrder(), await pendingOrder()];
    for (const o of batch) await age(o.orderId, stale);
    const runs = await Promise.all([
      sweepStaleOrders(world.shop.database.db),
      sweepStaleOrders(world.shop.database.db),
    ]);
    const swept = runs
      .flatMap((r) => r.orderIds)
      .filter((id) => batch.some((o) => o.orderId === id));
    expect(swept.sort()).toEqual(batch.map((o) => o.orderId).sort());
    for (const o of batch) expect(await statusOf(o.orderId)).toBe('expired');
  });

  it('an order whose session completed and awaits an asynchronous payment is left alone', async () => {
    const order = await pendingOrder();
    await world.shop.fake.pay(order.sessionId, { async: true });
    expect(await statusOf(order.orderId)).toBe('pending');
    await age(order.orderId, stale);
    expect((await sweepStaleOrders(world.shop.database.db)).orderIds).not.toContain(order.orderId);
    expect(await statusOf(order.orderId)).toBe('pending');
  });

  it('a late checkout.session.completed for a swept order marks it paid: money moved wins', async () => {
    const order = await pendingOrder(5, 2);
    await age(order.orderId, stale);
    await sweepStaleOrders(world.shop.database.db);
    expect(await statusOf(order.orderId)).toBe('expired');
    // The buyer had paid in time; the webhook arrives only now.
    const events = await world.shop.fake.pay(order.sessionId);
    expect(events.map((e) => e.type)).toContain('checkout.session.completed');
    expect(
      world.shop.fake.deliveries.filter((d) => events.includes(d.event)).map((d) => d.status),
    ).toEqual(events.map(() => 200));
    const row = await orderRow(world.shop, order.orderId);
    expect(row?.status).toBe('paid');
    expect(row?.paid_at).not.toBeNull();
    expect(await stockOf(world.shop, order.productId)).toBe(3);
    // Stripe was asked before the order was revived.
    expect(world.shop.fake.calls('GET', `/v1/checkout/sessions/${order.sessionId}`).length).toBe(1);
    // Redelivered, nothing more happens; and the sweeper never touches a paid order.
    for (const event of events) await world.shop.fake.deliver(event);
    await sweepStaleOrders(world.shop.database.db);
    expect(await statusOf(order.orderId)).toBe('paid');
    expect(await stockOf(world.shop, order.productId)).toBe(3);
    expect((await world.buyer.api.orders.get({ orderId: order.orderId })).closedAt).toBeNull();
  });

  it('the periodic sweeper sweeps on demand, logs how many, and stops', async () => {
    const order = await pendingOrder();
    await age(order.orderId, stale);
    const lines: { msg: string; expired?: number }[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const sweeper = startSweeper({ db: world.shop.database.db, log }, { firstRunMs: 3_600_000 });
    const expired = await sweeper.runOnce();
    await sweeper.stop();
    expect(expired).toBeGreaterThanOrEqual(1);
    expect(await statusOf(order.orderId)).toBe('expired');
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'expired stale pending orders', expired }),
    );
  });
});
