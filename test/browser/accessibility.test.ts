/**
 * Accessibility with axe-core in one Chromium (the built extension loaded): the popup signed
 * out and in, light and dark; the overlay's panels and shop strip on the TikTok fixture clip;
 * every brand console tab; /demo with every widget; the invite, checkout and home pages. Each
 * check fails on any serious or critical violation and lists them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { seedDemo } from '../../server/demo-seed';
import type { Deps } from '../../server/deps';
import { homeRoutes } from '../../server/pages/home';
import { buildPages, buildWidgets } from '../../widgets/build';
import { type FakeStripe, startFakeStripe } from '../fakes/stripe';
import { expectNoSeriousViolations } from '../fixtures/axe';
import {
  buildExtension,
  chromiumPath,
  type FixtureServer,
  type KithBrowser,
  launchBrowser,
  openOverlayTab,
  overlayOf,
  sharedSetup,
  signIn,
  startFixtureServer,
  startWidgetServer,
} from '../fixtures/browser';
import { ownChannelOnce } from '../fixtures/channels';
import { makeBrand, makeProduct, type Shop } from '../fixtures/commerce';
import { openTestDatabase, type TestDatabase } from '../fixtures/db';
import { befriend, makeDeps, signUp, type TestUser } from '../fixtures/deps';

const PASSWORD = 'correct horse battery';
const CLIP_PAGE = '/@scout2015/video/7301234567890123451';
const CLIP_URL = 'https://www.tiktok.com/@scout2015/video/7301234567890123451';

interface World {
  browser: KithBrowser;
  fixtures: FixtureServer;
  server: RunningServer;
  deps: Deps;
  ana: TestUser;
  owner: TestUser;
  orderId: string;
}

let dist: string | undefined;
let database: TestDatabase | undefined;
let fake: FakeStripe | undefined;
let fixturesOpen: FixtureServer | undefined;
let serverOpen: RunningServer | undefined;
let browserOpen: KithBrowser | undefined;

const world = sharedSetup(async (): Promise<World> => {
  chromiumPath();
  dist = await mkdtemp(path.join(os.tmpdir(), 'kith-a11y-'));
  const [extensionDir, fixtures] = await Promise.all([
    buildExtension(),
    startFixtureServer(),
    buildWidgets(path.join(dist, 'widgets')),
    buildPages(path.join(dist, 'console')),
  ]);
  fixturesOpen = fixtures;
  database = await openTestDatabase('pglite');
  fake = await startFakeStripe();
  const deps = makeDeps(database.db);
  const server = await startWidgetServer(deps, fake, dist, [homeRoutes(deps)]);
  serverOpen = server;
  await seedDemo(deps);

  const ana = await signUp(deps, 'Ana');
  const ben = await signUp(deps, 'Ben');
  const owner = await signUp(deps, 'Owner');
  await befriend(ana, ben);
  const group = await ana.api.groups.create({ name: 'Roommates', memberIds: [ben.id] });
  // Chat: one of Ana's own messages and one of Ben's at a moment of the clip.
  await ana.api.messages.send({
    groupId: group.id,
    clientId: 'a11y-ana-1',
    body: 'Scout is a natural',
    clip: { url: CLIP_URL },
  });
  await ben.api.messages.send({
    groupId: group.id,
    clientId: 'a11y-ben-1',
    body: 'the kickflip at the end!',
    clip: { url: CLIP_URL },
    atSeconds: 1,
  });
  // The shop strip: a selling brand with a product tagged on the clip.
  const brand = await makeBrand({ fake } as Shop, owner, { name: 'Grip Co' });
  const wax = await makeProduct(owner, brand.id, { title: 'Skate wax', priceCents: 1250 });
  await ownChannelOnce(deps, owner, CLIP_URL, brand.id);
  await owner.api.shop.tag({ brandId: brand.id, url: CLIP_URL, productId: wax.id });
  const order = await ana.api.checkout.create({
    items: [{ productId: wax.id, quantity: 1 }],
    source: { url: CLIP_URL },
  });

  const browser = await launchBrowser({ extensionDir, fixtures });
  browserOpen = browser;
  return { browser, fixtures, server, deps, ana, owner, orderId: order.orderId };
});

beforeAll(world.start);

afterAll(async () => {
  await world.settled();
  await browserOpen?.close();
  await serverOpen?.close();
  await fake?.close();
  await database?.close();
  await fixturesOpen?.close();
  if (dist) await rm(dist, { recursive: true, force: true });
});

/** Waits until no "Loading…" is left on the page. */
async function loaded(page: Page): Promise<void> {
  await page.waitForFunction(() => !document.body?.textContent?.includes('Loading…'));
}

