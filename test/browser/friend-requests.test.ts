import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../server/app';
import type { Deps } from '../../server/deps';
import { homeRoutes } from '../../server/pages/home';
import { widgetRoutes } from '../../server/widgets-routes';
import { buildPages } from '../../widgets/build';
import { expectNoSeriousViolations } from '../fixtures/axe';
import {
  buildExtension,
  chromiumPath,
  type FixtureServer,
  type KithBrowser,
  launchBrowser,
  launchBrowserPair,
  screenshot,
  sharedSetup,
  signInEach,
  startFixtureServer,
  textsOf,
} from '../fixtures/browser';
import { openTestDatabase, type TestDatabase } from '../fixtures/db';
import { makeDeps, signUp, type TestUser } from '../fixtures/deps';

/**
 * Friends in one step, in Chromium with the real extension: two signed-in people, one adds the
 * other by handle from the popup, the other sees the request counted on the Friends tab as it
 * arrives, accepts, and both see each other as friends. Then sign-ups through an invite: on the
 * server's invite page, and in the popup with the invite link pasted.
 */

const PASSWORD = 'correct horse battery';

interface World {
  extensionDir: string;
  fixtures: FixtureServer;
  database: TestDatabase;
  server: RunningServer;
  deps: Deps;
  browsers: [KithBrowser, KithBrowser];
  ana: TestUser;
  ben: TestUser;
}

let dist: string | undefined;
const closers: (() => Promise<unknown>)[] = [];

const world = sharedSetup(async (): Promise<World> => {
  chromiumPath();
  dist = await mkdtemp(path.join(os.tmpdir(), 'kith-friends-'));
  const [extensionDir, fixtures, database] = await Promise.all([
    buildExtension(),
    startFixtureServer(),
    openTestDatabase('pglite'),
    buildPages(path.join(dist, 'console')),
  ]);
  closers.unshift(
    () => fixtures.close(),
    () => database.close(),
  );
  const deps = makeDeps(database.db);
  const server = await startServer(deps, {
    routes: [widgetRoutes(deps, { pagesDir: path.join(dist, 'console') }), homeRoutes(deps)],
  });
  closers.unshift(() => server.close());
  // Invite links point at this server.
  deps.env = { ...deps.env, PUBLIC_URL: server.url };
  const ana = await signUp(deps, 'Ana');
  const ben = await signUp(deps, 'Ben');
  const browsers = await launchBrowserPair({ extensionDir, fixtures });
  closers.unshift(
    () => browsers[0].close(),
    () => browsers[1].close(),
  );
  await signInEach(
    [
      [browsers[0], ana],
      [browsers[1], ben],
    ],
    server.url,
    PASSWORD,
  );
  return { extensionDir, fixtures, database, server, deps, browsers, ana, ben };
});

async function openPopup(browser: KithBrowser): Promise<Page> {
  const popup = await browser.openExtensionPage('popup.html');
  await popup.setViewportSize({ width: 380, height: 640 });
  return popup;
}

const friendsTab = (popup: Page) => popup.getByRole('tab', { name: /^Friends/ });
const friendNames = (popup: Page) => textsOf(popup.locator('[data-testid=friend-list] .row .name'));

