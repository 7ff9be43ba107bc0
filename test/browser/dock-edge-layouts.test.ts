/**
 * The dock on layouts the fixture pages do not have: a video the page (or the user, with the
 * video's own controls) makes fullscreen by itself, and a player wrapper much wider than its
 * video. Real Chromium with the built extension, pages served under the real host names.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DockReport } from '../../extension/lib/dock-report';
import {
  buildExtension,
  type FixtureServer,
  type KithBrowser,
  launchBrowser,
  overlayOf,
  sharedSetup,
  startFixtureServer,
} from '../fixtures/browser';

const CLIP = '/__fixtures__/sites/media/clip.webm';

/** A plain watch page (the generic adapter) whose button makes the video element fullscreen. */
const FULLSCREEN_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Watch</title>
<style>body{margin:0;background:#111} video{display:block;width:640px;height:360px;margin:40px}</style></head>
<body><main><video id="v" muted loop autoplay playsinline src="${CLIP}"></video>
<button id="fs" type="button">Full screen</button></main>
<script>document.getElementById('fs').addEventListener('click', () => document.getElementById('v').requestFullscreen().then(() => { document.title = 'fullscreen'; }, (e) => { document.title = 'refused: ' + e.message; }));</script>
</body></html>`;

/** A reel whose video sits centred in a wrapper as wide as the window (the adapter's anchor). */
const WIDE_REEL_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Reel</title>
<style>body{margin:0;background:#000} .stage{width:100vw;height:100vh;display:flex;justify-content:center;align-items:center}
video{height:90vh;width:calc(90vh * 9 / 16);object-fit:cover;background:#222}</style></head>
<body><main role="main"><section><div class="stage"><video muted loop autoplay playsinline src="${CLIP}"></video></div></section></main></body></html>`;

function pages(req: IncomingMessage, res: ServerResponse): boolean {
  const url = new URL(req.url ?? '/', `https://${req.headers.host}`);
  const body =
    url.hostname === 'www.youtube.com' && url.pathname === '/watch' && url.searchParams.has('fs')
      ? FULLSCREEN_PAGE
      : url.hostname === 'www.instagram.com' && url.pathname === '/reel/C1a2b3c4d5e/'
        ? WIDE_REEL_PAGE
        : null;
  if (!body) return false;
  res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-store' }).end(body);
  return true;
}

const world = sharedSetup(async () => {
  const fixtures: FixtureServer = await startFixtureServer(undefined, pages);
  const browser: KithBrowser = await launchBrowser({
    extensionDir: await buildExtension(),
    fixtures,
  });
  return { fixtures, browser };
});

beforeAll(() => world.start());
afterAll(async () => {
  const w = await world.settled();
  await w?.browser.close();
  await w?.fixtures.close();
});

/** The id of the tab `page` is in, as the background knows it. */
async function tabIdOf(browser: KithBrowser, page: Page): Promise<number> {
  await page.bringToFront();
  const worker = await browser.background();
  const url = page.url();
  const tabs = await worker.evaluate(async () => {
    const all = await (
      globalThis as unknown as {
        chrome: { tabs: { query(q: object): Promise<{ id?: number; url?: string }[]> } };
      }
    ).chrome.tabs.query({});
    return all.map((t) => ({ id: t.id, url: t.url }));
  });
  const tab = tabs.find((t) => t.url === url) ?? tabs.find((t) => t.url === undefined);
  if (tab?.id === undefined) throw new Error(`no tab for ${url}: ${JSON.stringify(tabs)}`);
  return tab.id;
}

/** The toolbar button's text on a tab. */
async function badgeOf(browser: KithBrowser, tabId: number): Promise<string> {
  const worker = await browser.background();
  // The mark follows the report: give the background its turn.
  await new Promise((r) => setTimeout(r, 300));
  return worker.evaluate(
    (tabId) =>
      (
        globalThis as unknown as {
          chrome: { action: { getBadgeText(d: { tabId: number }): Promise<string> } };
        }
      ).chrome.action.getBadgeText({ tabId }),
    tabId,
  );
}

/** Waits for the tab's report to satisfy `ok`, and returns it. */
async function reportWhen(
  browser: KithBrowser,
  tabId: number,
  ok: (r: DockReport | null) => boolean,
): Promise<DockReport | null> {
  let last: DockReport | null = null;
  const until = Date.now() + 15_000;
  while (Date.now() < until) {
    last = await browser.send<DockReport | null>('dock.get', { tabId });
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  return last;
}

describe('the dock on layouts beyond the fixtures', () => {
  it('does not claim to be docked while the video element itself is fullscreen', async () => {
    const { browser } = await world.get();
    const page = await browser.context.newPage();
    try {
      await page.goto('https://www.youtube.com/watch?v=dQw4w9WgXcQ&fs=1');
      const tabId = await tabIdOf(browser, page);
      const docked = await reportWhen(browser, tabId, (r) => r?.state === 'docked');
      expect(docked?.state).toBe('docked');
      await overlayOf(page).dock.waitFor({ state: 'visible', timeout: 15_000 });

      // Messages to the background go through an extension page in another tab: come back first.
      await page.bringToFront();
      await page.click('#fs');
      await page.waitForFunction(() => document.title !== 'Watch');
      expect(await page.title()).toBe('fullscreen');
      expect(await page.evaluate(() => document.fullscreenElement?.localName)).toBe('video');
      // Nothing but the video is drawn now: no button can be seen over it.
      const during = await reportWhen(browser, tabId, (r) => r?.state !== 'docked');
      expect(during?.state).not.toBe('docked');
      expect(during?.state).not.toBe('off-screen');
      expect(await badgeOf(browser, tabId)).toBe('!');

      await page.evaluate(() => document.exitFullscreen());
      const after = await reportWhen(browser, tabId, (r) => r?.state === 'docked');
      expect(after?.state).toBe('docked');
      expect(await badgeOf(browser, tabId)).not.toBe('!');
    } finally {
      await page.close();
    }
  });

  it('docks on the video, not on the far edge of a wrapper much wider than it', async () => {
    const { browser } = await world.get();
    const page = await browser.context.newPage();
    try {
      await page.goto('https://www.instagram.com/reel/C1a2b3c4d5e/');
      const dock = overlayOf(page).dock;
      await dock.waitFor({ state: 'visible', timeout: 15_000 });
      // Let the slow re-check settle the dock where it stays.
      await page.waitForTimeout(800);
      const video = await page.locator('video').boundingBox();
      const button = await dock.boundingBox();
      expect(video && button).toBeTruthy();
      expect(button!.x).toBeGreaterThanOrEqual(video!.x);
      expect(button!.x + button!.width).toBeLessThanOrEqual(video!.x + video!.width);
    } finally {
      await page.close();
    }
  });
});
