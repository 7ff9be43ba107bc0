/**
 * Kith in Firefox ESR, end to end, as a new user would try it: the Firefox build (MV2) installed
 * as a temporary add-on, sign-in through the popup to a self-hosted server typed as host:port,
 * the popup's tabs at its 360 px width, then the overlay on a TikTok fixture page: share the clip
 * to a group and send a message, both stored once on the server.
 *
 * Driven by puppeteer-core over WebDriver BiDi. The site hostnames resolve to 127.0.0.1
 * (`network.dns.localDomains`), where the HTTPS fixture server listens on port 443: this is the
 * only test file that uses that port. Needs Debian's firefox-esr (`apt-get install -y
 * firefox-esr`; `.ci/run` installs it) or FIREFOX_PATH.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import {
  type FixtureServer,
  screenshot,
  sharedSetup,
  startFixtureServer,
  wxtBuild,
} from '../fixtures/browser';
import { openTestDatabase, type TestDatabase } from '../fixtures/db';
import { befriend, makeDeps, signUp, type TestUser } from '../fixtures/deps';
import { startLive } from '../fixtures/live';

const PASSWORD = 'correct horse battery';
const CLIP_PAGE = 'https://www.tiktok.com/@scout2015/video/7301234567890123451';
const CLIP_URL = CLIP_PAGE;
const ADDON_ID = 'kith@kith.app';
const ADDON_UUID = randomUUID();

function firefoxPath(): string {
  const file = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
  if (!existsSync(file))
    throw new Error(
      `Firefox is not installed at ${file}. Install Debian's Firefox ESR (apt-get install -y firefox-esr; .ci/run does) or set FIREFOX_PATH.`,
    );
  return file;
}

/** `wxt build -b firefox` into a folder of its own; returns the firefox-mv2 directory. */
async function buildFirefox(out: string): Promise<string> {
  await wxtBuild(out, 'firefox');
  return path.join(out, 'firefox-mv2');
}

interface World {
  browser: Browser;
  fixtures: FixtureServer;
  server: RunningServer;
  database: TestDatabase;
  me: TestUser;
  friend: TestUser;
  groupId: string;
}

let out: string | undefined;
let profile: string | undefined;
let opened: Partial<World> = {};

const world = sharedSetup(async (): Promise<World> => {
  const executablePath = firefoxPath();
  out = await mkdtemp(path.join(tmpdir(), 'kith-firefox-build-'));
  profile = await mkdtemp(path.join(tmpdir(), 'kith-firefox-profile-'));
  const [extensionDir, fixtures, database] = await Promise.all([
    buildFirefox(out),
    startFixtureServer(undefined, undefined, 443),
    openTestDatabase('pglite'),
  ]);
  opened = { fixtures, database };
  const deps = makeDeps(database.db);
  const server = await startLive(deps);
  opened.server = server;
  const me = await signUp(deps, 'Fern');
  const friend = await signUp(deps, 'Gus');
  await befriend(me, friend);
  const group = await me.api.groups.create({ name: 'Ski trip', memberIds: [friend.id] });
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath,
    headless: true,
    protocol: 'webDriverBiDi',
    acceptInsecureCerts: true,
    args: ['--remote-allow-system-access'],
    userDataDir: profile,
    extraPrefsFirefox: {
      'extensions.webextensions.uuids': JSON.stringify({ [ADDON_ID]: ADDON_UUID }),
      'network.dns.localDomains': 'www.tiktok.com,www.youtube.com,www.instagram.com',
      'dom.security.https_first': false,
      'dom.security.https_only_mode': false,
      'network.stricttransportsecurity.preloadlist': false,
      'media.autoplay.default': 0,
    },
  });
  opened.browser = browser;
  await browser.installExtension(extensionDir);
  return { browser, fixtures, server, database, me, friend, groupId: group.id };
});
beforeAll(world.start, 240_000);

afterAll(async () => {
  await opened.browser?.close().catch(() => undefined);
  await opened.server?.close();
  await opened.database?.close();
  await opened.fixtures?.close();
  for (const dir of [out, profile]) if (dir) await rm(dir, { recursive: true, force: true });
});

