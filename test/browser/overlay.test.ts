/**
 * The overlay end to end: two people, each in their own Chromium profile with the built
 * extension, on the TikTok fixture pages (served as https://www.tiktok.com/…), talking through a
 * real Kith server on PGlite.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import {
  type FixtureServer,
  type FriendsWorld,
  type KithBrowser,
  launchBrowserPair,
  openOverlayTab,
  screenshot,
  sharedSetup,
  signInEach,
  startFriendsWorld,
  textsOf,
} from '../fixtures/browser';
import type { TestUser } from '../fixtures/deps';

const PASSWORD = 'correct horse battery';
const CLIP_PAGE = '/@scout2015/video/7301234567890123451';
const CLIP_URL = 'https://www.tiktok.com/@scout2015/video/7301234567890123451';

describe('the overlay, two friends on a TikTok clip', () => {
  let base: FriendsWorld;
  let fixtures: FixtureServer;
  let server: RunningServer;
  let ana: TestUser;
  let ben: TestUser;
  let groupId: string;
  let anaBrowser: KithBrowser;
  let benBrowser: KithBrowser;

  // Setup failures (no Chromium, a broken build) fail every test; see sharedSetup.
  const world = sharedSetup(async () => {
    base = await startFriendsWorld(['Ana', 'Ben'], 'Roommates');
    ({ fixtures, server, groupId } = base);
    [ana, ben] = base.people;
    [anaBrowser, benBrowser] = await launchBrowserPair({
      extensionDir: base.extensionDir,
      fixtures,
    });
    await signInEach(
      [
        [anaBrowser, ana],
        [benBrowser, ben],
      ],
      server.url,
      PASSWORD,
    );
  });
  beforeAll(world.start);

  afterAll(async () => {
    await Promise.all([anaBrowser?.close(), benBrowser?.close()]);
    await base?.close();
  });

  it('Ana shares a clip to Roommates, Ben sees it live, replies at a moment, Ana sees the reply', async () => {
    await world.get();
    const benPage = await benBrowser.context.newPage();
    await benPage.goto(fixtures.url('www.tiktok.com', CLIP_PAGE));
    const benView = await openOverlayTab(benPage, 'Chat');
    await benView.thread.getByText('No one has said anything').waitFor();

    const anaPage = await anaBrowser.context.newPage();
    await anaPage.goto(fixtures.url('www.tiktok.com', CLIP_PAGE));
    const anaView = await openOverlayTab(anaPage, 'Share');
    await anaView.panel.getByLabel('Roommates').check();
    await anaView.panel
      .getByRole('textbox', { name: 'Note (optional)' })
      .fill('Scout is a natural');
    await anaView.panel.getByRole('button', { name: /^at \d+:\d\d$/ }).click();
    await anaView.panel.getByRole('button', { name: 'Share', exact: true }).click();
    await anaView.panel.getByRole('status').getByText('Shared to Roommates.').waitFor();
    await screenshot(anaPage, 'tiktok-share-confirmed');

    // Live: Ben's open thread shows the share without a reload.
    await benView.messages.filter({ hasText: 'Scout is a natural' }).waitFor();
    expect(await textsOf(benView.messages)).toEqual([
      expect.stringMatching(/^Ana.*shared this clipScout is a natural$/),
    ]);

    // Ben replies at 0:01 of the (two-second) video.
    await benPage.evaluate(() => {
      const video = document.querySelector('video')!;
      video.pause();
      video.currentTime = 1.4;
    });
    await benView.panel.getByRole('button', { name: 'at 0:01' }).waitFor();
    await benView.composer.fill('the kickflip at the end!');
    await benView.composer.press('Enter');
    await benView.messages.filter({ hasText: 'the kickflip at the end!' }).waitFor();

    await anaView.tab('Chat').click();
    const reply = anaView.messages.filter({ hasText: 'the kickflip at the end!' });
    await reply.waitFor();
    expect(await reply.locator('.kith-msg-name').textContent()).toBe('Ben');
    await screenshot(anaPage, 'tiktok-chat');

    // Clicking the moment seeks Ana's video there.
    await anaPage.evaluate(() => {
      const video = document.querySelector('video')!;
      video.pause();
      video.currentTime = 0;
      const seeks: number[] = [];
      (window as unknown as { seeks: number[] }).seeks = seeks;
      video.addEventListener('seeking', () => seeks.push(video.currentTime));
    });
    await reply.getByRole('button', { name: '0:01' }).click();
    await expect
      .poll(() => anaPage.evaluate(() => (window as unknown as { seeks: number[] }).seeks))
      .toContain(1);

    // The server has the share and the reply, once each, about this clip.
    const thread = await ana.api.clips.thread({ groupId, url: CLIP_URL });
    expect(thread.messages.map((m) => [m.sender?.handle, m.body, m.atSeconds])).toEqual([
      [ana.handle, 'Scout is a natural', expect.any(Number)],
      [ben.handle, 'the kickflip at the end!', 1],
    ]);
    await Promise.all([anaPage.close(), benPage.close()]);
  });

  it('a message Ben sends while offline is sent once when he is back', async () => {
    await world.get();
    const anaPage = await anaBrowser.context.newPage();
    await anaPage.goto(fixtures.url('www.tiktok.com', CLIP_PAGE));
    const anaView = await openOverlayTab(anaPage, 'Chat');
    const benPage = await benBrowser.context.newPage();
    await benPage.goto(fixtures.url('www.tiktok.com', CLIP_PAGE));
    const benView = await openOverlayTab(benPage, 'Chat');
    await benView.messages.first().waitFor();

    // Playwright's offline mode covers the extension's service worker too (its fetches fail).
    await benBrowser.context.setOffline(true);
    await benView.composer.fill('sent from the tunnel');
    await benView.composer.press('Enter');
    const mine = benView.messages.filter({ hasText: 'sent from the tunnel' });
    await mine.getByText("Offline — sends when you're back").waitFor();
    await benView.panel.locator('.kith-badge.is-offline').waitFor();
    await screenshot(benPage, 'tiktok-chat-offline');

    // Nothing reached the server meanwhile.
    const before = await ana.api.clips.thread({ groupId, url: CLIP_URL });
    expect(before.messages.filter((m) => m.body === 'sent from the tunnel')).toHaveLength(0);

    await benBrowser.context.setOffline(false);
    await anaView.messages.filter({ hasText: 'sent from the tunnel' }).waitFor({ timeout: 70_000 });
    await mine.locator('.kith-msg-state').waitFor({ state: 'detached', timeout: 30_000 });
    // Give a duplicate every chance to show up before counting.
    await anaPage.waitForTimeout(1500);
    expect(await anaView.messages.filter({ hasText: 'sent from the tunnel' }).count()).toBe(1);
    expect(await benView.messages.filter({ hasText: 'sent from the tunnel' }).count()).toBe(1);
    const after = await ana.api.clips.thread({ groupId, url: CLIP_URL });
    expect(after.messages.filter((m) => m.body === 'sent from the tunnel')).toHaveLength(1);
    await Promise.all([anaPage.close(), benPage.close()]);
  });

  it('renders a message full of HTML as text: no element, no script, no dialog', async () => {
    await world.get();
    const hostile =
      '<img src=x onerror="window.pwned=1;alert(1)"><script>window.pwned=2;alert(2)</script><b>bold</b>';
    await ben.api.messages.send({
      groupId,
      clientId: `hostile-${Date.now()}`,
      body: hostile,
      clip: { url: CLIP_URL },
    });
    const page = await anaBrowser.context.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto(fixtures.url('www.tiktok.com', CLIP_PAGE));
    const view = await openOverlayTab(page, 'Chat');
    const message = view.messages.filter({ hasText: '<script>' });
    await message.waitFor();
    expect(await message.locator('.kith-msg-body').textContent()).toBe(hostile);
    expect(await view.panel.locator('img, script, b').count()).toBe(0);
    await page.waitForTimeout(500);
    expect(dialogs).toEqual([]);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBe(
      undefined,
    );
    await page.close();
  });
});
