/**
 * The extension across a server instance dying: two instances on one PostgreSQL database and
 * one Redis behind the round-robin TCP proxy, Ana and Ben each in their own Chromium profile
 * with the built extension, pointed at the proxy, chatting in the overlay on a TikTok clip. The
 * instance Ana's socket is on is frozen while she types, then SIGKILLed; both carry on typing.
 * Every message must end up shown once on both sides, in order, with nothing left pending, and
 * stored once.
 */
import { sql } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildExtension,
  chromiumPath,
  type FixtureServer,
  type KithBrowser,
  launchBrowser,
  openOverlayTab,
  overlayOf,
  screenshot,
  sharedSetup,
  startFixtureServer,
} from '../fixtures/browser';
import { openTestDatabase, type TestDatabase } from '../fixtures/db';
import { httpClient } from '../fixtures/live';
import { requireEnv, type ServerProcess, spawnServer } from '../fixtures/process';
import { startTcpProxy, type TcpProxy } from '../fixtures/proxy';
import { sleep, until } from './harness';

const PASSWORD = 'correct horse battery';
const CLIP_PAGE = '/@scout2015/video/7301234567890123451';
const run = Date.now().toString(36);

type View = ReturnType<typeof overlayOf>;

interface Line {
  body: string;
  mine: boolean;
  /** The pending/failed note under the line ('' once stored). */
  state: string;
}

/** What a thread shows, line by line. */
function linesOf(view: View): Promise<Line[]> {
  return view.messages.evaluateAll((els) =>
    els.map((el) => ({
      body: (el.querySelector('.kith-msg-body')?.textContent ?? '').trim(),
      mine: el.classList.contains('is-mine'),
      state: (el.querySelector('.kith-msg-state')?.textContent ?? '').trim(),
    })),
  );
}

