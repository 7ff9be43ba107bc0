import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { type Bus, createRedisBus } from '../../server/bus';
import { busChannel } from '../../server/db/client';
import { SESSION_ENDED_CLOSE_CODE } from '../../server/sync/revocation';
import { openTestDatabase, type TestDatabase } from '../fixtures/db';
import { makeDeps } from '../fixtures/deps';
import {
  closeCodeOf,
  httpClient,
  socketClient,
  startLive,
  subscribeEvents,
} from '../fixtures/live';
import { requireEnv } from '../fixtures/process';

const PASSWORD = 'correct horse battery';
let n = 0;
const handle = (tag: string) => `${tag}_${process.pid % 1000}_${n++}`;

/**
 * Two server instances on one PostgreSQL and one Redis: ending sessions on one instance closes
 * the sockets of those sessions on the other.
 */
describe('revoked sessions across instances', () => {
  let database: TestDatabase;
  let buses: Bus[] = [];
  let servers: RunningServer[] = [];

  beforeAll(async () => {
    const redisUrl = requireEnv('REDIS_URL');
    requireEnv('TEST_DATABASE_URL');
    database = await openTestDatabase('postgres');
    const channel = await busChannel(database.db);
    buses = [createRedisBus(redisUrl, { channel }), createRedisBus(redisUrl, { channel })];
    await Promise.all(buses.map((b) => b.ready()));
    servers = await Promise.all(buses.map((bus) => startLive(makeDeps(database.db, { bus }))));
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await Promise.all(buses.map((b) => b.close()));
    await database?.close();
  });

  async function socketOn(server: RunningServer, token: string) {
    const socket = socketClient(server.wsUrl, token);
    const events = subscribeEvents(socket.client);
    await events.ready();
    const closed = closeCodeOf(socket);
    return { socket, events, closed };
  }

  it('log out everywhere on one instance closes my sockets on the other, and no one else’s', async () => {
    const [a, b] = servers as [RunningServer, RunningServer];
    const anon = httpClient(a.url);
    const ana = await anon.auth.register.mutate({ handle: handle('ana'), password: PASSWORD });
    const bo = await anon.auth.register.mutate({ handle: handle('bo'), password: PASSWORD });
    const anaOnB = await socketOn(b, ana.token);
    const boOnB = await socketOn(b, bo.token);
    try {
      await httpClient(a.url, ana.token).auth.logoutAll.mutate();
      expect(await anaOnB.closed).toBe(SESSION_ENDED_CLOSE_CODE);
      await expect(anaOnB.events.until(() => false, 5000)).rejects.toMatchObject({
        data: { code: 'UNAUTHORIZED' },
      });
      expect((await boOnB.socket.client.auth.me.query()).id).toBe(bo.user.id);
    } finally {
      anaOnB.socket.close();
      boOnB.socket.close();
    }
  });

  it('deleting the account on one instance closes its sockets on the other', async () => {
    const [a, b] = servers as [RunningServer, RunningServer];
    const anon = httpClient(a.url);
    const cy = await anon.auth.register.mutate({ handle: handle('cy'), password: PASSWORD });
    const onB = await socketOn(b, cy.token);
    try {
      await httpClient(a.url, cy.token).account.delete.mutate({ password: PASSWORD });
      expect(await onB.closed).toBe(SESSION_ENDED_CLOSE_CODE);
      await expect(httpClient(b.url, cy.token).auth.me.query()).rejects.toMatchObject({
        data: { code: 'UNAUTHORIZED' },
      });
    } finally {
      onB.socket.close();
    }
  });
});
