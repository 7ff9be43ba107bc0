import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildExtension,
  chromiumPath,
  launchBrowser,
  sharedSetup,
  startFixtureServer,
} from '../fixtures/browser';

const world = sharedSetup(async () => {
  chromiumPath();
  const extensionDir = await buildExtension();
  const fixtures = await startFixtureServer();
  const browser = await launchBrowser({ extensionDir, fixtures }).catch(async (error) => {
    await fixtures.close();
    throw error;
  });
  return { fixtures, browser };
});

describe('the extension in Chromium', () => {
  beforeAll(world.start);

  afterAll(async () => {
    const w = await world.settled();
    await w?.browser.close();
    await w?.fixtures.close();
  });

  it('loads with its background service worker', async () => {
    const { browser } = await world.get();
    const worker = await browser.background();
    expect(worker.url()).toMatch(/^chrome-extension:\/\/[a-p]{32}\/background\.js$/);
  });

  it('docks the Kith button on the video of a TikTok page', async () => {
    const { browser, fixtures } = await world.get();
    const page = await browser.context.newPage();
    await page.goto(fixtures.url('www.tiktok.com', '/foryou'));
    const button = page.locator('kith-overlay .kith-dock');
    await button.waitFor({ state: 'visible', timeout: 10_000 });
    const box = await button.boundingBox();
    const player = await page.locator('[id^="xgwrapper-"]').first().boundingBox();
    expect(box && player).toBeTruthy();
    // Inside the player's box: docked on the video, not somewhere on the page.
    expect(box!.x).toBeGreaterThanOrEqual(player!.x);
    expect(box!.x + box!.width).toBeLessThanOrEqual(player!.x + player!.width);
    expect(box!.y).toBeGreaterThanOrEqual(player!.y);
    await page.close();
  });
});