describe('the extension carries a conversation across an instance killed behind a load balancer', () => {
  let database: TestDatabase;
  let fixtures: FixtureServer;
  let proxy: TcpProxy | null = null;
  const servers: ServerProcess[] = [];
  const browsers: KithBrowser[] = [];
  let groupId = '';
  let ids = { ana: '', ben: '' };

  const world = sharedSetup(async () => {
    chromiumPath();
    const redisUrl = requireEnv('REDIS_URL');
    requireEnv('TEST_DATABASE_URL');
    let extensionDir: string;
    [extensionDir, fixtures, database] = await Promise.all([
      buildExtension(),
      startFixtureServer(),
      openTestDatabase('postgres'),
    ]);
    const env = { DATABASE_URL: database.url!, REDIS_URL: redisUrl };
    // One after the other: the first start also migrates and seeds the fresh database.
    servers.push(await spawnServer(env));
    servers.push(await spawnServer(env));
    proxy = await startTcpProxy(servers.map((s) => ({ host: '127.0.0.1', port: s.port })));

    const anon = httpClient(proxy.url);
    const [ana, ben] = await Promise.all(
      ['Ana', 'Ben'].map((name) =>
        anon.auth.register.mutate({
          handle: `${name.toLowerCase()}_${run}`.slice(0, 24),
          password: PASSWORD,
          displayName: name,
        }),
      ),
    );
    if (!ana || !ben) throw new Error('could not register Ana and Ben');
    ids = { ana: ana.user.id, ben: ben.user.id };
    const anaApi = httpClient(proxy.url, ana.token);
    const invite = await anaApi.friends.createInvite.mutate();
    await httpClient(proxy.url, ben.token).friends.acceptInvite.mutate({ code: invite.code });
    groupId = (await anaApi.groups.create.mutate({ name: 'Roommates', memberIds: [ben.user.id] }))
      .id;

    browsers.push(
      ...(await Promise.all([
        launchBrowser({ extensionDir, fixtures }),
        launchBrowser({ extensionDir, fixtures }),
      ])),
    );
    // The extension's server is the balancer's address, as a user would type it in the popup.
    for (const [browser, user] of [
      [browsers[0]!, ana.user],
      [browsers[1]!, ben.user],
    ] as const) {
      await browser.send('session.signIn', {
        handle: user.handle,
        password: PASSWORD,
        serverUrl: proxy.url,
      });
    }
  });
  beforeAll(world.start);

  afterAll(async () => {
    await Promise.all(browsers.map((b) => b.close()));
    await proxy?.close();
    await Promise.all(servers.map((s) => s.kill('SIGKILL')));
    await database?.close();
    await fixtures?.close();
  });

  it('Ana and Ben keep chatting while the instance under Ana dies: every line once, in order, none pending, stored once', async () => {
    await world.get();
    const balancer = proxy!;
    const [anaBrowser, benBrowser] = browsers as [KithBrowser, KithBrowser];

    /** Opens the clip with the Chat tab on Roommates; returns the overlay and the new sockets. */
    const openChat = async (browser: KithBrowser) => {
      const before = new Set(balancer.webSockets().map((w) => w.id));
      const page = await browser.context.newPage();
      await page.goto(fixtures.url('www.tiktok.com', CLIP_PAGE));
      const view = await openOverlayTab(page, 'Chat');
      await view.thread.getByText('No one has said anything').waitFor({ timeout: 20_000 });
      // The overlay keeps the event stream open: its socket shows at the balancer.
      await until(
        () => balancer.webSockets().some((w) => !before.has(w.id)),
        20_000,
        () => `no WebSocket through the balancer (open: ${JSON.stringify(balancer.webSockets())})`,
      );
      return { page, view, sockets: balancer.webSockets().filter((w) => !before.has(w.id)) };
    };
    const ana = await openChat(anaBrowser);
    const ben = await openChat(benBrowser);

    const typed: { who: 'ana' | 'ben'; body: string }[] = [];
    const say = async (who: 'ana' | 'ben', text: string) => {
      const body = `${text} #${typed.length + 1}`;
      typed.push({ who, body });
      const { view } = who === 'ana' ? ana : ben;
      await view.composer.fill(body);
      await view.composer.press('Enter');
      // The line shows at once on the sender's side, stored or still on its way.
      await view.messages.filter({ hasText: body }).waitFor({ timeout: 10_000 });
      return body;
    };
    /** Waits until `body` shows once on both sides, stored (no pending or failed note). */
    const shownOnBoth = async (body: string, timeout = 30_000) => {
      for (const [name, side] of [
        ['Ana', ana],
        ['Ben', ben],
      ] as const) {
        const line = side.view.messages.filter({ hasText: body });
        await line.waitFor({ timeout }).catch((error: Error) => {
          throw new Error(`"${body}" did not show once on ${name}'s side: ${error.message}`);
        });
        await line
          .locator('.kith-msg-state')
          .waitFor({ state: 'detached', timeout })
          .catch(async (error: Error) => {
            const state = await line.locator('.kith-msg-state').textContent();
            throw new Error(`"${body}" still shows "${state}" on ${name}'s side: ${error.message}`);
          });
      }
    };

    // A few lines back and forth with both instances up.
    for (const [who, text] of [
      ['ana', 'are you watching this'],
      ['ben', 'yes the dog is unreal'],
      ['ana', 'wait for the end'],
      ['ben', 'ok ok'],
    ] as const) {
      await shownOnBoth(await say(who, text));
    }

    // Ana's socket (the one her overlay opened) and the instance behind it.
    const anaSocket = ana.sockets.at(-1)!;
    const victim = servers.find((s) => s.port === anaSocket.port)!;
    const survivor = servers.find((s) => s !== victim)!;
    expect(
      balancer.webSockets().map((w) => w.id),
      "Ana's socket is still open before the kill",
    ).toContain(anaSocket.id);

    // Frozen first, so Ana's next line is surely in flight on it when it dies.
    victim.child.kill('SIGSTOP');
    const frozenLine = await say('ana', 'typed while the server hangs');
    const mine = ana.view.messages.filter({ hasText: frozenLine });
    await mine.locator('.kith-msg-state').waitFor({ timeout: 5000 });
    const stateWhileFrozen = await mine.locator('.kith-msg-state').textContent();
    expect(stateWhileFrozen, 'a line the server has not answered shows as on its way').toMatch(
      /Sending…|Offline — sends when you're back/,
    );
    const socketsOnVictimAtKill = balancer
      .webSockets()
      .filter((w) => w.port === victim.port).length;
    expect(await victim.kill('SIGKILL')).toBe('SIGKILL');

    // Typed while Ana's socket is reconnecting; Ben answers meanwhile.
    const pendingSeen: string[] = [];
    const noteState = async (page: Page, body: string) => {
      const state = await overlayOf(page)
        .messages.filter({ hasText: body })
        .locator('.kith-msg-state')
        .textContent({ timeout: 200 })
        .catch(() => null);
      if (state) pendingSeen.push(`${body}: ${state}`);
    };
    const reconnecting1 = await say('ana', 'did it freeze for you');
    await noteState(ana.page, reconnecting1);
    const reconnecting2 = await say('ana', 'mine froze');
    await noteState(ana.page, reconnecting2);
    const benDuring = await say('ben', 'nope all good here');

    for (const body of [frozenLine, reconnecting1, reconnecting2, benDuring])
      await shownOnBoth(body, 45_000);

    // Ana's overlay is live again through the surviving instance.
    await until(
      () =>
        balancer.webSockets().some((w) => w.port === survivor.port && w.id > anaSocket.id) &&
        balancer.openTo(victim.port) === 0,
      30_000,
      () => `sockets now: ${JSON.stringify(balancer.webSockets())}`,
    );

    // And the conversation carries on.
    for (const [who, text] of [
      ['ben', 'back to the dog'],
      ['ana', 'the end is the best part'],
      ['ben', 'agreed'],
    ] as const) {
      await shownOnBoth(await say(who, text));
    }

    // Room for a late duplicate to show up before counting.
    await sleep(1500);
    const rows = await database.db.execute<{
      seq: number;
      sender_id: string;
      client_id: string;
      body: string;
    }>(
      sql`select seq, sender_id, client_id, body from messages where group_id = ${groupId} order by seq`,
    );
    const stored = rows.rows;
    const anaLines = await linesOf(ana.view);
    const benLines = await linesOf(ben.view);
    console.log(
      `extension failover: ${JSON.stringify({
        typed: typed.length,
        stored: stored.length,
        shownToAna: anaLines.length,
        shownToBen: benLines.length,
        victim: victim === servers[0] ? 'first' : 'second',
        socketsOnVictimAtKill,
        stateWhileFrozen,
        pendingSeen,
        openSockets: balancer.webSockets().length,
      })}`,
    );
    await screenshot(ana.page, 'extension-failover-ana');

    // The database: each line once, one row per (sender, clientId), seqs 1..N without a gap.
    expect(stored.map((r) => Number(r.seq))).toEqual(stored.map((_, i) => i + 1));
    expect(new Set(stored.map((r) => `${r.sender_id}/${r.client_id}`)).size).toBe(stored.length);
    expect([...stored.map((r) => r.body)].sort()).toEqual(typed.map((t) => t.body).sort());
    for (const row of stored) {
      const line = typed.find((t) => t.body === row.body)!;
      expect(row.sender_id, `who sent "${row.body}"`).toBe(ids[line.who]);
    }
    // Each person's lines were stored in the order they typed them.
    for (const who of ['ana', 'ben'] as const) {
      expect(stored.filter((r) => r.sender_id === ids[who]).map((r) => r.body)).toEqual(
        typed.filter((t) => t.who === who).map((t) => t.body),
      );
    }

    // Both overlays: exactly the stored lines, in seq order, none pending or failed.
    const expected = stored.map((r) => r.body);
    for (const [name, lines, me] of [
      ['Ana', anaLines, ids.ana],
      ['Ben', benLines, ids.ben],
    ] as const) {
      expect(
        lines.map((l) => l.body),
        `${name}'s thread`,
      ).toEqual(expected);
      expect(
        lines.filter((l) => l.state !== ''),
        `${name}'s lines still pending`,
      ).toEqual([]);
      expect(
        lines.map((l) => l.mine),
        `${name}'s own lines`,
      ).toEqual(stored.map((r) => r.sender_id === me));
    }
    expect(survivor.child.exitCode, survivor.output()).toBeNull();
  }, 90_000);
});
