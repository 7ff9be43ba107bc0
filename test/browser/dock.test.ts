/**
 * A dock that never goes missing. Each site adapter on fixture pages (under the real host names)
 * whose layout takes the size away from the element it anchors on — zero-size wrappers,
 * `display: contents`, transforms, videos positioned absolute or fixed (test/fixtures/sites/
 * layouts.css) — still gets the Kith button onto the playing video; what the overlay found
 * reaches the popup's "This site" panel; and where it cannot dock, the toolbar and the popup say
 * so, and the popup's "Try again" makes the page look again. One signed-in user, a real server.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DockReport } from '../../extension/lib/dock-report';
import { expectNoSeriousViolations } from '../fixtures/axe';
import {
  type FriendsWorld,
  type KithBrowser,
  launchBrowser,
  overlayOf,
  type SiteHost,
  screenshot,
  sharedSetup,
  signIn,
  startFriendsWorld,
} from '../fixtures/browser';

/** The extension API the tests read in the service worker (the tab ids and the toolbar). */
type Chrome = {
  tabs: { query(q: object): Promise<{ id?: number; url?: string }[]> };
  action: {
    getBadgeText(d: { tabId: number }): Promise<string>;
    getTitle(d: { tabId: number }): Promise<string>;
  };
};

const LAYOUTS = ['zero-size', 'contents', 'transform', 'absolute', 'fixed'] as const;

const SITES: {
  adapter: DockReport['adapter'];
  host: SiteHost;
  /** The page, ending where `layout=` can be added to its query. */
  path: string;
  clipId: string;
  author: string | null;
}[] = [
  {
    adapter: 'tiktok',
    host: 'www.tiktok.com',
    path: '/foryou?',
    clipId: '7301234567890123451',
    author: 'scout2015',
  },
  {
    adapter: 'youtube-shorts',
    host: 'www.youtube.com',
    path: '/shorts/aqz-KE-bpKQ?',
    clipId: 'aqz-KE-bpKQ',
    author: '@BlenderOfficial',
  },
  {
    adapter: 'instagram-reels',
    host: 'www.instagram.com',
    path: '/reels/C1a2B3c4D5e/?',
    clipId: 'C1a2B3c4D5e',
    author: 'scout2015',
  },
  // A YouTube watch page is no Short: the generic adapter handles it.
  {
    adapter: 'generic',
    host: 'www.youtube.com',
    path: '/watch?v=aqz-KE-bpKQ&',
    clipId: 'aqz-KE-bpKQ',
    author: null,
  },
];

/** The box of the largest playing video on the page. */
function playingVideoBox(page: Page) {
  return page.evaluate(() => {
    const boxes = [...document.querySelectorAll('video')]
      .filter((v) => !v.paused)
      .map((v) => v.getBoundingClientRect())
      .sort((a, b) => b.width * b.height - a.width * a.height);
    const r = boxes[0];
    return r ? { x: r.x, y: r.y, width: r.width, height: r.height } : null;
  });
}