async function popupChecks(page: Page, signedIn: boolean): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await page.reload();
    if (signedIn) await page.getByRole('tab', { name: 'Inbox' }).waitFor();
    else await page.getByLabel('Password').first().waitFor();
    await loaded(page);
    if (!signedIn) {
      await expectNoSeriousViolations(page, `the popup, signed out (${colorScheme})`);
      continue;
    }
    for (const tab of ['Inbox', 'Friends', 'Orders', 'This site', 'Account']) {
      await page.getByRole('tab', { name: tab }).click();
      await loaded(page);
      await expectNoSeriousViolations(page, `the popup's ${tab} panel (${colorScheme})`);
    }
  }
}

describe('accessibility', () => {
  it('the popup is usable with assistive technology, signed out and signed in, light and dark', async () => {
    const { browser, server, ana } = await world.get();
    const page = await browser.openExtensionPage('popup.html');
    await popupChecks(page, false);
    await signIn(browser, ana, server.url, PASSWORD);
    await popupChecks(page, true);
    await page.close();
  });

  it('the overlay’s share, chat and friends panels and its shop strip are accessible, light and dark', async () => {
    const { browser, fixtures } = await world.get();
    const page = await browser.context.newPage();
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      await page.goto(fixtures.url('www.tiktok.com', CLIP_PAGE));
      const o = overlayOf(page);
      await o.host
        .locator('.kith-shop-strip')
        .getByRole('button', { name: /Skate wax/ })
        .waitFor({
          timeout: 15_000,
        });
      await expectNoSeriousViolations(
        page,
        `the overlay's dock and shop strip (${colorScheme})`,
        'kith-overlay',
      );
      await openOverlayTab(page, 'Share');
      await o.panel.getByLabel('Roommates').waitFor();
      await expectNoSeriousViolations(
        page,
        `the overlay's Share panel (${colorScheme})`,
        'kith-overlay',
      );
      await openOverlayTab(page, 'Chat');
      await o.messages.filter({ hasText: 'the kickflip at the end!' }).waitFor();
      await expectNoSeriousViolations(
        page,
        `the overlay's Chat panel (${colorScheme})`,
        'kith-overlay',
      );
      await openOverlayTab(page, 'Friends');
      await expectNoSeriousViolations(
        page,
        `the overlay's Friends panel (${colorScheme})`,
        'kith-overlay',
      );
      await o.host
        .locator('.kith-shop-strip')
        .getByRole('button', { name: /Skate wax/ })
        .click();
      await o.host.locator('.kith-product.is-open').waitFor();
      await expectNoSeriousViolations(
        page,
        `the overlay's product card (${colorScheme})`,
        'kith-overlay',
      );
    }
    await page.close();
  });

  it('every tab of the brand console is accessible, and its sign-in page', async () => {
    const { browser, server, owner } = await world.get();
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/console`);
    await page.getByLabel('Password').waitFor();
    await expectNoSeriousViolations(page, 'the console sign-in');
    await page.evaluate((token) => localStorage.setItem('kith:token', token), owner.token);
    for (const tab of ['products', 'clips', 'embed', 'orders', 'inbox', 'stripe']) {
      await page.goto(`${server.url}/console#${tab}`);
      await page.reload();
      await page.getByRole('navigation', { name: 'Console sections' }).waitFor();
      await loaded(page);
      await page.waitForLoadState('networkidle');
      await expectNoSeriousViolations(page, `the console's ${tab} tab`);
    }
    await page.close();
  });

  it('the demo page and every widget on it are accessible, with the video’s product and the cart open', async () => {
    const { browser, server } = await world.get();
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/demo`);
    await page.locator('kith-shop-button [part="price"]').waitFor();
    await page.locator('kith-product-card [part="title"]').first().waitFor();
    await page.locator('kith-shoppable-video [part="chip"]').first().waitFor();
    await page.locator('kith-share-button [part="button"]').waitFor();
    await expectNoSeriousViolations(page, '/demo');
    await page.locator('kith-shoppable-video [part="chip"]').first().click();
    await page
      .locator('kith-shoppable-video [part="panel"] kith-product-card [part="title"]')
      .waitFor();
    await page.locator('kith-cart [part="toggle"]').click();
    await expectNoSeriousViolations(page, '/demo with the video’s product and the cart open');
    await page.close();
  });

  it('the invite, checkout success and cancel, and home pages are accessible', async () => {
    const { browser, server, ana, orderId } = await world.get();
    const invite = await ana.api.friends.createInvite();
    const page = await browser.context.newPage();
    for (const [what, url] of [
      ['the invite page', `${server.url}/invite/${invite.code}`],
      ['the checkout success page', `${server.url}/checkout/success?order=${orderId}`],
      ['the checkout cancel page', `${server.url}/checkout/cancel?order=${orderId}`],
      ['the home page', `${server.url}/`],
    ] as const) {
      await page.goto(url);
      await page.waitForLoadState('networkidle');
      await loaded(page);
      await expectNoSeriousViolations(page, what);
    }
    await page.close();
  });
});
