/**
 * `npm run screenshots`: drives the real extension, console and widgets in Chromium (the
 * browser-test harness in test/fixtures/browser.ts: fixture TikTok pages, a live server on
 * PGlite seeded with the demo brand, two friends) and writes the README's screenshots to
 * docs/screenshots/ and the store images (1280×800) to docs/store/.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { DEMO_CLIP, seedDemo } from '../server/demo-seed';
import { homeRoutes } from '../server/pages/home';
import { startFakeStripe } from '../test/fakes/stripe';
import {
  buildExtension,
  launchBrowser,
  openOverlayTab,
  overlayOf,
  repoRoot,
  signIn,
  startFixtureServer,
  startWidgetServer,
} from '../test/fixtures/browser';
import { openTestDatabase } from '../test/fixtures/db';
import { befriend, makeDeps, signUp } from '../test/fixtures/deps';
import { buildPages, buildWidgets } from '../widgets/build';

const PASSWORD = 'correct horse battery';
const shots = path.join(repoRoot, 'docs/screenshots');
const store = path.join(repoRoot, 'docs/store');
const clipPath = new URL(DEMO_CLIP).pathname;

async function settle(page: Page): Promise<void> {
  await page.waitForLoadState('networkidle').catch(() => {});
  // Caret blink and transitions end before the picture is taken.
  await page.waitForTimeout(400);
}

async function main(): Promise<void> {
  await Promise.all([mkdir(shots, { recursive: true }), mkdir(store, { recursive: true })]);
  const dist = await mkdtemp(path.join(os.tmpdir(), 'kith-shots-'));
  const [extensionDir, fixtures] = await Promise.all([
    buildExtension(),
    startFixtureServer(),
    buildWidgets(path.join(dist, 'widgets')),
    buildPages(path.join(dist, 'console')),
  ]);
  const database = await openTestDatabase('pglite');
  const fake = await startFakeStripe();
  const deps = makeDeps(database.db);
  const server = await startWidgetServer(deps, fake, dist, [homeRoutes(deps)]);
  const browser = await launchBrowser({ extensionDir, fixtures, colorScheme: 'light' });
  try {
    await seedDemo(deps);
    const maya = await signUp(deps, 'Maya');
    const theo = await signUp(deps, 'Theo');
    const jun = await signUp(deps, 'Jun');
    await befriend(maya, theo);
    await befriend(maya, jun);
    const group = await maya.api.groups.create({
      name: 'Weekend crew',
      memberIds: [theo.id, jun.id],
    });
    await maya.api.groups.create({ name: 'Roommates', memberIds: [theo.id] });
    const say = (who: typeof maya, body: string, atSeconds?: number) =>
      who.api.messages.send({
        groupId: group.id,
        clientId: `shot-${who.handle}-${body.length}-${atSeconds ?? 'x'}`,
        body,
        clip: { url: DEMO_CLIP },
        ...(atSeconds === undefined ? {} : { atSeconds }),
      });
    await say(theo, 'that tote is exactly what I need for the market', 1);
    await say(jun, 'same, the colour is perfect');
    await say(maya, 'ordering two, one is yours');
    await signIn(browser, maya, server.url, PASSWORD);

    // The overlay on a clip: chat, share, and the shop strip with a product open.
    const page = await browser.context.newPage();
    await page.goto(fixtures.url('www.tiktok.com', clipPath));
    const overlay = overlayOf(page);
    const chat = await openOverlayTab(page, 'Chat');
    await chat.messages.filter({ hasText: 'ordering two' }).waitFor();
    await page.evaluate(() => document.querySelector('video')?.pause());
    await settle(page);
    await page.screenshot({ path: path.join(store, 'overlay-chat.png') });
    await page.screenshot({ path: path.join(shots, 'overlay-chat.png') });

    await openOverlayTab(page, 'Share');
    await overlay.panel.getByLabel('Weekend crew').check();
    await overlay.panel.getByRole('textbox', { name: 'Note (optional)' }).fill('look at this!');
    await settle(page);
    await page.screenshot({ path: path.join(store, 'overlay-share.png') });

    await overlay.dock.click();
    const chip = overlay.host.locator('.kith-shop-strip .kith-shop-chip').first();
    await chip.waitFor({ timeout: 15_000 });
    await chip.click();
    await overlay.host.locator('.kith-product.is-open').waitFor();
    await settle(page);
    await page.screenshot({ path: path.join(store, 'overlay-shop.png') });
    await page.close();

    // The popup, at its own size.
    const popup = await browser.openExtensionPage('popup.html');
    await popup.setViewportSize({ width: 360, height: 520 });
    await popup.getByRole('tab', { name: 'Inbox' }).waitFor();
    await popup.getByText('Weekend crew').first().waitFor();
    await settle(popup);
    await popup.screenshot({ path: path.join(shots, 'popup.png') });
    await popup.close();

    // The brand console, signed in as the demo brand's owner is not possible (seeded without
    // one): a new brand owner with the demo's look is made instead.
    const console = await browser.context.newPage();
    await console.addInitScript((token: string) => {
      if (location.pathname.startsWith('/console')) localStorage.setItem('kith:token', token);
    }, maya.token);
    const brand = await maya.api.brands.create({ name: 'Maya Makes', slug: 'maya-makes' });
    for (const [title, priceCents, stock] of [
      ['Linen apron', 3400, 12],
      ['Stoneware mug', 1900, 40],
      ['Canvas tote', 2800, 7],
    ] as const) {
      await maya.api.products.create({
        brandId: brand.id,
        title,
        priceCents,
        currency: 'USD',
        stock,
        description: `${title}, made by hand.`,
      });
    }
    await console.goto(`${server.url}/console#products`);
    await console.locator('tr', { hasText: 'Canvas tote' }).waitFor();
    await settle(console);
    await console.screenshot({ path: path.join(shots, 'console-products.png') });
    await console.screenshot({ path: path.join(store, 'console-products.png') });
    await console.close();

    // The widgets on /demo.
    const demo = await browser.context.newPage();
    await demo.goto(`${server.url}/demo`);
    await demo.locator('kith-shop-button [part="price"]').waitFor();
    await demo.locator('kith-product-card [part="title"]').first().waitFor();
    await demo.locator('kith-shoppable-video [part="chip"]').first().waitFor();
    await settle(demo);
    await demo.screenshot({ path: path.join(shots, 'widgets.png') });
    await demo.screenshot({ path: path.join(store, 'widgets.png') });
    await demo.close();
    process.stdout.write(`Screenshots written to ${shots} and ${store}\n`);
  } finally {
    await browser.close();
    await server.close();
    await fake.close();
    await database.close();
    await fixtures.close();
    await rm(dist, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : error}\n`);
    process.exit(1);
  },
);
