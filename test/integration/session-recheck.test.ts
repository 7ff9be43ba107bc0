import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../server/app';
import type { Deps } from '../../server/deps';
import { SESSION_ENDED_CLOSE_CODE } from '../../server/sync/revocation';
import { engines, openTestDatabase, type TestDatabase } from '../fixtures/db';
import { makeDeps, signUp } from '../fixtures/deps';
import { socketClient, subscribeEvents } from '../fixtures/live';

/**
 * The revocation signal travels over the bus, which can lose it. Open sockets' sessions are
 * also checked against the database, so a session that is gone without a signal (lost publish,
 * expiry, rows removed by hand) still ends its sockets.
 */
describe.each(engines)('open sockets whose session is gone, on %s', (engine) => {
  let database: TestDatabase;
  let deps: Deps;
  let server: RunningServer;

  beforeAll(async () => {
    database = await openTestDatabase(engine);
    deps = makeDeps(database.db);
    server = await startServer(deps, { port: 0, host: '127.0.0.1', sessionRecheckMs: 150 });
  });
  afterAll(async () => {
    await server?.close();
    deps?.hub.stop();
    await database?.close();
  });

  function closeCode(socket: ReturnType<typeof socketClient>) {
    const raw = socket.ws.connection?.ws;
    if (!raw) throw new Error('socket not open');
    return new Promise<number>((resolve) =>
      raw.addEventListener('close', (e) => resolve((e as CloseEvent).code)),
    );
  }

  it('closes a socket whose session was removed with no signal, or expired; others stay', async () => {
    const ana = await signUp(deps, 'gone');
    const ben = await signUp(deps, 'expires');
    const cai = await signUp(deps, 'stays');
    const sockets = [ana, ben, cai].map((u) => socketClient(server.wsUrl, u.token));
    try {
      const streams = sockets.map((s) => subscribeEvents(s.client));
      await Promise.all(streams.map((s) => s.ready()));
      const [anaClosed, benClosed] = [closeCode(sockets[0]!), closeCode(sockets[1]!)];
      // No bus signal: the rows change under the server, as when a signal is lost.
      await database.db.execute(sql`delete from sessions where user_id = ${ana.id}`);
      await database.db.execute(
        sql`update sessions set expires_at = now() - interval '1 minute' where user_id = ${ben.id}`,
      );
      expect(await anaClosed).toBe(SESSION_ENDED_CLOSE_CODE);
      expect(await benClosed).toBe(SESSION_ENDED_CLOSE_CODE);
      // They come back as nobody, and their streams are refused.
      for (const stream of streams.slice(0, 2)) {
        await expect(stream.until(() => false, 5000)).rejects.toMatchObject({
          data: { code: 'UNAUTHORIZED' },
        });
      }
      // Cai's socket and stream carry on through several checks.
      await new Promise((r) => setTimeout(r, 500));
      expect((await sockets[2]!.client.auth.me.query()).id).toBe(cai.id);
      expect(streams[2]!.errors).toEqual([]);
    } finally {
      for (const s of sockets) s.close();
    }
  });
});
