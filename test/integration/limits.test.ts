import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import type { Deps } from '../../server/deps';
import { engines, openTestDatabase, type TestDatabase } from '../fixtures/db';
import { befriend, makeDeps, signUp } from '../fixtures/deps';
import { socketClient, startLive, subscribeEvents } from '../fixtures/live';

let n = 0;
const cid = () => `lim-${Date.now().toString(36)}-${n++}`;

describe.each(engines)('abuse limits on %s', (engine) => {
  let database: TestDatabase;
  let deps: Deps;
  let server: RunningServer;
  const sockets: { close(): void }[] = [];

  beforeAll(async () => {
    database = await openTestDatabase(engine);
    deps = makeDeps(database.db, {
      limits: { sends: 5, sendWindowSeconds: 60, socketsPerUser: 2 },
    });
    server = await startLive(deps);
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await server?.close();
    deps?.hub.stop();
    await database?.close();
  });

  it('a user sending too fast is told to slow down and when to retry, and nothing extra is stored', async () => {
    const ana = await signUp(deps, 'fast');
    const group = await ana.api.groups.create({ name: 'Spam test', memberIds: [] });
    for (let i = 0; i < 5; i++)
      await ana.api.messages.send({ groupId: group.id, clientId: cid(), body: `m${i}` });
    const error = await ana.api.messages
      .send({ groupId: group.id, clientId: cid(), body: 'one too many' })
      .catch((e) => e);
    expect(error).toMatchObject({
      code: 'TOO_MANY_REQUESTS',
      message: expect.stringMatching(/Try again in \d+ s/),
    });
    const { messages } = await ana.api.messages.list({ groupId: group.id });
    expect(messages.map((m) => m.body)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });

  it('one account cannot hold more open event streams than the limit', async () => {
    const ana = await signUp(deps, 'socks');
    const streams = [0, 1].map(() => {
      const s = socketClient(server.wsUrl, ana.token);
      sockets.push(s);
      return subscribeEvents(s.client);
    });
    await Promise.all(streams.map((s) => s.ready()));
    expect(streams.flatMap((s) => s.errors)).toEqual([]);
    const extra = socketClient(server.wsUrl, ana.token);
    sockets.push(extra);
    const third = subscribeEvents(extra.client);
    await expect(third.until(() => false, 5000)).rejects.toMatchObject({
      data: { code: 'TOO_MANY_REQUESTS' },
    });
    // Closing one frees a place.
    streams[0]!.unsubscribe();
    await new Promise((r) => setTimeout(r, 300));
    const again = socketClient(server.wsUrl, ana.token);
    sockets.push(again);
    const fourth = subscribeEvents(again.client);
    await fourth.ready();
    expect(fourth.errors).toEqual([]);
  });

  it('after a block, neither side can message the other in their direct thread', async () => {
    const [ana, ben] = [await signUp(deps, 'dm'), await signUp(deps, 'dm')];
    await befriend(ana, ben);
    const thread = await ana.api.groups.openDirect({ userId: ben.id });
    await ben.api.messages.send({ groupId: thread.id, clientId: cid(), body: 'hi' });
    await ana.api.friends.block({ userId: ben.id });
    await expect(
      ben.api.messages.send({ groupId: thread.id, clientId: cid(), body: 'hello?' }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(
      ana.api.messages.send({ groupId: thread.id, clientId: cid(), body: 'bye' }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const { messages } = await ana.api.messages.list({ groupId: thread.id });
    expect(messages.map((m) => m.body)).toEqual(['hi']);
  });
});
