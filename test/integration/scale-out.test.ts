import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MessageView } from '../../server/messages/view';
import { openTestDatabase, type TestDatabase } from '../fixtures/db';
import { httpClient, ofType, socketClient, subscribeEvents } from '../fixtures/live';
import { freePort, requireEnv, type ServerProcess, spawnServer } from '../fixtures/process';

type Client = ReturnType<typeof httpClient>;
interface Person {
  id: string;
  token: string;
  http: Client;
}

let n = 0;
const cid = (tag: string) => `${tag}-${process.pid}-${Date.now().toString(36)}-${n++}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function register(baseUrl: string, handle: string): Promise<Person> {
  const anon = httpClient(baseUrl);
  const { token, user } = await anon.auth.register.mutate({
    handle,
    password: 'correct horse battery',
  });
  return { id: user.id, token, http: httpClient(baseUrl, token) };
}

/** Owner plus members, all friends of the owner, in one group. */
async function setUpGroup(baseUrl: string, size: number, tag: string) {
  const people: Person[] = [];
  for (let i = 0; i < size; i++)
    people.push(await register(baseUrl, `${tag}${i}_${n++}`.slice(0, 24)));
  const [owner, ...rest] = people as [Person, ...Person[]];
  for (const p of rest) {
    const invite = await owner.http.friends.createInvite.mutate();
    await p.http.friends.acceptInvite.mutate({ code: invite.code });
  }
  const group = await owner.http.groups.create.mutate({
    name: tag,
    memberIds: rest.map((p) => p.id),
  });
  return { people, owner, group };
}

/** Sends one message, retrying the same clientId until the server acknowledges it. */
async function sendUntilAcked(
  client: Client,
  groupId: string,
  clientId: string,
  body: string,
): Promise<MessageView> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await client.messages.send.mutate({ groupId, clientId, body });
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(150);
    }
  }
}

/** A TCP relay standing in for the network path to Redis, so a test can cut it and restore it. */
async function relay(target: { host: string; port: number }) {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  const open = () =>
    new Promise<void>((resolve) => {
      server = createServer((inbound) => {
        const outbound = tcpConnect(target.port, target.host);
        sockets.add(inbound).add(outbound);
        inbound.pipe(outbound).pipe(inbound);
        const drop = () => {
          inbound.destroy();
          outbound.destroy();
          sockets.delete(inbound);
          sockets.delete(outbound);
        };
        inbound.on('error', drop).on('close', drop);
        outbound.on('error', drop).on('close', drop);
      });
      server.listen(port, '127.0.0.1', () => resolve());
    });
  await open();
  return {
    url: `redis://127.0.0.1:${port}`,
    async cut() {
      const closed = new Promise<void>((resolve) =>
        server ? server.close(() => resolve()) : resolve(),
      );
      for (const s of sockets) s.destroy();
      sockets.clear();
      await closed;
    },
    restore: open,
  };
}

