import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type RunningServer, startServer } from '../../server/app';
import { paymentRoutes } from '../../server/payments/routes';
import type { Deps } from '../../server/trpc';
import { widgetRoutes } from '../../server/widgets-routes';
import { engines, openTestDatabase, type TestDatabase } from '../fixtures/db';
import { makeDeps, signUp, type TestUser } from '../fixtures/deps';
import { dbSnapshot } from '../fixtures/snapshot';
import { procedurePaths } from '../fixtures/wire';

/**
 * Text that is not valid Unicode: a lone UTF-16 surrogate, which JSON allows as an escape
 * (`"\ud800"`) and PostgreSQL cannot store. Every procedure refuses it with BAD_REQUEST, over
 * HTTP and over a WebSocket, before anything is read or written; the HTTP routes never answer
 * 500 for a URL whose percent-encoding is not UTF-8.
 */

const UNICODE_REFUSAL = /contains text that is not valid Unicode/;

/** Inputs with a lone surrogate in a value, deep in a value, and in a key. */
const illFormed: [string, unknown][] = [
  ['a lone high surrogate in a field', { name: 'Book club \ud800' }],
  ['a lone low surrogate deep in a list', { items: [{ note: ['fine', 'a\udc00b'] }] }],
  ['a lone surrogate in a key', { 'name\ud83d': 'x' }],
  ['a bare string that is a lone surrogate', '\udfff'],
];

interface WireReply {
  status: number;
  error?: { message: string; data: { code: string; httpStatus: number } };
}

describe.each(engines)('text that is not valid Unicode on %s', (engine) => {
  let database: TestDatabase;
  let deps: Deps;
  let running: RunningServer;
  let me: TestUser;
  let groupId: string;

  beforeAll(async () => {
    database = await openTestDatabase(engine);
    deps = makeDeps(database.db);
    running = await startServer(deps, {
      port: 0,
      routes: [...paymentRoutes(deps), widgetRoutes(deps)],
    });
  });
  // A fresh user each time: a call that got through (auth.logout) must not spoil the next test.
  beforeEach(async () => {
    me = await signUp(deps, 'unicode');
    groupId = (await me.api.groups.create({ name: 'Plain name', memberIds: [] })).id;
  });
  afterAll(async () => {
    await running?.close();
    deps?.hub.stop();
    await database?.close();
  });

  /** One call over real HTTP, the way a tRPC client sends it (plain JSON). */
  async function overHttp(path: string, type: string, input: unknown): Promise<WireReply> {
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${me.token}` };
    const encoded = JSON.stringify(input);
    const res =
      type === 'mutation'
        ? await fetch(`${running.url}/trpc/${path}`, { method: 'POST', headers, body: encoded })
        : await fetch(`${running.url}/trpc/${path}?input=${encodeURIComponent(encoded)}`, {
            headers,
          });
    const json = (await res.json()) as { error?: WireReply['error'] };
    return { status: res.status, error: json.error };
  }

  it.each(illFormed)(
    'every query and mutation refuses %s over HTTP with BAD_REQUEST, never 500',
    async (_, input) => {
      const before = await dbSnapshot(database.db);
      const calls = procedurePaths().filter((p) => p.type !== 'subscription');
      expect(calls.length).toBeGreaterThan(40);
      const replies = await Promise.all(
        calls.map(async ({ path, type }) => ({ path, reply: await overHttp(path, type, input) })),
      );
      for (const { path, reply } of replies) {
        expect(reply.status, `${path}: ${JSON.stringify(reply.error)}`).toBe(400);
        expect(reply.error?.data.code, path).toBe('BAD_REQUEST');
        expect(reply.error?.message, path).toMatch(UNICODE_REFUSAL);
      }
      expect(await dbSnapshot(database.db)).toEqual(before);
    },
  );

  it('a user cannot name a group, write a message or take a display name that is not valid Unicode', async () => {
    const before = await dbSnapshot(database.db);
    const profile = await me.api.auth.me();
    const attempts: [string, string, unknown][] = [
      ['groups.create', 'mutation', { name: 'Book club \ud800', memberIds: [] }],
      ['groups.rename', 'mutation', { groupId, name: '\udbff name' }],
      ['messages.send', 'mutation', { groupId, clientId: randomUUID(), body: 'see you \ud83d' }],
      ['auth.update', 'mutation', { displayName: 'Ana \udc00' }],
    ];
    for (const [path, type, input] of attempts) {
      const reply = await overHttp(path, type, input);
      expect(reply.status, `${path}: ${JSON.stringify(reply.error)}`).toBe(400);
      expect(reply.error?.message, path).toMatch(UNICODE_REFUSAL);
    }
    expect(await dbSnapshot(database.db)).toEqual(before);
    expect(await me.api.auth.me()).toEqual(profile);
    // A well-formed surrogate pair (an emoji) is of course fine.
    const ok = await overHttp('groups.rename', 'mutation', { groupId, name: 'Plain name 🦄' });
    expect(ok.status).toBe(200);
  });

  it('every procedure refuses a lone surrogate over a WebSocket with BAD_REQUEST', async () => {
    const before = await dbSnapshot(database.db);
    const ws = new WebSocket(`${running.wsUrl}?connectionParams=1`);
    const replies = new Map<number, WireReply['error'] | 'ok'>();
    const waiting = new Map<number, () => void>();
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as {
        id?: number;
        error?: WireReply['error'];
        result?: unknown;
      };
      if (typeof message.id !== 'number') return;
      replies.set(message.id, message.error ?? 'ok');
      waiting.get(message.id)?.();
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ method: 'connectionParams', data: { token: me.token } }));
    const procedures = procedurePaths();
    await Promise.all(
      procedures.map(
        ({ path, type }, id) =>
          new Promise<void>((resolve) => {
            waiting.set(id, resolve);
            ws.send(
              JSON.stringify({ id, method: type, params: { path, input: { text: 'x\ud800' } } }),
            );
          }),
      ),
    );
    ws.close();
    for (const [id, { path }] of procedures.entries()) {
      const error = replies.get(id);
      expect(error, path).not.toBe('ok');
      if (error === 'ok') continue;
      expect(error?.data.code, `${path}: ${error?.message}`).toBe('BAD_REQUEST');
      expect(error?.message, path).toMatch(UNICODE_REFUSAL);
    }
    expect(procedures.some((p) => p.type === 'subscription')).toBe(true);
    expect(await dbSnapshot(database.db)).toEqual(before);
  });

  it('pages and widget routes never answer 500 for a URL that is not UTF-8', async () => {
    const bad = ['%ED%A0%80', '%FF', '%C0%AF', '%E0%80', '%', '%zz'];
    const paths = [
      '/checkout/success?order=',
      '/checkout/cancel?order=',
      '/connect/return?brand=',
      '/share?url=',
      '/share?url=https://www.tiktok.com/@a/video/1&note=',
      '/invite/',
      '/widgets/',
      '/console/assets/',
      '/demo/assets/',
      '/stripe/webhook?x=',
      '/health?x=',
      '/trpc/groups.list?input=',
      '/trpc/groups.list?input=%22',
    ];
    for (const path of paths) {
      for (const b of bad) {
        const res = await fetch(`${running.url}${path}${b}`);
        const body = await res.text();
        // Pages answer 503 "Not built" until `npm run build:widgets` has run; never a 500.
        if (res.status === 503) expect(body, `${path}${b}`).toMatch(/Not built/);
        else expect(res.status, `${path}${b}: ${body}`).toBeLessThan(500);
      }
    }
  });
});
