/**
 * Buying from the overlay, end to end: a brand sells through the loopback fake Stripe, a viewer
 * on the TikTok fixture clip (served as https://www.tiktok.com/…) sees the shop strip, buys from
 * the product card in a new Checkout tab, pays, and both sides see the paid order. A product
 * shared into a group and bought by a friend from the chat card carries the group.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildExtension,
  chromiumPath,
  type FixtureServer,
  type KithBrowser,
  launchBrowserPair,
  overlayOf,
  screenshot,
  sharedSetup,
  signInEach,
  startFixtureServer,
} from '../fixtures/browser';
import { ownChannelOnce } from '../fixtures/channels';
import { makeBrand, makeProduct, openShop, type Shop } from '../fixtures/commerce';
import { befriend, signUp, type TestUser } from '../fixtures/deps';

const PASSWORD = 'correct horse battery';
const CLIP_PAGE = '/@scout2015/video/7301234567890123451';
const CLIP_URL = 'https://www.tiktok.com/@scout2015/video/7301234567890123451';

/** The harness's overlay parts, plus the shop strip and the open product card. */
function overlay(page: Page) {
  const o = overlayOf(page);
  return {
    ...o,
    strip: o.host.locator('.kith-shop-strip'),
    card: o.host.locator('.kith-product.is-open'),
  };
}

/** Clicks Buy, follows the Checkout tab it opens, pays there and waits for the success page. */
async function buyAndPay(context: BrowserContext, click: () => Promise<void>, shop: Shop) {
  const [checkout] = await Promise.all([
    context.waitForEvent('page', { timeout: 15_000 }),
    click(),
  ]);
  await checkout.waitForLoadState('domcontentloaded');
  expect(checkout.url().startsWith(shop.fake.url)).toBe(true);
  await checkout.locator('#pay').click();
  await checkout.waitForURL((url) => url.href.startsWith(shop.server.url), { timeout: 15_000 });
  return checkout;
}

