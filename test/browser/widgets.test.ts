/**
 * The widget kit in real Chromium against the real server: a plain page on another site (a
 * second loopback origin, under a strict CSP) uses every element; checkout goes to the fake
 * Stripe; the cart survives reloads; the keyboard works; the share button hands off to the
 * extension or falls back to the share page; hostile page CSS changes nothing; the console
 * builds a shop from scratch whose pasted snippet sells; /demo shows the seeded kit.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { sql } from 'drizzle-orm';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../server/app';
import { seedDemo } from '../../server/demo-seed';
import type { Deps } from '../../server/deps';
import { widgetRoutes } from '../../server/widgets-routes';
import { buildPages, buildWidgets } from '../../widgets/build';
import { type FakeStripe, startFakeStripe } from '../fakes/stripe';
import { chromiumPath, repoRoot, startWidgetServer } from '../fixtures/browser';
import { ownChannelOnce } from '../fixtures/channels';
import { makeBrand, makeProduct, type Shop } from '../fixtures/commerce';
import { openTestDatabase, type TestDatabase } from '../fixtures/db';
import { befriend, makeDeps, signUp, type TestUser } from '../fixtures/deps';

const CLIP = 'https://www.tiktok.com/@acme/video/7311111111111111111';
const CONSOLE_CLIP = 'https://www.tiktok.com/@newbrand/video/7322222222222222222';
const MISSING = '00000000-0000-4000-8000-000000000000';
const EVIL = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';

let dist: string;
let database: TestDatabase;
let fake: FakeStripe;
let deps: Deps;
let server: RunningServer;
let site: { server: Server; origin: string; pasted: string };
let browser: Browser;
let owner: TestUser;
const ids: Record<string, string> = {};

/** Runs in every page before its scripts: records CSP violations and page errors. */
function watchPage() {
  const w = window as unknown as { __csp: string[]; __errors: string[] };
  w.__csp = [];
  w.__errors = [];
  document.addEventListener('securitypolicyviolation', (e) =>
    w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`),
  );
  window.addEventListener('error', (e) => w.__errors.push(String(e.message)));
}

/** Stands in for the extension's content script: answers hello, records every postMessage. */
function fakeExtension() {
  const w = window as unknown as { __posts: { message: unknown; target: string }[] };
  w.__posts = [];
  const post = window.postMessage.bind(window);
  window.postMessage = ((message: unknown, target: string) => {
    w.__posts.push({ message, target });
    post(message, target);
  }) as typeof window.postMessage;
  window.addEventListener('message', (e) => {
    const kith = (e.data as { kith?: { type?: string } })?.kith;
    if (e.source === window && kith?.type === 'hello')
      post({ kith: { type: 'extension', v: 1 } }, location.origin);
  });
}

function shopPage(api: string, css: string) {
  return `<!doctype html>
<html lang="en-US"><head><meta charset="utf-8"><title>Acme — plain shop</title>
<link rel="stylesheet" href="/${css}">
<script type="module" src="${api}/widgets/kith.js"></script></head>
<body>
<h1>Acme</h1>
<kith-cart id="cart"></kith-cart>
<kith-shop-button id="button" product="${ids.tote}"></kith-shop-button>
<kith-product-card id="card" product="${ids.cap}"></kith-product-card>
<kith-shop-button id="euro" lang="de-DE" product="${ids.scarf}"></kith-shop-button>
<kith-product-card id="evil" product="${ids.evil}"></kith-product-card>
<kith-shop-button id="missing" product="${MISSING}"></kith-shop-button>
<kith-shop-button id="inactive" product="${ids.inactive}"></kith-shop-button>
<kith-shoppable-video id="video" src="/media/clip.webm" clip="${CLIP}"></kith-shoppable-video>
<kith-share-button id="share" url="${CLIP}" share-title="Acme spring drop"></kith-share-button>
</body></html>`;
}

/** The brand's own site: another origin than the Kith server, with a strict CSP. */
async function startSite(api: string) {
  const video = readFileSync(path.join(repoRoot, 'test/fixtures/sites/media/clip.webm'));
  const csp = [
    "default-src 'none'",
    `script-src ${api}`,
    "style-src 'self'",
    `connect-src ${api}`,
    "img-src 'self' https: data:",
    "media-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const state = { pasted: '' };
  const httpServer = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const html = (body: string, headers: Record<string, string> = {}) =>
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...headers }).end(body);
    const css = (body: string) => res.writeHead(200, { 'content-type': 'text/css' }).end(body);
    switch (url.pathname) {
      case '/shop':
        return html(shopPage(api, 'page.css'), { 'content-security-policy': csp });
      case '/hostile':
        return html(shopPage(api, 'hostile.css'), { 'content-security-policy': csp });
      case '/page.css':
        return css('body { margin: 0; font: 16px/1.5 Georgia, serif; }');
      case '/hostile.css':
        return css(
          `html { font-size: 64px !important; }
           * { all: unset; font-size: 48px !important; line-height: 5 !important;
               font-family: "Comic Sans MS", cursive !important; color: red !important;
               letter-spacing: 6px !important; text-transform: uppercase !important; }
           button, a, img { border: 9px solid lime !important; padding: 30px !important; }`,
        );
      case '/media/clip.webm': {
        // Ranges, so the video can seek.
        const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
        const start = range ? Number(range[1]) : 0;
        const end = range?.[2] ? Number(range[2]) : video.length - 1;
        return res
          .writeHead(range ? 206 : 200, {
            'content-type': 'video/webm',
            'accept-ranges': 'bytes',
            'content-length': end - start + 1,
            ...(range ? { 'content-range': `bytes ${start}-${end}/${video.length}` } : {}),
          })
          .end(video.subarray(start, end + 1));
      }
      // A blank HTML file with nothing but the snippet pasted from the console (no CSP).
      case '/pasted':
        return html(
          `<!doctype html><html><head><meta charset="utf-8"><title>Pasted</title></head><body>\n${state.pasted}\n</body></html>`,
        );
      default:
        res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  return {
    server: httpServer,
    origin: `http://localhost:${port}`,
    get pasted() {
      return state.pasted;
    },
    set pasted(value: string) {
      state.pasted = value;
    },
  };
}

