/**
 * How the overlay lives on each site's page: it docks on the current clip and follows it
 * (scrolling, fullscreen), never moves the page, keeps the keyboard to itself, fits the site's
 * look, and says so when there is no video. One signed-in user, a real server on PGlite.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import {
  type FixtureServer,
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
import type { TestUser } from '../fixtures/deps';

const SITES: { name: string; host: SiteHost; path: string; clip: string }[] = [
  {
    name: 'tiktok',
    host: 'www.tiktok.com',
    path: '/foryou',
    clip: 'https://www.tiktok.com/@scout2015/video/7301234567890123451',
  },
  {
    name: 'youtube-shorts',
    host: 'www.youtube.com',
    path: '/shorts/aqz-KE-bpKQ',
    clip: 'https://www.youtube.com/shorts/aqz-KE-bpKQ',
  },
  {
    name: 'instagram-reels',
    host: 'www.instagram.com',
    path: '/reels/C1a2B3c4D5e/',
    clip: 'https://www.instagram.com/reel/C1a2B3c4D5e/',
  },
];

/** The harness's overlay parts, plus the theme the overlay's root settled on. */
function overlay(page: Page) {
  const o = overlayOf(page);
  return {
    ...o,
    theme: () =>
      o.host.locator('.kith-root').evaluate((el) => el.getAttribute('data-theme') ?? 'system'),
  };
}

/** What is focused inside the overlay's shadow root, as a class list (or null outside it). */
function focusedInOverlay(page: Page) {
  return page.evaluate(() => {
    const host = document.querySelector('kith-overlay');
    const active = host?.shadowRoot?.activeElement ?? null;
    if (document.activeElement !== host || !active) return null;
    return { inPanel: !!active.closest('.kith-panel'), className: active.className };
  });
}

/** Positions of everything in the page's own layout (the overlay host excluded). */
function pageLayout(page: Page) {
  return page.evaluate(() => {
    const boxes = [...document.body.querySelectorAll('*')]
      .filter((el) => !el.closest('kith-overlay'))
      .slice(0, 400)
      .map((el) => {
        const r = el.getBoundingClientRect();
        return [
          el.tagName,
          Math.round(r.x),
          Math.round(r.y),
          Math.round(r.width),
          Math.round(r.height),
        ];
      });
    return {
      boxes,
      scroll: [document.documentElement.scrollWidth, document.documentElement.scrollHeight],
    };
  });
}

