/**
 * The extension across a server instance dying: two instances on one PostgreSQL database and
 * one Redis behind the round-robin TCP proxy, Ana and Ben each in their own Chromium profile
 * with the built extension, pointed at the proxy, chatting in the overlay on a TikTok clip. The
 * instance Ana's socket is on stores a line of hers whose answer never gets out, then is
 * SIGKILLed; both carry on typing, some of it while her socket reconnects. Every message must
 * end up shown once on both sides, in order, with nothing left pending, and stored once. Run
 * twice: Ben on the other instance (his overlay stays live throughout), and Ben on the same one.
 */
import { sql } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildExtension,
  chromiumPath,
  type FixtureServer,
  type KithBrowser,
  launchBrowserPair,
  openOverlayTab,
  overlayOf,
  screenshot,
  sharedSetup,
  signInEach,
  startFixtureServer,
} from '../fixtures/browser';
import { openTestDatabase, type TestDatabase } from '../fixtures/db';
import { httpClient } from '../fixtures/live';
import { requireEnv, type ServerProcess, spawnServer } from '../fixtures/process';
import { startTcpProxy, type TcpProxy } from '../fixtures/proxy';
import { sleep, until } from './harness';

const PASSWORD = 'correct horse battery';
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
    envForRespawn = env;
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

    browsers.push(...(await launchBrowserPair({ extensionDir, fixtures })));
    // The extension's server is the balancer's address, as a user would type it in the popup.
    await signInEach(
      [
        [browsers[0]!, ana.user],
        [browsers[1]!, ben.user],
      ],
      proxy.url,
      PASSWORD,
    );
  });
  beforeAll(world.start);

  afterAll(async () => {
    await Promise.all(browsers.map((b) => b.close()));
    await proxy?.close();
    await Promise.all(servers.map((s) => s.kill('SIGKILL')));
    await database?.close();
    await fixtures?.close();
  });

  /** Every line typed in this file, for the database check (one group, one seq run). */
  const typedInFile: { who: 'ana' | 'ben'; body: string }[] = [];
  let envForRespawn: Record<string, string> = {};

  /**
   * One conversation on its own clip: Ana's overlay socket is pinned to instance `anaOn`, Ben's
   * to `benOn`; Ana's instance stores a line of hers whose answer never gets out, then dies.
   */
  async function conversation(clipPage: string, anaOn: number, benOn: number) {
    await world.get();
    const balancer = proxy!;
    const [anaBrowser, benBrowser] = browsers as [KithBrowser, KithBrowser];
    // Both instances up (a killed one comes back on its port), and no overlay socket left over.
    for (const [i, server] of servers.entries()) {
      if (server.child.exitCode === null && server.child.signalCode === null) continue;
      servers[i] = await spawnServer(envForRespawn, server.port);
    }
    await until(
      () => balancer.webSockets().length === 0,
      30_000,
      () => `sockets of earlier pages still open: ${JSON.stringify(balancer.webSockets())}`,
    );

    /** Opens the clip with the Chat tab on Roommates, its socket to `instance`. */
    const openChat = async (browser: KithBrowser, instance: number) => {
      balancer.pin(servers[instance]!.port);
      const before = new Set(balancer.webSockets().map((w) => w.id));
      const page = await browser.context.newPage();
      await page.goto(fixtures.url('www.tiktok.com', clipPage));
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
    const ana = await openChat(anaBrowser, anaOn);
    const ben = await openChat(benBrowser, benOn);
    balancer.pin(null);
    expect(
      [ana.sockets.at(-1)?.port, ben.sockets.at(-1)?.port],
      "Ana's and Ben's overlay sockets went where they were pinned",
    ).toEqual([servers[anaOn]!.port, servers[benOn]!.port]);

    const typed: { who: 'ana' | 'ben'; body: string }[] = [];
    const say = async (who: 'ana' | 'ben', text: string) => {
      const body = `${text} [${typedInFile.length + 1}]`;
      typed.push({ who, body });
      typedInFile.push({ who, body });
      const { view } = who === 'ana' ? ana : ben;
      await view.composer.fill(body);
      await view.composer.press('Enter');
      // The line shows at once on the sender's side, stored or still on its way.
      await view.messages.filter({ hasText: body }).waitFor({ timeout: 10_000 });
      return body;
    };
    const storedBodies = async () =>
      (
        await database.db.execute<{ body: string }>(
          sql`select body from messages where group_id = ${groupId}`,
        )
      ).rows.map((r) => r.body);

    /** What each background says about its connection and outbox, for failure messages. */
    const diagnose = async () =>
      JSON.stringify({
        sockets: balancer.webSockets(),
        ana: await anaBrowser.send('session.get').catch(String),
        anaOutbox: await anaBrowser.send('outbox.list', {}).catch(String),
        ben: await benBrowser.send('session.get').catch(String),
      });

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
            throw new Error(
              `"${body}" still shows "${state}" on ${name}'s side (${await diagnose()}): ${error.message}`,
            );
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
    const benSocket = ben.sockets.at(-1)!;
    const victim = servers.find((s) => s.port === anaSocket.port)!;
    const survivor = servers.find((s) => s !== victim)!;
    expect(
      balancer.webSockets().map((w) => w.id),
      "Ana's socket is still open before the kill",
    ).toContain(anaSocket.id);

    // The balancer drops the instance's answers from now on: Ana's next line is stored there,
    // and she never hears so. Her line after it waits behind it in her outbox.
    balancer.silence(victim.port);
    const unanswered = await say('ana', 'typed as the server goes quiet');
    await expect
      .poll(async () => (await storedBodies()).includes(unanswered), {
        timeout: 15_000,
        message: `"${unanswered}" reached the database through the silenced instance`,
      })
      .toBe(true);
    const mine = ana.view.messages.filter({ hasText: unanswered });
    const stateUnanswered = await mine.locator('.kith-msg-state').textContent({ timeout: 5000 });
    expect(stateUnanswered, 'a line the server has not answered shows as on its way').toMatch(
      /Sending…|Offline — sends when you're back/,
    );
    const behind = await say('ana', 'and this one behind it');
    const socketsOnVictimAtKill = balancer
      .webSockets()
      .filter((w) => w.port === victim.port).length;
    expect(await victim.kill('SIGKILL')).toBe('SIGKILL');
    // Whatever starts on its port later answers again.
    balancer.silence(victim.port, false);

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

    for (const body of [unanswered, behind, reconnecting1, reconnecting2, benDuring])
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
    // Ben's socket went down only with his instance.
    const benReconnected = !balancer.webSockets().some((w) => w.id === benSocket.id);
    expect(benReconnected, "Ben's socket was replaced").toBe(benOn === anaOn);
    const here = new Set(typed.map((t) => t.body));
    const anaLines = await linesOf(ana.view);
    const benLines = await linesOf(ben.view);
    console.log(
      `extension failover: ${JSON.stringify({
        anaOn,
        benOn,
        typed: typed.length,
        stored: stored.filter((r) => here.has(r.body)).length,
        shownToAna: anaLines.length,
        shownToBen: benLines.length,
        benReconnected,
        socketsOnVictimAtKill,
        stateUnanswered,
        pendingSeen,
        openSockets: balancer.webSockets().length,
      })}`,
    );
    await screenshot(ana.page, `extension-failover-ana-${anaOn}${benOn}`);

    // The database (every line of this file, in one group): each once, one row per (sender,
    // clientId), seqs 1..N without a gap, each person's lines in the order they typed them.
    expect(stored.map((r) => Number(r.seq))).toEqual(stored.map((_, i) => i + 1));
    expect(new Set(stored.map((r) => `${r.sender_id}/${r.client_id}`)).size).toBe(stored.length);
    expect([...stored.map((r) => r.body)].sort()).toEqual(typedInFile.map((t) => t.body).sort());
    for (const who of ['ana', 'ben'] as const) {
      expect(
        stored.filter((r) => r.sender_id === ids[who]).map((r) => r.body),
        `${who}'s lines in the database`,
      ).toEqual(typedInFile.filter((t) => t.who === who).map((t) => t.body));
    }

    // Both overlays: exactly this clip's stored lines, in seq order, none pending or failed.
    const shown = stored.filter((r) => here.has(r.body));
    const expected = shown.map((r) => r.body);
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
      ).toEqual(shown.map((r) => r.sender_id === me));
    }
    expect(survivor.child.exitCode, survivor.output()).toBeNull();
    await Promise.all([ana.page.close(), ben.page.close()]);
  }

  it("Ana and Ben on different instances, Ana's dies: every line once on both sides, in order, none pending, stored once", async () => {
    await conversation('/@scout2015/video/7301234567890123451', 0, 1);
  }, 90_000);

  it('both on one instance and it dies: both reconnect, every line once on both sides, in order, none pending, stored once', async () => {
    await conversation('/@scout2015/video/7301234567890123452', 1, 1);
  }, 90_000);
});