async function newContext(): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  await context.addInitScript(watchPage);
  return context;
}

async function expectCleanPage(page: Page) {
  const { csp, errors } = await page.evaluate(() => {
    const w = window as unknown as { __csp: string[]; __errors: string[] };
    return { csp: w.__csp, errors: w.__errors };
  });
  expect(csp).toEqual([]);
  expect(errors).toEqual([]);
}

/** What has focus, through shadow roots: its part, data-k or tag. */
function deepFocus(page: Page) {
  return page.evaluate(() => {
    let el = document.activeElement;
    const hosts: string[] = [];
    while (el?.shadowRoot?.activeElement) {
      hosts.push(el.id || el.localName);
      el = el.shadowRoot.activeElement;
    }
    const html = el as HTMLElement | null;
    return `${hosts.join('>')}:${html?.getAttribute('part') ?? html?.dataset.k ?? html?.localName}`;
  });
}

async function ordersOf(brandId: string) {
  const { rows } = await database.db.execute<{
    id: string;
    status: string;
    source_widget: string | null;
    source_url: string | null;
    items: { title: string; quantity: number }[];
  }>(sql`select o.id, o.status, o.source_widget, o.source_url,
           (select json_agg(json_build_object('title', i.title, 'quantity', i.quantity) order by i.title)
              from order_items i where i.order_id = o.id) as items
         from orders o where o.brand_id = ${brandId} order by o.created_at`);
  return rows;
}

