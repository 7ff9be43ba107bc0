import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLimits } from '../../server/limits';
import { appRouter } from '../../server/router';
import { createCallerFactory, createContextInner } from '../../server/trpc';
import {
  countRows,
  makeBrand,
  makeProduct,
  newClientId,
  openShop,
  type Shop,
} from '../fixtures/commerce';
import { engines } from '../fixtures/db';
import { signUp, type TestUser } from '../fixtures/deps';

const LIMIT = 3;
const createCaller = createCallerFactory(appRouter);

describe.each(engines)('checkout abuse limit on %s', (engine) => {
  let shop: Shop;
  let owner: TestUser;
  let productId: string;

  /** A caller as the server builds it for a request from `ip`, signed in with `token` if given. */
  const from = async (ip: string, token?: string) =>
    createCaller(await createContextInner(shop.deps, { token: token ?? null, ip }));

  const buy = (api: Awaited<ReturnType<typeof from>>, clientId?: string) =>
    api.checkout.create({
      items: [{ productId, quantity: 1 }],
      ...(clientId ? { clientId } : {}),
    });

  const sessions = () => shop.fake.calls('POST', '/v1/checkout/sessions').length;

  beforeAll(async () => {
    shop = await openShop(engine);
    shop.deps.limits = createLimits({
      sends: 100_000,
      checkouts: LIMIT,
      checkoutWindowSeconds: 600,
    });
    owner = await signUp(shop.deps, 'limowner');
    const brand = await makeBrand(shop, owner, { name: 'Limited Co' });
    productId = (await makeProduct(owner, brand.id, { stock: null })).id;
  });
  afterAll(() => shop?.close());

  it('an address over the limit is refused with when to retry, and nothing is created', async () => {
    const guest = await from('203.0.113.10');
    for (let i = 0; i < LIMIT; i++) await buy(guest);
    const [orders, items, made] = [
      await countRows(shop, 'orders'),
      await countRows(shop, 'order_items'),
      sessions(),
    ];
    const error = await buy(guest, newClientId()).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'TOO_MANY_REQUESTS',
      message: expect.stringMatching(/Try again in \d+ s\.$/),
    });
    const seconds = Number(/in (\d+) s/.exec((error as Error).message)?.[1]);
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThanOrEqual(600);
    expect(await countRows(shop, 'orders')).toBe(orders);
    expect(await countRows(shop, 'order_items')).toBe(items);
    expect(sessions()).toBe(made);
  });

  it('another address is not affected', async () => {
    const blocked = await from('203.0.113.20');
    for (let i = 0; i < LIMIT; i++) await buy(blocked);
    await expect(buy(blocked)).rejects.toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    const other = await from('198.51.100.7');
    await expect(buy(other)).resolves.toMatchObject({ status: 'pending' });
  });

  it('a signed-in buyer is limited across addresses', async () => {
    const buyer = await signUp(shop.deps, 'limbuyer');
    for (let i = 0; i < LIMIT; i++) await buy(await from(`192.0.2.${i + 1}`, buyer.token));
    const orders = await countRows(shop, 'orders');
    await expect(buy(await from('192.0.2.99', buyer.token))).rejects.toMatchObject({
      code: 'TOO_MANY_REQUESTS',
    });
    expect(await countRows(shop, 'orders')).toBe(orders);
    // The refusal did not use up the fresh address's allowance.
    const guest = await from('192.0.2.99');
    for (let i = 0; i < LIMIT; i++) await buy(guest);
    await expect(buy(guest)).rejects.toMatchObject({ code: 'TOO_MANY_REQUESTS' });
  });

  it('retrying a checkout with its clientId is not counted again and is answered past the limit', async () => {
    const guest = await from('203.0.113.30');
    const clientId = newClientId();
    const first = await buy(guest, clientId);
    for (let i = 0; i < 5; i++) expect(await buy(guest, clientId)).toEqual(first);
    // Only the first attempt counted: LIMIT - 1 new checkouts still fit.
    for (let i = 0; i < LIMIT - 1; i++) await buy(guest);
    await expect(buy(guest)).rejects.toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    // Even now, the retry gets the same session back.
    expect(await buy(guest, clientId)).toEqual(first);
  });
});
