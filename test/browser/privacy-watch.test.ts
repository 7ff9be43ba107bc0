/**
 * The server learns what a signed-in user watches only when they act on it. Every request the
 * live server receives (HTTP request lines and bodies, and every WebSocket message, decoded) is
 * recorded while a user scrolls through a TikTok feed page with Kith on; no clip of that page
 * may appear in any of them until the user opens Kith on one.
 */
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { RunningServer } from '../../server/app';
import {
  type FixtureServer,
  type FriendsWorld,
  type KithBrowser,
  launchBrowser,
  overlayOf,
  sharedSetup,
  signIn,
  startFriendsWorld,
} from '../fixtures/browser';
import { ownChannelOnce } from '../fixtures/channels';
import type { TestUser } from '../fixtures/deps';

const FEED = ['7301234567890123451', '7301234567890123452', '7301234567890123453'];
const FIRST = `https://www.tiktok.com/@scout2015/video/${FEED[0]}`;

/** Records what clients send `server`, until the returned function is called. */
function recordRequests(server: RunningServer): { seen: string[]; stop(): void } {
  const seen: string[] = [];
  const onRequest = (req: IncomingMessage) => {
    seen.push(`${req.method} ${decodeURIComponent(req.url ?? '')}`);
    // Body chunks are pushed by the HTTP parser after 'request' is emitted.
    const push = req.push.bind(req);
    req.push = (chunk: unknown, encoding?: BufferEncoding) => {
      if (chunk) seen.push(String(chunk));
      return push(chunk, encoding);
    };
  };
  server.server.prependListener('request', onRequest);
  // Server-side sockets of the `ws` package the server uses: messages arrive unmasked here.
  const proto = WebSocket.prototype as unknown as {
    emit(event: string | symbol, ...args: unknown[]): boolean;
  };
  const emit = proto.emit;
  proto.emit = function (this: unknown, event: string | symbol, ...args: unknown[]) {
    if (event === 'message') seen.push(String(args[0]));
    return emit.call(this, event, ...args);
  };
  return {
    seen,
    stop() {
      server.server.off('request', onRequest);
      proto.emit = emit;
    },
  };
}

const namesAClip = (text: string) =>
  FEED.some((id) => text.includes(id)) || /tiktok\.com\/@/.test(text);

describe('watching without acting', () => {
  let base: FriendsWorld;
  let fixtures: FixtureServer;
  let server: RunningServer;
  let ines: TestUser;
  let jo: TestUser;
  let browser: KithBrowser;

  const world = sharedSetup(async () => {
    base = await startFriendsWorld(['Ines', 'Jo'], 'Film club');
    ({ fixtures, server } = base);
    [ines, jo] = base.people;
    // Jo talked about the first clip before Ines installed Kith, and sells a tote shown in it.
    await jo.api.messages.send({
      groupId: base.groupId,
      clientId: 'privacy-seed-1',
      body: 'This one is great',
      clip: { url: FIRST },
    });
    const brand = await jo.api.brands.create({ name: 'Jo Goods', slug: `jo-goods-${process.pid}` });
    const tote = await jo.api.products.create({
      brandId: brand.id,
      title: 'Skate tote',
      priceCents: 2500,
      currency: 'USD',
      stock: 5,
      active: true,
    });
    // The clip is on Jo's brand's own verified channel, so the tote shows to viewers.
    await ownChannelOnce(base.deps, jo, FIRST, brand.id);
    await jo.api.shop.tag({ brandId: brand.id, url: FIRST, productId: tote.id });
    browser = await launchBrowser({ extensionDir: base.extensionDir, fixtures });
    await signIn(browser, ines, server.url, 'correct horse battery');
  });
  beforeAll(world.start);
  afterAll(async () => {
    await browser?.close();
    await base?.close();
  });

  it('a signed-in user scrolling a feed sends no clip to the server until they open Kith on one', async () => {
    await world.get();
    const recording = recordRequests(server);
    try {
      const page = await browser.context.newPage();
      await page.goto(fixtures.url('www.tiktok.com', '/foryou'));
      const o = overlayOf(page);
      await o.dock.waitFor({ state: 'visible', timeout: 15_000 });
      // The dock knows Jo talked about it (the local index), and the strip shows the tote
      // (found by a hash prefix): both without naming the clip.
      await o.dock.locator('.kith-count').getByText('1').waitFor({ timeout: 15_000 });
      await o.host.locator('.kith-shop-chip').getByText('Skate tote').waitFor();
      // Watching on: the next clips of the feed.
      for (const index of [1, 2]) {
        await page.evaluate(
          (i) =>
            document
              .querySelectorAll('[data-e2e="recommend-list-item-container"]')
              [i]!.scrollIntoView({ block: 'start' }),
          index,
        );
        await expect
          .poll(() => o.dock.evaluate((el) => el.getBoundingClientRect().top))
          .toBeGreaterThanOrEqual(0);
        await page.waitForTimeout(700);
      }
      expect(recording.seen.filter(namesAClip)).toEqual([]);
      expect(recording.seen.some((s) => s.includes('shop.forClipPrefix'))).toBe(true);

      // Back to the first clip, and the user opens Kith on it: acting on it sends it.
      await page.evaluate(() =>
        document
          .querySelectorAll('[data-e2e="recommend-list-item-container"]')[0]!
          .scrollIntoView({ block: 'start' }),
      );
      await o.dock.locator('.kith-count').getByText('1').waitFor({ timeout: 15_000 });
      await o.dock.click();
      await expect
        .poll(() => recording.seen.filter((s) => s.includes(FEED[0]!)).length, { timeout: 15_000 })
        .toBeGreaterThan(0);
      await page.close();
    } finally {
      recording.stop();
    }
  });
});
