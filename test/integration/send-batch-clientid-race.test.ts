import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { engines, openTestDatabase, type TestDatabase } from '../fixtures/db';
import { befriend, makeDeps, signUp } from '../fixtures/deps';
import { socketClient, startLive } from '../fixtures/live';

/**
 * One clientId sent at the same moment to two groups (a buggy or hostile client): the two sends
 * go into separate batches in flight side by side. Exactly one is stored; the other is told the
 * clientId is taken, and neither batch's other sends are lost or doubled.
 */
describe.each(engines)('one clientId in two parallel batches (%s)', (engine) => {
  let database: TestDatabase;
  let deps: ReturnType<typeof makeDeps>;
  let server: RunningServer;

  beforeAll(async () => {
    database = await openTestDatabase(engine);
    deps = makeDeps(database.db);
    server = await startLive(deps);
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    deps?.hub.stop();
    await database?.close();
  });

  it('stores each clientId once and answers every send', async () => {
    const a = await signUp(deps, 'race');
    const b = await signUp(deps, 'racepal');
    await befriend(a, b);
    const g1 = await a.api.groups.create({ name: 'one', memberIds: [b.id] });
    const g2 = await a.api.groups.create({ name: 'two', memberIds: [b.id] });
    // Six sockets, each sending 8 clientIds to both groups and 4 plain sends in one message
    // (the socket batch cap is 20 calls).
    const shared: string[] = [];
    const plain: string[] = [];
    const calls: { groupId: string; clientId: string; body: string }[] = [];
    const perSocket: (typeof calls)[] = [];
    for (let s = 0; s < 6; s += 1) {
      const mine: typeof calls = [];
      for (let i = 0; i < 8; i += 1) {
        const clientId = randomUUID();
        shared.push(clientId);
        mine.push({ groupId: g1.id, clientId, body: `one ${s}.${i}` });
        mine.push({ groupId: g2.id, clientId, body: `two ${s}.${i}` });
      }
      for (let i = 0; i < 4; i += 1) {
        const clientId = randomUUID();
        plain.push(clientId);
        mine.push({ groupId: i % 2 ? g1.id : g2.id, clientId, body: `p ${s}.${i}` });
      }
      perSocket.push(mine);
      calls.push(...mine);
    }
    const sockets = perSocket.map(() => socketClient(server.wsUrl, a.token));
    // Connected and signed in first, so every socket's calls go out at the same moment.
    await Promise.all(sockets.map((s) => s.client.auth.me.query()));
    const answers = await Promise.all(
      perSocket.map((mine, s) =>
        Promise.all(
          mine.map((input) =>
            sockets[s]!.client.messages.send.mutate(input).then(
              (m) => ({ ok: true as const, groupId: m.groupId, clientId: m.clientId }),
              (e: { message?: string; data?: { code?: string } }) => ({
                ok: false as const,
                code: e.data?.code,
                message: e.message,
              }),
            ),
          ),
        ),
      ),
    );
    const outcomes = answers.flat();
    for (const s of sockets) s.close();
    const codes = new Set(outcomes.filter((o) => !o.ok).map((o) => (o.ok ? '' : o.code)));
    expect([...codes].filter((c) => c !== 'CONFLICT')).toEqual([]);
    const rows = await database.db.execute<{ client_id: string; n: number }>(
      `select client_id, count(*)::int as n from messages where sender_id = '${a.id}' group by client_id` as never,
    );
    const stored = new Map(rows.rows.map((r) => [r.client_id, Number(r.n)]));
    for (const id of [...shared, ...plain]) expect(stored.get(id), id).toBe(1);
    // Each shared clientId: one send stored it, the other was refused as taken.
    for (const clientId of shared) {
      const acked = outcomes.filter((o, i) => o.ok && calls[i]!.clientId === clientId);
      expect(acked.length, clientId).toBe(1);
    }
    for (const [i, o] of outcomes.entries())
      if (plain.includes(calls[i]!.clientId)) expect(o.ok).toBe(true);
  }, 60_000);
});