describe('friends in one step, in Chromium', () => {
  beforeAll(world.start);
  afterAll(async () => {
    await world.settled();
    for (const close of closers.splice(0)) await close().catch(() => undefined);
    if (dist) await rm(dist, { recursive: true, force: true });
  });

  it('a request by handle is counted live on the other popup, accepted, and both are friends', async () => {
    const { browsers, ana, ben } = await world.get();
    const anaPopup = await openPopup(browsers[0]);
    const benPopup = await openPopup(browsers[1]);
    await friendsTab(anaPopup).click();
    await friendsTab(benPopup).waitFor();
    await expect(benPopup.locator('[data-testid=friend-request-count]').count()).resolves.toBe(0);

    await anaPopup.getByRole('textbox', { name: 'Handle to add' }).fill(`@${ben.handle}`);
    await anaPopup.getByRole('button', { name: 'Add', exact: true }).click();
    await anaPopup
      .locator('[data-testid=outgoing-request]', { hasText: ben.handle })
      .waitFor({ timeout: 15_000 });

    // Ben's popup, open on Groups, counts the request as it arrives, with no reload.
    const count = benPopup.locator('[data-testid=friend-request-count]');
    await count.waitFor({ timeout: 15_000 });
    expect((await count.textContent())?.replace(/\D/g, '')).toBe('1');
    await expect(friendsTab(benPopup).getAttribute('aria-selected')).resolves.toBe('false');
    await friendsTab(benPopup).click();
    const incoming = benPopup.locator('[data-testid=incoming-request]');
    await expect(textsOf(incoming.locator('.name'))).resolves.toEqual(['Ana']);
    await screenshot(benPopup, 'popup-friend-request');
    await expectNoSeriousViolations(benPopup, 'the Friends tab with a request waiting');
    await benPopup.getByRole('button', { name: 'Accept Ana' }).click();

    await benPopup
      .locator('[data-testid=friend-list] .row', { hasText: ana.handle })
      .waitFor({ timeout: 15_000 });
    await expect(count.count()).resolves.toBe(0);
    await expect(incoming.count()).resolves.toBe(0);
    // Ana's popup hears of the acceptance: Ben moves from waiting to her friends.
    await anaPopup
      .locator('[data-testid=friend-list] .row', { hasText: ben.handle })
      .waitFor({ timeout: 15_000 });
    await expect(anaPopup.locator('[data-testid=outgoing-request]').count()).resolves.toBe(0);
    await expect(friendNames(anaPopup)).resolves.toEqual(['Ben']);
    await expect(friendNames(benPopup)).resolves.toEqual(['Ana']);
    // The server agrees.
    expect((await ana.api.friends.list()).map((f) => f.id)).toEqual([ben.id]);

    // The search box narrows the list, by name or handle.
    const search = benPopup.getByRole('searchbox', { name: 'Search friends' });
    await search.fill('zzz');
    await expect(friendNames(benPopup)).resolves.toEqual([]);
    await benPopup.getByText('No friend matches').waitFor();
    await search.fill(`@${ana.handle.slice(0, 4)}`);
    await expect(friendNames(benPopup)).resolves.toEqual(['Ana']);
    // The Account tab's switch: off, and a request by Ben's handle looks like nobody's.
    await benPopup.getByRole('tab', { name: 'Account' }).click();
    const findable = benPopup.getByRole('checkbox', { name: /Let people who know my handle/ });
    await expect(findable.isChecked()).resolves.toBe(true);
    // A click (not uncheck()): the box follows the server's answer, a moment later.
    await findable.click();
    await benPopup.getByText('Nobody can find you by handle now').waitFor({ timeout: 15_000 });
    await expect(findable.isChecked()).resolves.toBe(false);
    expect((await ben.api.auth.me()).settings.findableByHandle).toBe(false);
    await anaPopup.close();
    await benPopup.close();
  }, 120_000);

  it('the invite page names the inviter and signs a new person up as their friend', async () => {
    const { browsers, server, ana } = await world.get();
    const invite = await ana.api.friends.createInvite();
    // A stranger's browser: its own profile, nobody signed in on the server's pages.
    const page = await browsers[0].context.newPage();
    await page.goto(`${server.url}/invite/${invite.code}`);
    await expect(page.locator('h1#invite-title').textContent()).resolves.toBe(
      'Ana invited you to Kith',
    );
    const extensionLink = page.getByRole('link', { name: 'Get the Kith extension' });
    await expect(extensionLink.getAttribute('href')).resolves.toBe('/#extension');
    const handle = `web_${Date.now() % 1_000_000}`;
    await page.getByRole('textbox', { name: 'Handle' }).fill(handle);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    const outcome = page.locator('#invite-outcome');
    await outcome.waitFor({ timeout: 15_000 });
    await expect(outcome.textContent()).resolves.toMatch(/you and Ana are friends now/);
    await screenshot(page, 'invite-page-signed-up');
    const friends = await ana.api.friends.list();
    expect(friends.map((f) => f.handle)).toContain(handle);

    // A used link still lets the next person sign up, and says why no friendship was made.
    const other = await browsers[1].context.newPage();
    await other.goto(`${server.url}/invite/${invite.code}`);
    await expect(other.locator('#invite-state').getAttribute('data-state')).resolves.toBe('used');
    await other.getByRole('textbox', { name: 'Handle' }).fill(`${handle}_2`);
    await other.getByLabel('Password').fill(PASSWORD);
    await other.getByRole('button', { name: 'Create account' }).click();
    await other.locator('#invite-outcome').waitFor({ timeout: 15_000 });
    await expect(other.locator('#invite-outcome').textContent()).resolves.toMatch(
      /not friends yet: the invite had already been used/,
    );
    expect((await ana.api.friends.list()).map((f) => f.handle)).not.toContain(`${handle}_2`);
    await page.close();
    await other.close();
  }, 120_000);

  it('signing up in the popup with a pasted invite link makes friends with the inviter', async () => {
    const { extensionDir, fixtures, server, ben } = await world.get();
    const invite = await ben.api.friends.createInvite();
    const fresh = await launchBrowser({ extensionDir, fixtures });
    closers.unshift(() => fresh.close());
    const popup = await openPopup(fresh);
    const gotIt = popup.getByRole('button', { name: 'Got it' });
    if (await gotIt.isVisible().catch(() => false)) await gotIt.click();
    await popup.getByRole('tab', { name: 'Create account' }).click();
    const handle = `pop_${Date.now() % 1_000_000}`;
    await popup.getByRole('textbox', { name: 'Handle' }).fill(handle);
    await popup.getByRole('textbox', { name: /Invite code or link/ }).fill(invite.url);
    await popup.getByLabel('Password').fill(PASSWORD);
    await popup.getByRole('button', { name: 'Change' }).click();
    await popup.getByRole('textbox', { name: 'Server' }).fill(server.url);
    await popup.locator('form.sign-in button[type=submit]').click();

    // Signed in, on the Friends tab, told who they are friends with, Ben in the list.
    await popup.locator('.notice', { hasText: 'You and Ben are friends now' }).waitFor({
      timeout: 20_000,
    });
    await expect(friendsTab(popup).getAttribute('aria-selected')).resolves.toBe('true');
    await popup
      .locator('[data-testid=friend-list] .row', { hasText: ben.handle })
      .waitFor({ timeout: 15_000 });
    await screenshot(popup, 'popup-invite-sign-up');
    expect((await ben.api.friends.list()).map((f) => f.handle)).toContain(handle);
    await popup.close();
  }, 120_000);
});
