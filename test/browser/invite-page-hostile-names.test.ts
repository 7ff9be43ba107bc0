import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../server/app';
import type { Deps } from '../../server/deps';
import { widgetRoutes } from '../../server/widgets-routes';
import { buildPages } from '../../widgets/build';
import { chromiumPath } from '../fixtures/browser';
import { openTestDatabase, type TestDatabase } from '../fixtures/db';
import { makeDeps, signUp } from '../fixtures/deps';
import { HOSTILE_GLOBAL, hostileFor } from '../fixtures/hostile';

/**
 * The invite page (`/invite/<code>`) names the inviter. An inviter whose display name is
 * markup, a script or a bidi trick: in Chromium, the page shows the name as the very text it is,
 * runs nothing, makes no element of it, and signing up through it names the inviter the same way
 * (isolated from the sentence around it).
 */
describe('the invite page with hostile inviter names, in Chromium', () => {
  let database: TestDatabase;
  let deps: Deps;
  let server: RunningServer;
  let browser: Browser;
  let dist: string;

  beforeAll(async () => {
    database = await openTestDatabase('pglite');
    deps = makeDeps(database.db);
    dist = await mkdtemp(path.join(os.tmpdir(), 'kith-invite-'));
    await buildPages(path.join(dist, 'console'));
    server = await startServer(deps, {
      routes: [
        widgetRoutes(deps, {
          widgetsDir: path.join(dist, 'widgets'),
          pagesDir: path.join(dist, 'console'),
        }),
      ],
    });
    browser = await chromium.launch({ executablePath: chromiumPath() });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await database?.close();
    if (dist) await rm(dist, { recursive: true, force: true });
  });

  it('shows each name as text, runs nothing and signs up naming the inviter', async () => {
    let n = 0;
    for (const payload of hostileFor(60)) {
      n += 1;
      const inviter = await signUp(deps, 'inviter');
      const displayName = payload.text.trim();
      if (!displayName) continue;
      await inviter.api.auth.update({ displayName });
      const invite = await inviter.api.friends.createInvite();
      const page = await browser.newPage();
      const dialogs: string[] = [];
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      await page.goto(`${server.url}/invite/${invite.code}`);
      const title = page.locator('#invite-title');
      await expect.poll(() => title.textContent()).toContain('invited you to Kith');
      expect(await title.locator('bdi').first().textContent(), payload.name).toBe(displayName);
      expect(await page.title(), payload.name).toBe(`${displayName} invited you to Kith`);

      // Sign up through the page: the answer names the inviter, again as text.
      await page.locator('input[name="handle"]').fill(`guest_${n}_${process.pid % 1000}`);
      await page.locator('input[name="password"]').fill('correct horse battery');
      await page.locator('form button[type="submit"]').first().click();
      await expect
        .poll(() => page.locator('#invite-outcome').textContent(), { timeout: 15_000 })
        .toContain(displayName);
      // Isolated, so a right-to-left override in the name cannot turn the rest of the line.
      expect(await page.locator('#invite-outcome bdi').textContent(), payload.name).toBe(
        displayName,
      );

      expect(dialogs, payload.name).toEqual([]);
      expect(await page.evaluate((g) => (window as never)[g] ?? null, HOSTILE_GLOBAL)).toBeNull();
      expect(await page.locator('[data-hostile]').count(), payload.name).toBe(0);
      await page.close();
    }
  }, 240_000);
});