describe('several server processes on PostgreSQL and Redis', () => {
  let database: TestDatabase;
  const processes: ServerProcess[] = [];
  const sockets: { close(): void }[] = [];
  const start = async (env: Record<string, string>, port?: number) => {
    const p = await spawnServer({ DATABASE_URL: database.url!, ...env }, port);
    processes.push(p);
    return p;
  };
  const connect = (wsUrl: string, token: string) => {
    const s = socketClient(wsUrl, token);
    sockets.push(s);
    return s;
  };

  beforeAll(async () => {
    requireEnv('TEST_DATABASE_URL');
    requireEnv('REDIS_URL');
    database = await openTestDatabase('postgres');
  });
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.close();
    await Promise.all(processes.splice(0).map((p) => p.kill('SIGKILL')));
  });
  afterAll(() => database?.close());

  it('a message sent through one instance reaches members connected to the other, live and once', async () => {
    const redis = requireEnv('REDIS_URL');
    const a = await start({ REDIS_URL: redis });
    const b = await start({ REDIS_URL: redis });
    const { people, group } = await setUpGroup(a.url, 4, 'twoinst');
    // Members 1 and 2 listen on instance B, member 3 on A; everybody sends through A or B.
    const streams = people
      .slice(1)
      .map((p, i) => subscribeEvents(connect(i < 2 ? b.wsUrl : a.wsUrl, p.token).client));
    await sleep(300);
    const sent: MessageView[] = [];
    for (let i = 0; i < 20; i++) {
      const sender = people[i % people.length]!;
      const via = httpClient(i % 2 ? a.url : b.url, sender.token);
      sent.push(
        await via.messages.send.mutate({
          groupId: group.id,
          clientId: cid('two'),
          body: `hello ${i}`,
        }),
      );
    }
    for (const stream of streams) {
      const got = await stream.until((e) => ofType(e, 'message.created').length >= sent.length);
      await sleep(200);
      const messages = ofType(got, 'message.created').map((e) => e.payload as MessageView);
      expect(messages.map((m) => m.id)).toEqual(sent.map((m) => m.id));
      expect(messages.map((m) => m.seq)).toEqual(sent.map((_, i) => i + 1));
    }
  });

  it('SIGKILL mid-send: after a restart every acknowledged message reached every member exactly once, in seq order', async () => {
    const port = await freePort();
    let server = await start({}, port);
    const { people, group } = await setUpGroup(server.url, 4, 'crash');
    const streams = people.map((p) => subscribeEvents(connect(server.wsUrl, p.token).client));
    await Promise.all(streams.map((s) => s.ready()));

    const perSender = 25;
    let acked = 0;
    const results = people.map(async (p, who) => {
      const out: MessageView[] = [];
      for (let i = 0; i < perSender; i++) {
        out.push(await sendUntilAcked(p.http, group.id, cid(`crash${who}`), `from ${who}: ${i}`));
        acked += 1;
      }
      return out;
    });
    while (acked < 30) await sleep(20);
    await server.kill('SIGKILL');
    await sleep(500);
    server = await start({}, port);
    const sent = (await Promise.all(results)).flat();
    const total = people.length * perSender;
    expect(sent).toHaveLength(total);

    const stored = await database.db.execute<{ id: string; seq: number }>(
      sql`select id, seq from messages where group_id = ${group.id} order by seq`,
    );
    expect(stored.rows.map((r) => Number(r.seq))).toEqual(
      Array.from({ length: total }, (_, i) => i + 1),
    );
    expect(new Set(stored.rows.map((r) => r.id))).toEqual(new Set(sent.map((m) => m.id)));

    for (const stream of streams) {
      const got = await stream.until((e) => ofType(e, 'message.created').length >= total, 30_000);
      await sleep(300);
      const seqs = ofType(got, 'message.created').map((e) => (e.payload as MessageView).seq);
      expect(seqs).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    }
  }, 150_000);

  it('with Redis cut off each instance keeps serving its own sockets, and the other catches up from the database', async () => {
    const redis = new URL(requireEnv('REDIS_URL'));
    const path = await relay({ host: redis.hostname, port: Number(redis.port || 6379) });
    const a = await start({ REDIS_URL: path.url });
    const b = await start({ REDIS_URL: path.url });
    const { people, group } = await setUpGroup(a.url, 3, 'redisdown');
    const onA = subscribeEvents(connect(a.wsUrl, people[1]!.token).client);
    const onB = subscribeEvents(connect(b.wsUrl, people[2]!.token).client);
    await Promise.all([onA.ready(), onB.ready()]);
    const sender = people[0]!;

    await sender.http.messages.send.mutate({
      groupId: group.id,
      clientId: cid('r'),
      body: 'before the cut',
    });
    await path.cut();
    await sleep(200);
    await sender.http.messages.send.mutate({
      groupId: group.id,
      clientId: cid('r'),
      body: 'during the cut',
    });
    await onA.until((e) => ofType(e, 'message.created').length === 2, 5000);
    await onB.until((e) => ofType(e, 'message.created').length === 2, 10_000);
    await path.restore();
    await sleep(1500);
    await sender.http.messages.send.mutate({
      groupId: group.id,
      clientId: cid('r'),
      body: 'after the cut',
    });
    for (const stream of [onA, onB]) {
      const got = await stream.until((e) => ofType(e, 'message.created').length === 3, 10_000);
      await sleep(300);
      expect(ofType(got, 'message.created').map((e) => (e.payload as MessageView).body)).toEqual([
        'before the cut',
        'during the cut',
        'after the cut',
      ]);
    }
    await path.cut();
  });
});