describe('a dock that never goes missing', () => {
  let base: FriendsWorld;
  let browser: KithBrowser;

  const world = sharedSetup(async () => {
    base = await startFriendsWorld(['Ada', 'Ben'], 'Dock crew');
    browser = await launchBrowser({ extensionDir: base.extensionDir, fixtures: base.fixtures });
    await signIn(browser, base.people[0], base.server.url, 'correct horse battery');
    return base;
  });
  beforeAll(world.start);

  afterAll(async () => {
    await browser?.close();
    await base?.close();
  });

  /** The background's id for the tab showing `page`. */
  async function tabIdOf(page: Page): Promise<number> {
    const worker = await browser.background();
    const url = page.url();
    const id = await worker.evaluate(async (href) => {
      const { chrome } = globalThis as unknown as { chrome: Chrome };
      const tabs = await chrome.tabs.query({});
      return tabs.find((t) => t.url === href)?.id ?? null;
    }, url);
    if (id === null) throw new Error(`no tab shows ${url}`);
    return id;
  }

  async function reportOf(page: Page): Promise<DockReport | null> {
    return browser.send<DockReport | null>('dock.get', { tabId: await tabIdOf(page) });
  }

  /** The toolbar button's badge text and title on the tab showing `page`. */
  async function toolbarOf(page: Page) {
    const tabId = await tabIdOf(page);
    const worker = await browser.background();
    return worker.evaluate(async (id) => {
      const { chrome } = globalThis as unknown as { chrome: Chrome };
      return {
        text: await chrome.action.getBadgeText({ tabId: id }),
        title: await chrome.action.getTitle({ tabId: id }),
      };
    }, tabId);
  }

  /** The popup, showing the "This site" panel for the tab of `page`. */
  async function popupFor(page: Page): Promise<Page> {
    const popup = await browser.openExtensionPage('popup.html');
    await popup.getByRole('tab', { name: 'This site' }).waitFor({ timeout: 15_000 });
    // The popup reads the active tab of its window, as it does over a real tab.
    await page.bringToFront();
    await popup.getByRole('tab', { name: 'This site' }).click();
    await popup.locator('.dock-report').waitFor({ timeout: 15_000 });
    return popup;
  }

  for (const site of SITES) {
    it(`${site.adapter}: the button docks on the playing video whatever the wrappers do`, async () => {
      await world.get();
      const page = await browser.context.newPage();
      try {
        for (const layout of LAYOUTS) {
          await page.goto(base.fixtures.url(site.host, `${site.path}layout=${layout}`));
          const dock = overlayOf(page).dock;
          await dock.waitFor({ state: 'visible', timeout: 15_000 });
          // The button sits on the video, whatever box the adapter anchored on.
          await expect
            .poll(
              async () => {
                const button = await dock.boundingBox();
                const video = await playingVideoBox(page);
                if (!button || !video) return false;
                return (
                  button.x >= video.x - 1 &&
                  button.x + button.width <= video.x + video.width + 1 &&
                  button.y >= video.y - 1 &&
                  button.y + button.height <= video.y + video.height + 1
                );
              },
              { timeout: 10_000, message: `${site.adapter}, ${layout}` },
            )
            .toBe(true);
          await expect
            .poll(async () => (await reportOf(page))?.state, { timeout: 10_000 })
            .toBe('docked');
          const report = (await reportOf(page))!;
          expect(report).toMatchObject({
            adapter: site.adapter,
            clip: { clipId: site.clipId },
            author: site.author,
          });
          if (site.adapter === 'generic') {
            // The generic adapter anchors on the video itself.
            expect(report.dock?.source, layout).toBe('anchor');
          } else {
            // The anchor lost its size (or is elsewhere): the button found another box.
            expect(report.dock?.source, layout).not.toBe('anchor');
          }
          expect(await toolbarOf(page)).toMatchObject({ title: 'Kith' });
          if (layout === 'absolute') await screenshot(page, `dock-${site.adapter}-${layout}`);
        }
      } finally {
        await page.close();
      }
    });
  }

  it("shows what the adapter found in the popup's This site panel, and copies it as a report", async () => {
    await world.get();
    const page = await browser.context.newPage();
    // The Instagram feed with unstyled wrappers: the video's parent has no height.
    await page.goto(base.fixtures.url('www.instagram.com', '/reels/C1a2B3c4D5e/?layout=absolute'));
    await overlayOf(page).dock.waitFor({ state: 'visible', timeout: 15_000 });
    const popup = await popupFor(page);
    const card = popup.locator('.dock-report');
    await card.getByText('Kith is docked on the video.').waitFor({ timeout: 15_000 });
    const facts = await card
      .locator('.dock-facts > div')
      .evaluateAll((rows) =>
        Object.fromEntries(
          rows.map((row) => [
            row.querySelector('dt')?.textContent,
            row.querySelector('dd')?.textContent,
          ]),
        ),
      );
    expect(facts).toMatchObject({
      Adapter: 'instagram-reels',
      Clip: 'instagram C1a2B3c4D5e',
      Author: 'scout2015',
    });
    expect(facts.Video).toMatch(/^video, \d+×\d+ \(block, absolute\), playing$/);
    // The anchor (the video's parent) has no height on this page; the button took a wrapper.
    expect(facts.Anchor).toMatch(/^div, \d+×0 \(block, static\)$/);
    expect(facts['Docked on']).toMatch(/^a wrapper of the video’s size \(div\)$/);
    await screenshot(popup, 'dock-popup-this-site');
    await expectNoSeriousViolations(popup, "the This site panel's report");

    // What the popup hands the clipboard (the real clipboard still gets it).
    await popup.evaluate(() => {
      const clipboard = navigator.clipboard;
      const write = clipboard.writeText.bind(clipboard);
      clipboard.writeText = (text: string) => {
        (window as unknown as { copied: string }).copied = text;
        return write(text);
      };
    });
    await card.getByRole('button', { name: 'Copy report' }).click();
    await popup.getByText('Report copied. Paste it into your bug report.').waitFor();
    const copied = await popup.evaluate(() => (window as unknown as { copied: string }).copied);
    expect(copied).toContain('Site: www.instagram.com');
    expect(copied).toContain('Adapter: instagram-reels');
    expect(copied).toContain('Clip: instagram C1a2B3c4D5e');
    expect(copied).toContain('Author: scout2015');
    // Nothing the page says beyond those fields: no caption, no page title.
    expect(copied).not.toContain('Skate day');
    expect(copied).not.toContain('Instagram');
    await popup.close();
    await page.close();
  });

  it('says so on the toolbar and in the popup where it cannot dock', async () => {
    await world.get();
    const page = await browser.context.newPage();
    // Every video on this page is too small for the button.
    await page.goto(base.fixtures.url('www.youtube.com', '/watch?v=aqz-KE-bpKQ&layout=tiny'));
    await expect
      .poll(async () => (await reportOf(page))?.state, { timeout: 15_000 })
      .toBe('too-small');
    expect(await overlayOf(page).dock.count()).toBe(0);
    await expect
      .poll(() => toolbarOf(page), { timeout: 10_000 })
      .toEqual({
        text: '!',
        title: "Kith can't dock on this video. Click for details and to try again.",
      });
    const popup = await popupFor(page);
    const card = popup.locator('.dock-report');
    await card
      .getByRole('alert')
      .getByText(
        "Kith found the clip but can't dock on its video: it is too small for the Kith button.",
      )
      .waitFor();
    await card.getByRole('button', { name: 'Try again' }).waitFor();
    await screenshot(popup, 'dock-popup-cannot-dock');
    await expectNoSeriousViolations(popup, 'the This site panel saying it cannot dock');
    await popup.close();
    await page.close();
  });

  it("finds the video again with the popup's Try again", async () => {
    await world.get();
    const page = await browser.context.newPage();
    await page.goto(base.fixtures.url('www.tiktok.com', '/foryou'));
    const o = overlayOf(page);
    await o.dock.waitFor({ state: 'visible', timeout: 15_000 });
    // The site renames its players: the adapter no longer finds the clip. Renaming is no change
    // the overlay watches for, so only "try again" looks again once it has given up.
    await page.evaluate(() => {
      for (const video of document.querySelectorAll('video')) video.pause();
      for (const player of document.querySelectorAll('[id^="xgwrapper-"]')) {
        player.setAttribute('data-id', player.id);
        player.id = `renamed-${player.id}`;
      }
      // A scroll makes the overlay look again, and find nothing.
      document.dispatchEvent(new Event('scroll'));
    });
    await expect
      .poll(async () => (await reportOf(page))?.state, { timeout: 20_000 })
      .toBe('missing');
    await expect.poll(() => toolbarOf(page), { timeout: 10_000 }).toMatchObject({ text: '!' });
    const popup = await popupFor(page);
    const card = popup.locator('.dock-report');
    await card.getByText("Kith can't find a video on this page.").waitFor();

    // The players get their names back; nothing looks until the user asks.
    await page.evaluate(() => {
      for (const player of document.querySelectorAll('[data-id]')) {
        player.id = player.getAttribute('data-id')!;
      }
    });
    await page.waitForTimeout(1000);
    expect((await reportOf(page))?.state).toBe('missing');

    await card.getByRole('button', { name: 'Try again' }).click();
    await card.getByText('Kith is docked on the video.').waitFor({ timeout: 15_000 });
    await o.dock.waitFor({ state: 'visible' });
    expect((await reportOf(page))?.retries).toBe(1);
    // Back to the global badge (no unread messages: empty) and title.
    await expect
      .poll(() => toolbarOf(page), { timeout: 10_000 })
      .toEqual({ text: '', title: 'Kith' });
    await popup.close();
    await page.close();
  });
});