/** Clicks the first element matching `selector` whose text is `text` (shadow roots pierced). */
async function clickText(page: Page, selector: string, text: string | RegExp) {
  const handle = await page.waitForFunction(
    (sel, source, flags) => {
      const pattern = new RegExp(source, flags);
      const all: Element[] = [];
      const visit = (root: Document | ShadowRoot) => {
        for (const el of root.querySelectorAll('*')) {
          if (el.matches(sel)) all.push(el);
          if (el.shadowRoot) visit(el.shadowRoot);
        }
      };
      visit(document);
      return all.find((el) => pattern.test((el.textContent ?? '').trim())) ?? null;
    },
    { timeout: 15_000 },
    selector,
    typeof text === 'string' ? `^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$` : text.source,
    typeof text === 'string' ? '' : text.flags,
  );
  await (handle as unknown as { click(): Promise<void> }).click();
}

describe('Kith in Firefox ESR', () => {
  let popup: Page;

  it('a new user signs in from the popup to a server typed as host:port', async () => {
    const { browser, server, me } = await world.get();
    popup = await browser.newPage();
    await popup.setViewport({ width: 360, height: 600 });
    // Firefox loads extension pages without the navigation events puppeteer waits for over
    // BiDi: start the load, then wait for the page's own content.
    await popup
      .goto(`moz-extension://${ADDON_UUID}/popup.html`, { timeout: 5_000 })
      .catch(() => undefined);
    await popup.waitForSelector('form.sign-in', { timeout: 15_000 });
    // The privacy notice comes first; it links to the server's privacy page.
    await clickText(popup, 'button', 'Got it');
    await clickText(popup, 'button', 'Change');
    const address = new URL(server.url).host; // 127.0.0.1:<port>, no scheme
    await popup.type('input[name=handle]', me.handle);
    await popup.type('input[name=password]', PASSWORD);
    const field = await popup.waitForSelector('input[name=serverUrl]');
    await field!.click({ count: 3 });
    await popup.keyboard.press('Backspace');
    await field!.type(address);
    await clickText(popup, 'button[type=submit]', 'Sign in');
    await popup.waitForSelector('.tabs [role=tab]', { timeout: 20_000 });
    await clickText(popup, '*', 'Ski trip');
    await screenshot(popup as never, 'firefox-popup-signed-in').catch(() => undefined);
  }, 60_000);

  it('every popup tab fits on one line at 360 px, none clipped', async () => {
    await world.get();
    const tabs = await popup.$$eval('.tabs [role=tab]', (els) => {
      const bar = els[0]!.parentElement!.getBoundingClientRect();
      return els.map((el) => {
        const r = el.getBoundingClientRect();
        return {
          text: (el.textContent ?? '').trim(),
          clipped: el.scrollWidth > el.clientWidth + 1,
          outside: r.left < bar.left - 1 || r.right > bar.right + 1,
          top: Math.round(r.top),
          lines: Math.round(r.height / Number.parseFloat(getComputedStyle(el).lineHeight || '20')),
        };
      });
    });
    expect(tabs.map((t) => t.text)).toContain('This site');
    expect(tabs.filter((t) => t.clipped || t.outside).map((t) => t.text)).toEqual([]);
    expect(new Set(tabs.map((t) => t.top)).size, JSON.stringify(tabs)).toBe(1);
  });

  it('on a TikTok clip the overlay docks; sharing the clip and sending a message reach the server once', async () => {
    const { browser, me, groupId } = await world.get();
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 800 });
    await page.goto(CLIP_PAGE);
    const dock = await page.waitForSelector('pierce/.kith-dock', { timeout: 30_000 });
    await dock!.click();
    await clickText(page, '[role=tab]', 'Share');
    await clickText(page, 'label.kith-group', /Ski trip/);
    await page.type('pierce/.kith-share textarea', 'fresh powder');
    await clickText(page, 'button.kith-primary', 'Share');
    await clickText(page, '[role=status]', /Shared to Ski trip\./);

    await clickText(page, '[role=tab]', 'Chat');
    const composer = await page.waitForSelector('pierce/[aria-label=Message]');
    await composer!.type('see you at the lift');
    await composer!.press('Enter');
    await clickText(page, '.kith-msg', /see you at the lift/);

    const thread = await me.api.clips.thread({ groupId, url: CLIP_URL });
    expect(thread.messages.map((m) => [m.sender?.handle, m.body])).toEqual([
      [me.handle, 'fresh powder'],
      [me.handle, 'see you at the lift'],
    ]);
    await page.close();
  }, 90_000);
});