describe('the overlay on the sites’ pages', () => {
  let base: FriendsWorld;
  let fixtures: FixtureServer;
  let server: RunningServer;
  let cleo: TestUser;
  let dan: TestUser;
  let groupId: string;
  let browser: KithBrowser;

  // Setup failures (no Chromium, a broken build) fail every test; see sharedSetup.
  const world = sharedSetup(async () => {
    base = await startFriendsWorld(['Cleo', 'Dan'], 'Climbing crew');
    ({ fixtures, server, groupId } = base);
    [cleo, dan] = base.people;
    // Dan has talked about the first clip of every site.
    for (const site of SITES) {
      await dan.api.messages.send({
        groupId,
        clientId: `seed-${site.name}`,
        body: `Watch till the end 🔥 (${site.name})`,
        clip: { url: site.clip },
        atSeconds: 1,
      });
    }
    browser = await launchBrowser({ extensionDir: base.extensionDir, fixtures });
    await signIn(browser, cleo, server.url, 'correct horse battery');
  });
  beforeAll(world.start);

  afterAll(async () => {
    await browser?.close();
    await base?.close();
  });

  for (const site of SITES) {
    it(`docks on the current clip of ${site.name} and shows who talked about it`, async () => {
      await world.get();
      const page = await browser.context.newPage();
      await page.goto(fixtures.url(site.host, site.path));
      const o = overlay(page);
      await o.dock.waitFor({ state: 'visible', timeout: 15_000 });
      // The button sits on the video that is playing.
      const dock = (await o.dock.boundingBox())!;
      const video = await page.evaluate(() => {
        const playing = [...document.querySelectorAll('video')].find((v) => !v.paused);
        const r = (playing ?? document.querySelector('video'))!.getBoundingClientRect();
        return { x: r.x, y: r.y, width: r.width, height: r.height };
      });
      expect(dock.x).toBeGreaterThanOrEqual(video.x);
      expect(dock.x + dock.width).toBeLessThanOrEqual(video.x + video.width + 1);
      expect(dock.y).toBeGreaterThanOrEqual(video.y);
      expect(dock.y + dock.height).toBeLessThanOrEqual(video.y + video.height + 1);
      await o.dock.locator('.kith-count').getByText('1').waitFor();

      await o.dock.click();
      await o.tab('Friends').click();
      await o.panel.getByText('Dan talked about this in Climbing crew').waitFor();
      await screenshot(page, `${site.name}-friends`);
      await o.panel.getByText('Dan talked about this in Climbing crew').click();
      await o.messages.filter({ hasText: `Watch till the end 🔥 (${site.name})` }).waitFor();
      expect(await o.theme()).toBe('dark');
      await screenshot(page, `${site.name}-chat`);
      await page.close();
    });
  }

  it('moves to the next clip when the TikTok feed scrolls, without a new address', async () => {
    await world.get();
    const page = await browser.context.newPage();
    await page.goto(fixtures.url('www.tiktok.com', '/foryou'));
    const o = overlay(page);
    await o.dock.waitFor({ state: 'visible', timeout: 15_000 });
    await o.dock.click();
    await o.tab('Chat').click();
    await o.messages.filter({ hasText: 'Watch till the end' }).waitFor();
    expect(await o.title.textContent()).toContain('Scout learns to skateboard');

    await page.evaluate(() =>
      document
        .querySelectorAll('[data-e2e="recommend-list-item-container"]')[1]!
        .scrollIntoView({ block: 'start' }),
    );
    await expect.poll(() => o.title.textContent()).toContain('3-minute ramen upgrade');
    await o.panel.getByText('No one has said anything about this clip here yet.').waitFor();
    expect(page.url()).toBe('https://www.tiktok.com/foryou');
    // The button moved onto the second clip's player.
    const player = (await page.locator('[id^="xgwrapper-"]').nth(1).boundingBox())!;
    await expect
      .poll(async () => {
        const dock = (await o.dock.boundingBox())!;
        return dock.y >= player.y && dock.y + dock.height <= player.y + player.height;
      })
      .toBe(true);
    await page.close();
  });

  it('moves to the next short when YouTube swaps the active reel', async () => {
    await world.get();
    const page = await browser.context.newPage();
    await page.goto(fixtures.url('www.youtube.com', '/shorts/aqz-KE-bpKQ'));
    const o = overlay(page);
    await o.dock.waitFor({ state: 'visible', timeout: 15_000 });
    await o.dock.click();
    await o.tab('Chat').click();
    await o.messages.filter({ hasText: 'youtube-shorts' }).waitFor();
    // The site's own "next" button (the open panel may cover it; the site's handler is what counts).
    await page.evaluate(() =>
      document.querySelector<HTMLButtonElement>('#navigation-button-down button')!.click(),
    );
    await expect.poll(() => page.url()).not.toBe('https://www.youtube.com/shorts/aqz-KE-bpKQ');
    await o.panel.getByText('No one has said anything about this clip here yet.').waitFor();
    await page.close();
  });

  it('follows the player into fullscreen and back out', async () => {
    await world.get();
    const page = await browser.context.newPage();
    await page.goto(fixtures.url('www.tiktok.com', '/@scout2015/video/7301234567890123451'));
    const o = overlay(page);
    await o.dock.waitFor({ state: 'visible', timeout: 15_000 });
    await page.evaluate(() => document.querySelector('[id^="xgwrapper-"]')!.requestFullscreen());
    await expect
      .poll(() =>
        page.evaluate(() =>
          document.fullscreenElement?.contains(document.querySelector('kith-overlay')),
        ),
      )
      .toBe(true);
    // Still on screen and on top: the element under the button is the overlay.
    await o.dock.waitFor({ state: 'visible' });
    const dock = (await o.dock.boundingBox())!;
    expect(
      await page.evaluate(
        ([x, y]) => document.elementFromPoint(x!, y!)?.localName,
        [dock.x + dock.width / 2, dock.y + dock.height / 2],
      ),
    ).toBe('kith-overlay');
    await o.dock.click();
    await o.tab('Chat').click();
    await o.messages.filter({ hasText: 'Watch till the end' }).waitFor();
    await screenshot(page, 'tiktok-fullscreen');

    await page.evaluate(() => document.exitFullscreen());
    await expect
      .poll(() =>
        page.evaluate(() => document.querySelector('kith-overlay')?.parentElement?.localName),
      )
      .toBe('body');
    await o.panel.waitFor({ state: 'visible' });
    await page.close();
  });

  it('never moves anything on the page, open or closed', async () => {
    await world.get();
    const page = await browser.context.newPage();
    await page.goto(fixtures.url('www.tiktok.com', '/@scout2015/video/7301234567890123451'));
    const o = overlay(page);
    await o.dock.waitFor({ state: 'visible', timeout: 15_000 });
    await page.evaluate(() => document.querySelector('video')?.pause());
    await o.dock.click();
    await o.tab('Chat').click();
    const withOverlay = await pageLayout(page);
    const host = await o.host.evaluate((el) => {
      const style = getComputedStyle(el);
      return [style.position, style.width, style.height];
    });
    expect(host).toEqual(['fixed', '0px', '0px']);
    await o.host.evaluate((el) => el.remove());
    expect(await pageLayout(page)).toEqual(withOverlay);
    await page.close();
  });

  it('is usable from the keyboard and keeps keys away from the site', async () => {
    await world.get();
    const page = await browser.context.newPage();
    await page.goto(fixtures.url('www.tiktok.com', '/foryou'));
    const o = overlay(page);
    await o.dock.waitFor({ state: 'visible', timeout: 15_000 });
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { keys: string[] }).keys = seen;
      for (const target of [window, document])
        target.addEventListener('keydown', (e) => seen.push((e as KeyboardEvent).key));
    });

    await o.dock.focus();
    await page.keyboard.press('Enter');
    await o.panel.waitFor({ state: 'visible' });
    expect(await focusedInOverlay(page)).toMatchObject({ inPanel: true });
    // Arrow keys move between tabs; Tab and Shift+Tab never leave the panel.
    await page.keyboard.press('ArrowRight');
    expect(await o.tab('Chat').getAttribute('aria-selected')).toBe('true');
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      expect(await focusedInOverlay(page)).toMatchObject({ inPanel: true });
    }
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press('Shift+Tab');
      expect(await focusedInOverlay(page)).toMatchObject({ inPanel: true });
    }
    await screenshot(page, 'tiktok-keyboard-focus');

    // Typing — arrows and space included — never reaches the site's own shortcuts.
    await o.composer.focus();
    await page.keyboard.type('j k l ');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowUp');
    expect(await o.composer.inputValue()).toBe('j k l ');
    await page.waitForTimeout(300);
    expect(await o.title.textContent()).toContain('Scout learns to skateboard');
    expect(await page.evaluate(() => (window as unknown as { keys: string[] }).keys)).toEqual([]);

    await page.keyboard.press('Escape');
    await o.panel.waitFor({ state: 'detached' });
    expect(await focusedInOverlay(page)).toMatchObject({
      className: expect.stringContaining('kith-dock'),
    });
    // Outside the overlay the site's keys work as before.
    await page.locator('input[type="search"]').focus();
    await page.keyboard.press('ArrowDown');
    expect(await page.evaluate(() => (window as unknown as { keys: string[] }).keys)).toContain(
      'ArrowDown',
    );
    await page.close();
  });

  it("answers the page's share button and shares the link it hands over", async () => {
    await world.get();
    const page = await browser.context.newPage();
    await page.goto(fixtures.url('www.tiktok.com', '/foryou'));
    const o = overlay(page);
    await o.dock.waitFor({ state: 'visible', timeout: 15_000 });
    // What <kith-share-button> does, from the page's own world: say hello, wait for the answer.
    const answered = await page.evaluate(
      () =>
        new Promise<unknown>((resolve) => {
          window.addEventListener('message', (e) => {
            if (e.data?.kith?.type === 'extension') resolve(e.data);
          });
          window.postMessage({ kith: { type: 'hello', v: 1 } }, location.origin);
          setTimeout(() => resolve(null), 5000);
        }),
    );
    expect(answered).toEqual({ kith: { type: 'extension', v: 1 } });
    await page.evaluate(() =>
      window.postMessage(
        {
          kith: {
            type: 'share',
            v: 1,
            url: 'https://shop.example/p/chalk-bag?utm_source=tiktok',
            title: 'Chalk bag',
          },
        },
        location.origin,
      ),
    );
    await o.panel.locator('.kith-share-link-title').getByText('Chalk bag').waitFor();
    await o.panel.locator('label.kith-group', { hasText: 'Climbing crew' }).click();
    await o.panel.getByRole('button', { name: 'Share', exact: true }).click();
    await o.panel.getByText('Shared to Climbing crew.').waitFor();
    const { messages } = await dan.api.messages.list({ groupId, limit: 50 });
    const shared = messages.filter((m) => m.kind === 'clip' && m.clip?.site === 'web');
    expect(shared.map((m) => [m.clip?.url, m.clip?.title, m.atSeconds])).toEqual([
      ['https://shop.example/p/chalk-bag', 'Chalk bag', null],
    ]);
    await page.close();
  });

  it('matches a light site, and a dark one', async () => {
    await world.get();
    const page = await browser.context.newPage();
    await page.goto(fixtures.url('www.tiktok.com', '/foryou'));
    const o = overlay(page);
    await o.dock.waitFor({ state: 'visible', timeout: 15_000 });
    expect(await o.theme()).toBe('dark');
    const panelBackground = () => o.panel.evaluate((el) => getComputedStyle(el).backgroundColor);
    await o.dock.click();
    await o.panel.waitFor({ state: 'visible' });
    expect(await panelBackground()).toBe('rgb(29, 28, 35)');
    // TikTok's light mode: the page itself turns white.
    await page.evaluate(() => {
      document.documentElement.style.background = '#ffffff';
      document.body.style.background = '#ffffff';
      document.body.style.color = '#161823';
    });
    await expect.poll(() => o.theme()).toBe('light');
    expect(await panelBackground()).toBe('rgb(255, 255, 255)');
    await o.tab('Share').click();
    await o.panel.getByText('Climbing crew').waitFor();
    await screenshot(page, 'tiktok-light-share');
    await page.close();
  });

  it('offers "try again" when the page has no video, and finds it after', async () => {
    await world.get();
    const page = await browser.context.newPage();
    await page.goto(fixtures.url('www.tiktok.com', '/foryou'));
    const o = overlay(page);
    await o.dock.waitFor({ state: 'visible', timeout: 15_000 });
    const saved = await page.evaluate(() => {
      const player = document.querySelector('[id^="xgwrapper-"]')!;
      const html = player.innerHTML;
      for (const video of document.querySelectorAll('video')) video.remove();
      return html;
    });
    const missing = o.host.locator('.kith-missing');
    await missing.getByText("Kith can't find a video on this page.").waitFor({ timeout: 15_000 });
    expect(await o.dock.count()).toBe(0);
    await screenshot(page, 'tiktok-no-video');

    // "Try again" looks again, then reports the same when there is still none. (The brief
    // "Looking for a video…" state is not asserted: it can be gone before a poll sees it.)
    await missing.getByRole('button', { name: 'Try again' }).click();
    await missing.getByText("Kith can't find a video on this page.").waitFor({ timeout: 15_000 });
    await missing.getByRole('button', { name: 'Try again' }).waitFor({ timeout: 15_000 });

    // The video comes back: the next try finds it, and the button docks on it.
    await page.evaluate((html) => {
      document.querySelector('[id^="xgwrapper-"]')!.innerHTML = html;
      void document.querySelector('video')!.play();
    }, saved);
    // The overlay may find it on its own first, taking the notice (and its button) away.
    await missing
      .getByRole('button', { name: 'Try again' })
      .click({ timeout: 2000 })
      .catch(() => {});
    await o.dock.waitFor({ state: 'visible' });
    await page.close();
  });
});