describe('buying a product tagged in a clip, from the overlay', () => {
  let fixtures: FixtureServer;
  let shop: Shop;
  let extensionDir: string;
  let owner: TestUser;
  let ana: TestUser;
  let ben: TestUser;
  let groupId: string;
  let brandId: string;
  let productId: string;
  let anaBrowser: KithBrowser;
  let benBrowser: KithBrowser;

  const world = sharedSetup(async () => {
    chromiumPath();
    [extensionDir, fixtures, shop] = await Promise.all([
      buildExtension(),
      startFixtureServer(),
      openShop('pglite'),
    ]);
    owner = await signUp(shop.deps, 'Owner');
    ana = await signUp(shop.deps, 'Ana');
    ben = await signUp(shop.deps, 'Ben');
    await befriend(ana, ben);
    groupId = (await ana.api.groups.create({ name: 'Skaters', memberIds: [ben.id] })).id;

    // The brand: created, connected (fake onboarding → account.updated webhook), one product
    // shown for the whole clip and one only from 0:30, long after this two-second clip ends.
    const brand = await makeBrand(shop, owner, { name: 'Grip Co' });
    brandId = brand.id;
    const wax = await makeProduct(owner, brandId, { title: 'Skate wax', priceCents: 1250 });
    productId = wax.id;
    const deck = await makeProduct(owner, brandId, { title: 'Pro deck', priceCents: 8900 });
    // The clip is on the brand's own verified channel, so its tags show to viewers.
    await ownChannelOnce(shop.deps, owner, CLIP_URL, brandId);
    await owner.api.shop.tag({ brandId, url: CLIP_URL, productId });
    await owner.api.shop.tag({
      brandId,
      url: CLIP_URL,
      productId: deck.id,
      fromSeconds: 30,
      toSeconds: 40,
    });

    [anaBrowser, benBrowser] = await launchBrowserPair({ extensionDir, fixtures });
    await signInEach(
      [
        [anaBrowser, ana],
        [benBrowser, ben],
      ],
      shop.server.url,
      PASSWORD,
    );
  });
  beforeAll(world.start);

  afterAll(async () => {
    await Promise.all([anaBrowser?.close(), benBrowser?.close()]);
    await shop?.close();
    await fixtures?.close();
  });

  it('Ana sees the shop strip, buys through Checkout, and the order is paid for her and the brand', async () => {
    await world.get();
    const page = await anaBrowser.context.newPage();
    await page.goto(fixtures.url('www.tiktok.com', CLIP_PAGE));
    const view = overlay(page);
    const chip = view.strip.getByRole('button', { name: /Skate wax/ });
    await chip.waitFor({ timeout: 15_000 });
    // The deck is tagged for 0:30–0:40 only.
    expect(await view.strip.getByRole('button', { name: /Pro deck/ }).count()).toBe(0);
    await chip.click();
    await view.card.waitFor();
    expect(await view.card.locator('.kith-product-title').textContent()).toBe('Skate wax');
    expect(await view.card.locator('.kith-product-price').textContent()).toBe(
      new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD' }).format(12.5),
    );
    await screenshot(page, 'tiktok-shop-card');

    const checkout = await buyAndPay(
      anaBrowser.context,
      () => view.card.getByRole('button', { name: 'Buy' }).click(),
      shop,
    );
    await view.card.getByText('Checkout opened in a new tab').waitFor();

    await expect
      .poll(async () => (await ana.api.orders.list({})).orders.map((o) => o.status), {
        timeout: 15_000,
      })
      .toEqual(['paid']);
    const [order] = (await ana.api.orders.list({})).orders;
    expect(order).toMatchObject({
      totalCents: 1250,
      currency: 'USD',
      items: [{ productId, quantity: 1, title: 'Skate wax' }],
      source: { url: CLIP_URL, groupId: null },
    });
    const sales = await owner.api.brands.orders({ brandId });
    expect(sales.orders.map((o) => [o.id, o.status, o.source.url])).toEqual([
      [order!.id, 'paid', CLIP_URL],
    ]);

    // The popup's Orders tab lists it as paid.
    const popup = await anaBrowser.openExtensionPage('popup.html');
    await popup.getByRole('tab', { name: 'Orders' }).click();
    await popup.locator('.order').filter({ hasText: 'Skate wax' }).getByText(/Paid/).waitFor();
    await Promise.all([checkout.close(), popup.close(), page.close()]);
  });

  it('Ana shares the product to Skaters; Ben buys it from the chat card, credited to the group', async () => {
    await world.get();
    const anaPage = await anaBrowser.context.newPage();
    await anaPage.goto(fixtures.url('www.tiktok.com', CLIP_PAGE));
    const anaView = overlay(anaPage);
    await anaView.strip.getByRole('button', { name: /Skate wax/ }).click();
    await anaView.card.getByRole('button', { name: 'Share to group' }).click();
    await anaView.card.getByRole('combobox', { name: 'Group' }).selectOption({ label: 'Skaters' });
    await anaView.card.getByRole('button', { name: 'Share', exact: true }).click();
    await anaView.card.getByText('Shared to Skaters.').waitFor();

    // Ask the brand, from the same card: the question lands in Ana's thread with Grip Co.
    await anaView.card.getByRole('button', { name: 'Ask the brand' }).click();
    await anaView.card
      .getByRole('textbox', { name: 'Question for Grip Co' })
      .fill('Does it work on rails?');
    await anaView.card.getByRole('button', { name: 'Send question' }).click();
    await anaView.card.getByText(/Sent to Grip Co/).waitFor();
    const threads = await owner.api.brands.threads({ brandId });
    expect(JSON.stringify(threads)).toContain('Does it work on rails?');

    const benPage = await benBrowser.context.newPage();
    await benPage.goto(fixtures.url('www.tiktok.com', CLIP_PAGE));
    const benView = overlay(benPage);
    await benView.dock.waitFor({ state: 'visible', timeout: 15_000 });
    await benView.dock.click();
    await benView.panel.getByRole('tab', { name: 'Chat' }).click();
    const card = benView.messages.locator('.kith-product.is-message');
    await card.getByText('Skate wax').waitFor({ timeout: 15_000 });
    await screenshot(benPage, 'tiktok-chat-product');

    const checkout = await buyAndPay(
      benBrowser.context,
      () => card.getByRole('button', { name: 'Buy' }).click(),
      shop,
    );
    await expect
      .poll(async () => (await ben.api.orders.list({})).orders.map((o) => o.status), {
        timeout: 15_000,
      })
      .toEqual(['paid']);
    const [listed] = (await ben.api.orders.list({})).orders;
    const order = await ben.api.orders.get({ orderId: listed!.id });
    expect(order.source).toMatchObject({ groupId, url: CLIP_URL });
    const sale = await owner.api.orders.get({ orderId: listed!.id });
    expect(sale).toMatchObject({ status: 'paid', source: { groupId } });
    await Promise.all([checkout.close(), anaPage.close(), benPage.close()]);
  });
});
