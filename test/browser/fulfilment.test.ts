/**
 * Fulfilment in real Chromium: the console's Orders tab shows a paid order's email and address,
 * filters by status, exports CSV and marks the order shipped; a shop button on a brand's site
 * shows Buy off with the reason before any click (sold out, brand not set up to ship).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import type { Deps } from '../../server/deps';
import { buildPages, buildWidgets } from '../../widgets/build';
import { type FakeStripe, startFakeStripe } from '../fakes/stripe';
import { chromiumPath, startWidgetServer } from '../fixtures/browser';
import { makeBrand, makeProduct, newClientId, type Shop } from '../fixtures/commerce';
import { openTestDatabase, type TestDatabase } from '../fixtures/db';
import { makeDeps, signUp, type TestUser } from '../fixtures/deps';

let dist: string;
let database: TestDatabase;
let fake: FakeStripe;
let deps: Deps;
let server: RunningServer;
let browser: Browser;
let owner: TestUser;
let buyer: TestUser;
let brandId: string;
let site: { server: Server; origin: string };

beforeAll(async () => {
  dist = await mkdtemp(path.join(os.tmpdir(), 'kith-fulfilment-browser-'));
  await buildWidgets(path.join(dist, 'widgets'));
  await buildPages(path.join(dist, 'console'));
  database = await openTestDatabase('pglite');
  fake = await startFakeStripe();
  deps = makeDeps(database.db);
  server = await startWidgetServer(deps, fake, dist);
  owner = await signUp(deps, 'shipper');
  buyer = await signUp(deps, 'receiver');
  brandId = (await makeBrand({ fake } as Shop, owner, { name: 'Lamp Works' })).id;
  // A brand site with shop buttons, on another origin.
  const httpServer = createServer((req, res) => {
    const ids = new URL(req.url ?? '/', 'http://x').searchParams.getAll('p');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Lamps</title>
<script type="module" src="${server.url}/widgets/kith.js"></script></head><body>
${ids.map((id) => `<kith-shop-button product="${id}"></kith-shop-button>`).join('\n')}
</body></html>`);
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  site = {
    server: httpServer,
    origin: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`,
  };
  browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => site?.server.close(resolve));
  await server?.close();
  await fake?.close();
  await database?.close();
  if (dist) await rm(dist, { recursive: true, force: true });
});

describe('fulfilment in the browser', () => {
  it('the console Orders tab shows email and address, filters, exports CSV and marks shipped', async () => {
    const lamp = await makeProduct(owner, brandId, { title: 'Desk lamp', priceCents: 4200 });
    const { orderId } = await buyer.api.checkout.create({
      items: [{ productId: lamp.id, quantity: 1 }],
      clientId: newClientId(),
    });
    await fake.pay(fake.sessionForOrder(orderId)!.id as string, {
      email: 'ana@example.com',
      shipping: {
        name: 'Ana Buyer',
        address: {
          line1: '5 Elm Row',
          line2: null,
          city: 'Leeds',
          state: null,
          postal_code: 'LS1 1AA',
          country: 'GB',
        },
      },
    });
    const context = await browser.newContext({
      viewport: { width: 1300, height: 900 },
      acceptDownloads: true,
    });
    await context.addInitScript((token: string) => {
      if (location.pathname.startsWith('/console')) localStorage.setItem('kith:token', token);
    }, owner.token);
    const page = await context.newPage();
    await page.goto(`${server.url}/console#orders`);
    const row = page.locator(`tr[data-order="${orderId}"]`);
    await row.waitFor();
    await expect.poll(() => row.locator('.ship-to').textContent()).toContain('ana@example.com');
    const shipTo = await row.locator('.ship-to').textContent();
    expect(shipTo).toContain('Ana Buyer');
    expect(shipTo).toContain('5 Elm Row');
    expect(shipTo).toContain('LS1 1AA Leeds');

    // CSV of what is shown.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    const csv = await readFile((await download.path())!, 'utf8');
    expect(csv.split('\r\n')[0]).toBe(
      'order,created,status,email,name,address,items,total,currency,carrier,tracking',
    );
    expect(csv).toContain(`"${orderId}"`);
    expect(csv).toContain('"ana@example.com","Ana Buyer","5 Elm Row, LS1 1AA Leeds, GB"');

    // Mark shipped.
    await row.getByLabel('Carrier').fill('DHL');
    await row.getByLabel('Tracking number').fill('JD0146000033');
    await row.getByRole('button', { name: 'Mark shipped' }).click();
    await expect
      .poll(() => row.locator('[data-status]').getAttribute('data-status'))
      .toBe('shipped');
    await expect
      .poll(() => row.locator('.tracking a').getAttribute('href'))
      .toMatch(/dhl\.com.*JD0146000033/);
    expect((await buyer.api.orders.get({ orderId })).status).toBe('shipped');

    // The status filter shows only shipped orders, then only paid ones (none left).
    await page.getByLabel('Status').selectOption('paid');
    await expect.poll(() => page.locator(`tr[data-order="${orderId}"]`).count()).toBe(0);
    await page.getByLabel('Status').selectOption('shipped');
    await page.locator(`tr[data-order="${orderId}"]`).waitFor();
    await context.close();
  });

  it('a shop button shows Buy off with the reason before any click', async () => {
    const gone = await makeProduct(owner, brandId, { title: 'Last lamp', stock: 0 });
    const ready = await makeProduct(owner, brandId, { title: 'Floor lamp', stock: 3 });
    const other = await signUp(deps, 'noship');
    const noShip = await makeBrand({ fake } as Shop, other, {
      name: 'Nowhere Co',
      shippingCountries: [],
    });
    const heavy = await makeProduct(other, noShip.id, { title: 'Anvil' });
    const page = await browser.newPage();
    await page.goto(`${site.origin}/?p=${gone.id}&p=${ready.id}&p=${heavy.id}`);
    const button = (id: string) => page.locator(`kith-shop-button[product="${id}"]`);
    const buy = (id: string) => button(id).locator('[part~="buy"]');
    await buy(gone.id).waitFor();
    await buy(heavy.id).waitFor();
    await buy(ready.id).waitFor();
    expect(await buy(gone.id).isDisabled()).toBe(true);
    expect(await buy(gone.id).textContent()).toBe('Sold out');
    expect(await button(gone.id).locator('[part="message"]').textContent()).toBe('Sold out');
    expect(await buy(heavy.id).isDisabled()).toBe(true);
    expect(await buy(heavy.id).textContent()).toBe('Unavailable');
    expect(await button(heavy.id).locator('[part="message"]').textContent()).toBe(
      'Nowhere Co does not ship yet',
    );
    expect(await buy(ready.id).isDisabled()).toBe(false);
    expect(await buy(ready.id).textContent()).toBe('Buy now');
    await page.close();
  });
});
