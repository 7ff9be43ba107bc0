/**
 * The inbox and the share sheet end to end: two friends, each in their own Chromium profile
 * with the built extension signed in, on a live Kith server. Ben reads and answers in the
 * popup's inbox; the dock on a clip counts only what others said that he has not read; Ana
 * shares a clip at a moment to Ben, with whom she has no direct thread yet, and Ben opens it
 * from its card in his inbox, landing on the thread at that moment.
 */
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { expectNoSeriousViolations } from '../fixtures/axe';
import {
  type FixtureServer,
  type FriendsWorld,
  type KithBrowser,
  launchBrowserPair,
  openOverlayTab,
  overlayOf,
  screenshot,
  sharedSetup,
  signInEach,
  startFriendsWorld,
} from '../fixtures/browser';
import type { TestUser } from '../fixtures/deps';

const PASSWORD = 'correct horse battery';
const CLIP_PAGE = '/@scout2015/video/7301234567890123451';
const CLIP_URL = 'https://www.tiktok.com/@scout2015/video/7301234567890123451';

describe('the inbox and the share sheet, two friends', () => {
  let base: FriendsWorld;
  let fixtures: FixtureServer;
  let server: RunningServer;
  let ana: TestUser;
  let ben: TestUser;
  let groupId: string;
  let anaBrowser: KithBrowser;
  let benBrowser: KithBrowser;

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

  const unreadFor = async (user: TestUser, id: string) =>
    (await user.api.groups.list()).find((g) => g.id === id)?.unread;

  async function openInbox(browser: KithBrowser): Promise<Page> {
    const popup = await browser.openExtensionPage('popup.html');
    await popup.setViewportSize({ width: 400, height: 700 });
    await popup.getByRole('tab', { name: 'Inbox' }).waitFor();
    return popup;
  }

  it('Ben reads a thread in the inbox and replies; edits, reactions and deletes show live', async () => {
    await world.get();
    const hello = await ana.api.messages.send({ groupId, clientId: randomUUID(), body: 'hello' });
    await ana.api.messages.send({ groupId, clientId: randomUUID(), body: 'are you up?' });
    expect(await unreadFor(ben, groupId)).toBe(2);

    const popup = await openInbox(benBrowser);
    const row = popup.locator('.list.groups button.group', { hasText: 'Roommates' });
    await row.locator('.count', { hasText: '2' }).waitFor();
    expect(await row.locator('.preview').textContent()).toBe('Ana: are you up?');
    await screenshot(popup, 'inbox-list');

    await row.click();
    const thread = popup.locator('.conversation .thread');
    await thread.locator('.msg', { hasText: 'are you up?' }).waitFor();
    expect(
      await thread.locator('.msg .msg-body').evaluateAll((els) => els.map((e) => e.textContent)),
    ).toEqual(['hello', 'are you up?']);
    // Opening the thread read it.
    await expect.poll(() => unreadFor(ben, groupId)).toBe(0);

    const reply = popup.getByRole('textbox', { name: 'Reply' });
    await reply.fill('yes, what is it?');
    await reply.press('Enter');
    await thread.locator('.msg.mine', { hasText: 'yes, what is it?' }).waitFor();
    await thread.locator('.msg.mine .msg-state').waitFor({ state: 'detached', timeout: 15_000 });
    const listed = await ana.api.messages.list({ groupId });
    expect(listed.messages.map((m) => [m.sender?.handle, m.body])).toEqual([
      [ana.handle, 'hello'],
      [ana.handle, 'are you up?'],
      [ben.handle, 'yes, what is it?'],
    ]);
    // Ben's own reply never counts as unread for him; it does for Ana.
    expect(await unreadFor(ben, groupId)).toBe(0);
    expect(await unreadFor(ana, groupId)).toBe(1);

    // Ana edits, reacts and deletes: the open thread follows without a reload.
    await ana.api.messages.edit({ messageId: hello.id, body: 'hello there' });
    await thread.locator('.msg .msg-body', { hasText: 'hello there' }).waitFor();
    await ana.api.messages.react({ messageId: hello.id, emoji: '🔥' });
    await thread.locator('.msg', { hasText: 'hello there' }).locator('.kith-reaction').waitFor();
    expect(
      await thread
        .locator('.msg', { hasText: 'hello there' })
        .locator('.kith-reaction')
        .textContent(),
    ).toBe('🔥 1');
    await ana.api.messages.delete({ messageId: hello.id });
    await thread.locator('.msg .msg-body.deleted').waitFor();
    expect(await thread.locator('.msg', { hasText: 'hello there' }).count()).toBe(0);
    await screenshot(popup, 'inbox-thread');
    await popup.close();
  });

  it("the dock counts only others' unread messages about the clip, and opening lands on Chat", async () => {
    await world.get();
    const page = await benBrowser.context.newPage();
    await page.goto(fixtures.url('www.tiktok.com', CLIP_PAGE));
    const o = overlayOf(page);
    await o.dock.waitFor({ state: 'visible', timeout: 15_000 });

    // Ben says two things about the clip, Ana one: only Ana's is unread for Ben.
    for (const body of ['first!', 'watch the ears']) {
      await ben.api.messages.send({
        groupId,
        clientId: randomUUID(),
        body,
        clip: { url: CLIP_URL },
      });
    }
    await ana.api.messages.send({
      groupId,
      clientId: randomUUID(),
      body: 'the landing though',
      clip: { url: CLIP_URL },
    });
    expect(await unreadFor(ben, groupId)).toBe(1);
    const count = o.dock.locator('.kith-count');
    await expect.poll(() => count.textContent(), { timeout: 20_000 }).toBe('1');
    expect(await o.dock.getAttribute('aria-label')).toBe('Kith: 1 unread message about this clip');
    await screenshot(page, 'inbox-dock-unread');

    // Opening lands on Chat (not Share), on the thread the unread message is in.
    await o.dock.click();
    await o.panel.getByRole('tab', { name: 'Chat', selected: true }).waitFor();
    await o.messages.filter({ hasText: 'the landing though' }).waitFor();
    // Read: the count goes, on the dock and on the server.
    await expect.poll(() => unreadFor(ben, groupId), { timeout: 15_000 }).toBe(0);
    await count.waitFor({ state: 'detached', timeout: 15_000 });
    await page.close();
  });

  it('Ana shares a clip at a moment to Ben, with no direct thread yet; Ben opens it from its card at that moment', async () => {
    await world.get();
    const before = await ana.api.groups.list();
    expect(before.some((g) => g.kind === 'direct')).toBe(false);

    const anaPage = await anaBrowser.context.newPage();
    await anaPage.goto(fixtures.url('www.tiktok.com', CLIP_PAGE));
    const share = await openOverlayTab(anaPage, 'Share');
    // Groups lead the recent row; Ben, a friend with no thread, is found by the search box.
    await share.panel.locator('.kith-recent').getByText('Roommates').waitFor();
    await share.panel.getByRole('searchbox', { name: 'Search people and groups' }).fill('ben');
    await share.panel.locator('.kith-rest').getByLabel('Ben').check();
    await expectNoSeriousViolations(anaPage, 'the share sheet with a search', 'kith-overlay');
    await share.panel.getByRole('textbox', { name: 'Note (optional)' }).fill('look at 0:01');
    await anaPage.evaluate(() => {
      const video = document.querySelector('video')!;
      video.pause();
      video.currentTime = 1.4;
    });
    await share.panel.getByRole('button', { name: 'at 0:01' }).click();
    await share.panel.getByRole('button', { name: 'Share', exact: true }).click();
    await share.panel.getByRole('status').getByText('Shared to Ben.').waitFor();
    await screenshot(anaPage, 'share-to-person');

    // The share opened a direct thread, and the share is its last message, clip and moment.
    const direct = (await ana.api.groups.list()).find((g) => g.kind === 'direct');
    expect(direct).toMatchObject({
      peer: { id: ben.id },
      lastMessage: {
        kind: 'clip',
        body: 'look at 0:01',
        atSeconds: 1,
        clip: { site: 'tiktok', url: CLIP_URL, title: expect.stringMatching(/^Scout learns/) },
      },
    });
    expect(await unreadFor(ben, direct!.id)).toBe(1);

    // The next share sheet has Ben's thread first, chosen already.
    await anaPage.reload();
    const again = await openOverlayTab(anaPage, 'Share');
    const first = again.panel.locator('.kith-recent label.kith-group').first();
    await first.getByText('Ben', { exact: true }).waitFor();
    expect(await first.locator('input').isChecked()).toBe(true);
    await anaPage.close();

    // Ben's inbox: the thread named after Ana, the share as its preview.
    await benBrowser.context.addInitScript(() => {
      const seeks: number[] = [];
      (window as unknown as { seeks: number[] }).seeks = seeks;
      document.addEventListener(
        'seeking',
        (e) => seeks.push((e.target as HTMLVideoElement).currentTime),
        true,
      );
    });
    const popup = await openInbox(benBrowser);
    const row = popup
      .locator('.list.groups button.group')
      .filter({ has: popup.locator('.name', { hasText: /^Ana$/ }) });
    await row.locator('.count', { hasText: '1' }).waitFor();
    expect(await row.locator('.preview').textContent()).toMatch(
      /^shared “Scout learns to skateboard.*” at 0:01 — look at 0:01$/,
    );
    await row.click();
    const card = popup.locator('.conversation .kith-clip-card');
    await card.waitFor();
    expect(await card.locator('.kith-card-title').textContent()).toMatch(/^Scout learns/);
    expect(await card.locator('.kith-clip-moment').textContent()).toBe(' · at 0:01');
    await screenshot(popup, 'inbox-clip-card');
    await expectNoSeriousViolations(popup, "the inbox's thread with a clip card");

    // Clicking the card opens the clip in a tab, with the overlay on this thread at 0:01.
    const tabsBefore = new Set(benBrowser.context.pages());
    await card.click();
    // The clip's new tab (the first page a new tab shows may be a passing error page).
    let newTab: Page | undefined;
    await expect
      .poll(
        () => {
          newTab = benBrowser.context
            .pages()
            .find((p) => !tabsBefore.has(p) && p.url() === CLIP_URL);
          return benBrowser.context
            .pages()
            .filter((p) => !tabsBefore.has(p))
            .map((p) => p.url());
        },
        { timeout: 30_000 },
      )
      .toContain(CLIP_URL)
      .catch(async (error) => {
        // Say what the browser showed instead (a network or certificate error page says which).
        const shown = await Promise.all(
          benBrowser.context
            .pages()
            .filter((p) => !tabsBefore.has(p))
            .map(
              async (p) =>
                `${p.url()}: ${(await p.textContent('body').catch(() => ''))?.slice(0, 200)}`,
            ),
        );
        throw new Error(`the clip's tab did not load; new tabs show ${shown.join(' | ')}`, {
          cause: error,
        });
      });
    const clipPage = newTab;
    if (!clipPage) throw new Error('no tab opened on the clip');
    const o = overlayOf(clipPage);
    await o.panel.getByRole('tab', { name: 'Chat', selected: true }).waitFor({ timeout: 15_000 });
    await o.messages.filter({ hasText: 'look at 0:01' }).waitFor();
    expect(await o.panel.locator('select').inputValue()).toBe(direct!.id);
    await expect
      .poll(() => clipPage.evaluate(() => (window as unknown as { seeks: number[] }).seeks))
      .toContain(1);
    await screenshot(clipPage, 'inbox-clip-opened');
    await Promise.all([clipPage.close(), popup.close()]);
  });
});