beforeAll(async () => {
  const executablePath = chromiumPath();
  dist = await mkdtemp(path.join(os.tmpdir(), 'kith-widgets-browser-'));
  await buildWidgets(path.join(dist, 'widgets'));
  await buildPages(path.join(dist, 'console'));

  database = await openTestDatabase('pglite');
  fake = await startFakeStripe();
  deps = makeDeps(database.db);
  server = await startWidgetServer(deps, fake, dist);

  owner = await signUp(deps, 'acme');
  const brand = await makeBrand({ fake } as Shop, owner, { name: 'Acme Goods' });
  ids.brand = brand.id;
  ids.tote = (await makeProduct(owner, brand.id, { title: 'Canvas tote', priceCents: 2500 })).id;
  ids.cap = (await makeProduct(owner, brand.id, { title: 'Corduroy cap', priceCents: 1500 })).id;
  ids.scarf = (
    await makeProduct(owner, brand.id, { title: 'Wool scarf', priceCents: 1500, currency: 'EUR' })
  ).id;
  ids.evil = (await makeProduct(owner, brand.id, { title: EVIL })).id;
  ids.inactive = (await makeProduct(owner, brand.id, { title: 'Old mug', active: false })).id;
  await ownChannelOnce(deps, owner, CLIP, brand.id);
  await owner.api.shop.tag({ brandId: brand.id, url: CLIP, productId: ids.tote, toSeconds: 1 });
  await owner.api.shop.tag({ brandId: brand.id, url: CLIP, productId: ids.cap, fromSeconds: 0 });

  site = await startSite(server.url);
  browser = await chromium.launch({
    executablePath,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
    ],
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

describe('widgets on a brand’s own site', () => {
  it('every element renders a real product under a strict CSP', async () => {
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(`${site.origin}/shop`);
    await expect.poll(() => page.locator('#button [part="price"]').textContent()).toBe('$25.00');
    await expect
      .poll(() => page.locator('#card [part="title"]').textContent())
      .toBe('Corduroy cap');
    expect(await page.locator('#card [part="price"]').textContent()).toBe('$15.00');
    expect(await page.locator('#card [part="brand"]').textContent()).toBe('Acme Goods');
    // EUR for a German page, whatever the browser's own locale.
    await expect
      .poll(() => page.locator('#euro [part="price"]').textContent())
      .toBe('15,00\u00a0€');
    // Unknown and inactive products say so in place.
    await expect
      .poll(() => page.locator('#missing [part="message"]').textContent())
      .toBe('This product is not available.');
    await expect
      .poll(() => page.locator('#inactive [part="message"]').textContent())
      .toBe('This product is not available.');
    // The shoppable video shows the clip's products as chips at their moments.
    await expect
      .poll(() => page.locator('#video [part="chip"]').allTextContents())
      .toEqual(['Corduroy cap · $15.00', 'Canvas tote · $25.00']);
    await page.locator('#video video').evaluate((v: HTMLVideoElement) => {
      v.currentTime = 1.5;
    });
    await expect
      .poll(() => page.locator('#video [part="chip"]').allTextContents())
      .toEqual(['Corduroy cap · $15.00']);
    await page.locator('#video [part="chip"]').click();
    await expect
      .poll(() =>
        page.locator('#video [part="panel"] kith-product-card [part="title"]').textContent(),
      )
      .toBe('Corduroy cap');
    expect(await page.locator('#cart [part="toggle"]').getAttribute('aria-label')).toBe(
      'Cart, 0 items',
    );
    expect(await page.locator('#share [part="button"]').textContent()).toBe('Share to Kith');
    // Only the scripts of the elements on the page were fetched, all from the Kith server.
    await expectCleanPage(page);
    await context.close();
  });

  it('renders a product title with markup as text', async () => {
    const context = await newContext();
    const page = await context.newPage();
    let dialogs = 0;
    page.on('dialog', (d) => {
      dialogs++;
      void d.dismiss();
    });
    await page.goto(`${site.origin}/shop`);
    await expect.poll(() => page.locator('#evil [part="title"]').textContent()).toBe(EVIL);
    const inside = await page.locator('#evil').evaluate((el) => ({
      scripts: el.shadowRoot!.querySelectorAll('script').length,
      imgs: [...el.shadowRoot!.querySelectorAll('img')].filter((i) => i.getAttribute('src') === 'x')
        .length,
      pwned: (window as unknown as { __pwned?: number }).__pwned ?? null,
    }));
    expect(inside).toEqual({ scripts: 0, imgs: 0, pwned: null });
    expect(dialogs).toBe(0);
    await context.close();
  });

  it('Buy goes to Stripe Checkout and the order records the embedding site', async () => {
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(`${site.origin}/shop`);
    await page.locator('#button [part~="buy"]').click();
    await page.waitForURL(`${fake.url}/checkout/**`);
    expect(await page.locator('li').allTextContents()).toEqual(['Canvas tote × 1']);
    const orders = await ordersOf(ids.brand!);
    expect(orders.at(-1)).toMatchObject({
      status: 'pending',
      source_widget: site.origin,
      items: [{ title: 'Canvas tote', quantity: 1 }],
    });
    await context.close();
  });

  it('the cart survives a reload and checks out items from two elements in one order', async () => {
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(`${site.origin}/shop`);
    await page.locator('#button [part~="add"]').click();
    await page.locator('#card [part~="add"]').click();
    await expect
      .poll(() => page.locator('#cart [part="toggle"]').getAttribute('aria-label'))
      .toBe('Cart, 2 items');

    await page.reload();
    await expect
      .poll(() => page.locator('#cart [part="toggle"]').getAttribute('aria-label'))
      .toBe('Cart, 2 items');
    await page.locator('#cart [part="toggle"]').click();
    await page.getByRole('button', { name: 'One more Canvas tote' }).click();
    await expect.poll(() => page.locator('#cart [part="total"]').textContent()).toBe('$65.00');

    await page.locator('#cart [part~="checkout"]').click();
    await page.waitForURL(`${fake.url}/checkout/**`);
    expect(await page.locator('li').allTextContents()).toEqual([
      'Canvas tote × 2',
      'Corduroy cap × 1',
    ]);
    await page.locator('#pay').click();
    await page.waitForURL(`${server.url}/checkout/success**`);
    expect(await page.locator('#order-status').getAttribute('data-status')).toBe('paid');
    const order = (await ordersOf(ids.brand!)).at(-1)!;
    expect(order).toMatchObject({
      status: 'paid',
      source_widget: site.origin,
      items: [
        { title: 'Canvas tote', quantity: 2 },
        { title: 'Corduroy cap', quantity: 1 },
      ],
    });
    // The checked-out cart is empty on the next visit.
    await page.goto(`${site.origin}/shop`);
    await expect
      .poll(() => page.locator('#cart [part="toggle"]').getAttribute('aria-label'))
      .toBe('Cart, 0 items');
    await context.close();
  });

  it('works from the keyboard: Tab, Space, Enter and Escape', async () => {
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(`${site.origin}/shop`);
    await expect.poll(() => page.locator('#button [part="price"]').textContent()).toBe('$25.00');
    await page.keyboard.press('Tab');
    expect(await deepFocus(page)).toBe('cart:toggle');
    await page.keyboard.press('Tab');
    expect(await deepFocus(page)).toBe('button:button buy');
    await page.keyboard.press('Tab');
    expect(await deepFocus(page)).toBe('button:button add');
    await page.keyboard.press('Space');
    await expect
      .poll(() => page.locator('#cart [part="toggle"]').getAttribute('aria-label'))
      .toBe('Cart, 1 item');
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.locator('#cart [part="toggle"]').getAttribute('aria-label'))
      .toBe('Cart, 2 items');
    // Back to the cart, open it with Enter: focus moves into the drawer; Escape brings it back.
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    expect(await deepFocus(page)).toBe('cart:toggle');
    await page.keyboard.press('Enter');
    await expect.poll(() => deepFocus(page)).toBe('cart:close');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await deepFocus(page)).toMatch(/^cart:(less|remove)-/);
    await page.keyboard.press('Escape');
    await expect.poll(() => deepFocus(page)).toBe('cart:toggle');
    expect(await page.locator('#cart [part="drawer"]').count()).toBe(0);
    await context.close();
  });

  it('the share button hands off to the extension by postMessage to the page’s own origin', async () => {
    const context = await newContext();
    await context.addInitScript(fakeExtension);
    const page = await context.newPage();
    await page.goto(`${site.origin}/shop`);
    await page.locator('#share [part="button"]').waitFor();
    const pages = context.pages().length;
    await page.locator('#share [part="button"]').click();
    const posts = await page.evaluate(
      () => (window as unknown as { __posts: { message: unknown; target: string }[] }).__posts,
    );
    expect(posts).toContainEqual({
      message: { kith: { type: 'share', v: 1, url: CLIP, title: 'Acme spring drop' } },
      target: site.origin,
    });
    expect(posts.every((p) => p.target === site.origin)).toBe(true);
    expect(context.pages().length).toBe(pages);
    await context.close();
  });

  it('without the extension, the share button opens the share page, which shares to a group', async () => {
    const friend = await signUp(deps, 'pal');
    const sharer = await signUp(deps, 'sharer');
    await befriend(sharer, friend);
    const group = await sharer.api.groups.create({ name: 'Weekend crew', memberIds: [friend.id] });
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(`${site.origin}/shop`);
    const href = await page.locator('#share [part="button"]').getAttribute('href');
    expect(href).toBe(`${server.url}/share?url=${encodeURIComponent(CLIP)}&title=Acme+spring+drop`);
    const [sharePage] = await Promise.all([
      context.waitForEvent('page'),
      page.locator('#share [part="button"]').click(),
    ]);
    await sharePage.waitForLoadState();
    await sharePage.getByLabel('Handle').fill(sharer.handle);
    await sharePage.getByLabel('Password').fill('correct horse battery');
    await sharePage.getByRole('button', { name: 'Sign in' }).click();
    await sharePage.getByLabel('Weekend crew').check();
    await sharePage.getByRole('button', { name: 'Share', exact: true }).click();
    await expect
      .poll(() => sharePage.getByRole('status').textContent())
      .toMatch(/Shared to 1 group/);
    const thread = await friend.api.clips.thread({ groupId: group.id, url: CLIP });
    expect(thread.messages).toHaveLength(1);
    await expectCleanPage(sharePage);
    await context.close();
  });

  it('a page with hostile global CSS does not change the widgets', async () => {
    const measure = async (pathname: string) => {
      const context = await newContext();
      const page = await context.newPage();
      await page.goto(`${site.origin}${pathname}`);
      await expect.poll(() => page.locator('#button [part="price"]').textContent()).toBe('$25.00');
      await expect.poll(() => page.locator('#card [part="title"]').count()).toBe(1);
      const look = async (selector: string) =>
        page.locator(selector).evaluate((el) => {
          const s = getComputedStyle(el);
          const box = el.getBoundingClientRect();
          return {
            width: Math.round(box.width),
            height: Math.round(box.height),
            font: `${s.fontSize} ${s.fontFamily} ${s.fontWeight} ${s.lineHeight}`,
            color: s.color,
            border: s.borderTopWidth,
            padding: s.paddingTop,
            transform: s.textTransform,
          };
        });
      const result = {
        buy: await look('#button [part~="buy"]'),
        price: await look('#button [part="price"]'),
        card: await look('#card [part="card"]'),
        title: await look('#card [part="title"]'),
        toggle: await look('#cart [part="toggle"]'),
      };
      await context.close();
      return result;
    };
    const plain = await measure('/shop');
    const hostile = await measure('/hostile');
    expect(hostile).toEqual(plain);
    expect(plain.buy.font).toMatch(/^14px /);
  });

  it('a snippet pasted into a blank HTML file on disk works', async () => {
    const file = path.join(dist, 'blank.html');
    await writeFile(
      file,
      `<!doctype html><meta charset="utf-8"><title>Blank</title>\n<script type="module" src="${server.url}/widgets/kith.js"></script>\n<kith-shop-button product="${ids.tote}"></kith-shop-button>\n`,
    );
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(pathToFileURL(file).href);
    await expect
      .poll(() => page.locator('kith-shop-button [part="price"]').textContent())
      .toBe('$25.00');
    await page.locator('kith-shop-button [part~="add"]').click();
    await expect
      .poll(() => page.locator('kith-cart [part="toggle"]').getAttribute('aria-label'))
      .toBe('Cart, 1 item');
    await page.locator('kith-shop-button [part~="buy"]').click();
    await page.waitForURL(`${fake.url}/checkout/**`);
    // A file has no origin to attribute the sale to.
    expect((await ordersOf(ids.brand!)).at(-1)).toMatchObject({
      status: 'pending',
      source_widget: null,
    });
    await context.close();
  });

  it('without Stripe configured, Buy says so in place', async () => {
    const payments = deps.payments;
    deps.payments = null;
    try {
      const context = await newContext();
      const page = await context.newPage();
      await page.goto(`${site.origin}/shop`);
      await page.locator('#button [part~="buy"]').click();
      await expect
        .poll(() => page.locator('#button [part="message"]').textContent())
        .toMatch(/Payments are not configured on this server \(no STRIPE_SECRET_KEY\)/);
      expect(page.url()).toBe(`${site.origin}/shop`);
      await context.close();
    } finally {
      deps.payments = payments;
    }
  });
});

describe('the brand console', () => {
  it('creates a brand and a product, tags it, copies a snippet that sells, and sees the paid order', async () => {
    const context = await newContext();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    const page = await context.newPage();
    await page.goto(`${server.url}/console`);
    await page.getByRole('button', { name: 'Create an account' }).click();
    await page.getByLabel('Handle').fill('newbrand_owner');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Create account' }).click();

    await page.getByLabel('Brand name').fill('New Brand Co');
    expect(await page.getByLabel('Short name for links').inputValue()).toBe('new-brand-co');
    await page.getByRole('button', { name: 'Create brand' }).click();

    // Payments: Stripe onboarding (fake) and back.
    await page.getByRole('link', { name: 'Payments' }).click();
    await page.getByRole('button', { name: 'Connect Stripe' }).click();
    await page.waitForURL(`${fake.url}/onboarding/**`);
    await page.locator('#finish').click();
    await page.waitForURL(`${server.url}/connect/return**`);
    expect(await page.locator('h1').textContent()).toMatch(/can take payments/);

    // Where it ships: products that ship cannot be bought before this.
    await page.goto(`${server.url}/console#stripe`);
    await page.getByLabel(/^Ships to/).fill('US, GB');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();

    // A product.
    await page.goto(`${server.url}/console#products`);
    await page.getByRole('button', { name: 'Add product' }).click();
    await page.getByLabel('Title').fill('Linen shirt');
    await page.getByLabel('Price').fill('12.50');
    await page.getByLabel(/^Stock/).fill('5');
    await page.getByLabel('Description').fill('Breathes in summer.');
    await page.locator('form').getByRole('button', { name: 'Add product' }).click();
    const row = page.locator('tr', { hasText: 'Linen shirt' });
    await row.waitFor();
    expect(await row.textContent()).toContain('$12.50');
    const productId = await row.getAttribute('data-product');

    // Tag it to a clip.
    await page.getByRole('link', { name: 'Clips' }).click();
    await page.getByLabel('Clip link').fill(CONSOLE_CLIP);
    await page.getByLabel(/^From second/).fill('0');
    await page.getByLabel(/^To second/).fill('3');
    await page.getByRole('button', { name: 'Tag product' }).click();
    await page.locator('tr', { hasText: 'Linen shirt' }).waitFor();
    expect(await page.locator('tr', { hasText: 'Linen shirt' }).textContent()).toContain(
      '0 s – 3 s',
    );

    // The snippet and its live preview.
    await page.getByRole('link', { name: 'Embed' }).click();
    const snippet = `<script type="module" src="${server.url}/widgets/kith.js"></script>\n<kith-shop-button product="${productId}"></kith-shop-button>`;
    await expect.poll(() => page.locator('#snippet').inputValue()).toBe(snippet);
    await expect
      .poll(() => page.locator('[data-preview] kith-shop-button [part="price"]').textContent())
      .toBe('$12.50');
    await page.getByRole('button', { name: 'Copy snippet' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(snippet);
    await page.getByLabel('Product card').check();
    await expect
      .poll(() => page.locator('[data-preview] kith-product-card [part="title"]').textContent())
      .toBe('Linen shirt');
    await page.getByLabel('Shoppable video').check();
    await expect
      .poll(() => page.locator('#snippet').inputValue())
      .toContain(`clip="${CONSOLE_CLIP}"`);
    await expectCleanPage(page);

    // Paste it into a blank HTML file on the brand's site, and buy.
    site.pasted = snippet;
    const shop = await context.newPage();
    await shop.goto(`${site.origin}/pasted`);
    await shop.locator('kith-shop-button [part~="buy"]').click();
    await shop.waitForURL(`${fake.url}/checkout/**`);
    await shop.locator('#pay').click();
    await shop.waitForURL(`${server.url}/checkout/success**`);

    // The console sees the paid order and where it came from.
    await page.getByRole('link', { name: 'Orders' }).click();
    const order = page.locator('tr', { hasText: 'Linen shirt' });
    await order.waitFor();
    expect(await order.locator('[data-status]').getAttribute('data-status')).toBe('paid');
    expect(await order.locator('.attribution').textContent()).toBe(`Widget on ${site.origin}`);
    await context.close();
  });
  it('edits and deactivates products, and answers a buyer in the inbox', async () => {
    const buyer = await signUp(deps, 'asker');
    const mug = await makeProduct(owner, ids.brand!, { title: 'Travel mug', priceCents: 1800 });
    await buyer.api.brands.ask({
      brandId: ids.brand!,
      body: 'Is the travel mug leak-proof?',
      productId: mug.id,
      clientId: 'ask_travel_mug_1',
    });
    const context = await newContext();
    await context.addInitScript((token: string) => {
      if (location.pathname.startsWith('/console')) localStorage.setItem('kith:token', token);
    }, owner.token);
    const page = await context.newPage();
    await page.goto(`${server.url}/console#products`);

    const row = page.locator(`tr[data-product="${mug.id}"]`);
    await row.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Price').fill('21.00');
    await page.getByLabel(/^Stock/).fill('3');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => row.textContent()).toContain('$21.00');
    expect(await row.textContent()).toContain('3');
    expect((await owner.api.products.get({ productId: mug.id })).priceCents).toBe(2100);

    await row.getByRole('button', { name: 'Deactivate' }).click();
    await expect.poll(() => row.textContent()).toContain('Off sale');
    site.pasted = `<script type="module" src="${server.url}/widgets/kith.js"></script><kith-shop-button product="${mug.id}"></kith-shop-button>`;
    const shop = await context.newPage();
    await shop.goto(`${site.origin}/pasted`);
    await expect
      .poll(() => shop.locator('kith-shop-button [part="message"]').textContent())
      .toBe('This product is not available.');
    await row.getByRole('button', { name: 'Activate' }).click();
    await expect.poll(() => row.textContent()).toContain('On sale');

    await page.getByRole('link', { name: 'Inbox' }).click();
    await page.getByRole('button', { name: /asker/ }).click();
    await expect
      .poll(() => page.locator('.messages').textContent())
      .toContain('Is the travel mug leak-proof?');
    await page.getByLabel('Reply').fill('Yes, fully sealed.');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect
      .poll(() => page.locator('.messages').textContent())
      .toContain('Yes, fully sealed.');
    const { group } = await buyer.api.brands.ask({ brandId: ids.brand! });
    const thread = await buyer.api.messages.list({ groupId: group.id });
    expect(thread.messages.map((m) => m.body)).toContain('Yes, fully sealed.');
    await expectCleanPage(page);
    await context.close();
  });
});

describe('/demo', () => {
  it('shows every element working on the seeded demo brand, and explains payments', async () => {
    const demoDb = await openTestDatabase('pglite');
    const demoDeps = makeDeps(demoDb.db);
    const demo = await startServer(demoDeps, {
      routes: [
        widgetRoutes(demoDeps, {
          widgetsDir: path.join(dist, 'widgets'),
          pagesDir: path.join(dist, 'console'),
        }),
      ],
    });
    demoDeps.env = { ...demoDeps.env, PUBLIC_URL: demo.url };
    try {
      expect(await seedDemo(demoDeps)).toBe('seeded');
      expect(await seedDemo(demoDeps)).toBe('present');
      const context = await newContext();
      const page = await context.newPage();
      await page.goto(`${demo.url}/demo`);
      await expect
        .poll(() => page.locator('kith-shop-button [part="price"]').textContent())
        .toBe('$28.00');
      await expect.poll(() => page.locator('kith-product-card [part="title"]').count()).toBe(2);
      expect(await page.locator('kith-product-card [part="title"]').allTextContents()).toEqual([
        'Corduroy cap',
        'Stoneware mug',
      ]);
      await expect
        .poll(() => page.locator('kith-shoppable-video [part="chip"]').allTextContents())
        .toEqual(['Canvas tote · $28.00']);
      expect(await page.locator('kith-cart [part="toggle"]').count()).toBe(1);
      expect(await page.locator('kith-share-button [part="button"]').count()).toBe(1);
      expect(await page.locator('#payments').textContent()).toMatch(/STRIPE_SECRET_KEY/);
      // Images come from the server's own demo assets.
      await expect
        .poll(() =>
          page
            .locator('kith-product-card img[part="image"]')
            .first()
            .evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0),
        )
        .toBe(true);
      // Payments are off, so the brand cannot take payments: Buy is off and says why.
      expect(await page.locator('kith-shop-button [part~="buy"]').isDisabled()).toBe(true);
      expect(await page.locator('kith-shop-button [part="message"]').textContent()).toBe(
        'Kith Demo Goods cannot take payments yet',
      );
      await expectCleanPage(page);
      await context.close();
    } finally {
      await demo.close();
      await demoDb.close();
    }
  });
});
