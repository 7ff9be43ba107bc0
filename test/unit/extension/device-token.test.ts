import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import type { RunningServer } from '../../../server/app';
import type { Deps } from '../../../server/deps';
import { openTestDatabase, type TestDatabase } from '../../fixtures/db';
import { makeDeps } from '../../fixtures/deps';
import { startLive } from '../../fixtures/live';
import { newProfile, useBackgrounds } from './harness';

// A server whose account-wide sign-in limit is tiny, so a guesser locks a handle quickly.
let database: TestDatabase;
let deps: Deps;
let server: RunningServer;
const background = useBackgrounds();

beforeAll(async () => {
  database = await openTestDatabase('pglite');
  deps = makeDeps(database.db, { limits: { loginHandleFailures: 3, loginFailures: 50 } });
  server = await startLive(deps);
});
afterAll(async () => {
  await server.close();
  deps.hub.stop();
  await database.close();
});
beforeEach(() => {
  fakeBrowser.reset();
});

let count = 0;
function handle(prefix: string) {
  count += 1;
  return `${prefix}_${process.pid % 1000}_${count}`;
}

/** Wrong passwords for `who` over real HTTP, until the account-wide limit shuts new devices out. */
async function guess(who: string) {
  for (let i = 0; i < 4; i++) {
    await fetch(`${server.url}/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ handle: who, password: `wrong guess ${i}` }),
    });
  }
}

describe('the extension keeps its device token', () => {
  it('a user who signed up in this browser still signs in after guessers locked their handle', async () => {
    const bg = background();
    await bg.service.ready;
    const ana = handle('devana');
    const password = 'correct horse battery';
    await bg.service.handle('session.signIn', {
      handle: ana,
      password,
      register: true,
      serverUrl: server.url,
    });
    await bg.service.handle('session.signOut', undefined);
    await guess(ana);

    const state = await bg.service.handle('session.signIn', {
      handle: ana.toUpperCase(),
      password,
      serverUrl: server.url,
    });
    expect(state.user?.handle).toBe(ana);

    // The same account from a browser that never signed in to it is held back.
    fakeBrowser.reset();
    const stranger = background(newProfile());
    await stranger.service.ready;
    await expect(
      stranger.service.handle('session.signIn', { handle: ana, password, serverUrl: server.url }),
    ).rejects.toMatchObject({ message: expect.stringMatching(/device/i) });
  });

  it('keeps one token per server and handle, and a fresh one after a password change', async () => {
    const bg = background();
    await bg.service.ready;
    const bo = handle('devbo');
    const cy = handle('devcy');
    for (const who of [bo, cy]) {
      await bg.service.handle('session.signIn', {
        handle: who,
        password: 'first password',
        register: true,
        serverUrl: server.url,
      });
    }
    const tokens = async () =>
      ((await fakeBrowser.storage.local.get('kith.deviceTokens'))['kith.deviceTokens'] ??
        {}) as Record<string, string>;
    const before = await tokens();
    expect(Object.keys(before).sort()).toEqual([`${server.url} ${bo}`, `${server.url} ${cy}`]);
    expect(before[`${server.url} ${bo}`]).not.toBe(before[`${server.url} ${cy}`]);

    // Signed in as cy now: changing the password replaces cy's token, not bo's.
    await bg.service.handle('api.call', {
      path: 'auth.changePassword',
      type: 'mutation',
      input: { currentPassword: 'first password', newPassword: 'second password' },
    });
    const after = await tokens();
    expect(after[`${server.url} ${bo}`]).toBe(before[`${server.url} ${bo}`]);
    expect(after[`${server.url} ${cy}`]).toBeTruthy();
    expect(after[`${server.url} ${cy}`]).not.toBe(before[`${server.url} ${cy}`]);

    // Signing out keeps the tokens: they are what lets this browser back in.
    await bg.service.handle('session.signOut', undefined);
    expect(await tokens()).toEqual(after);
    await guess(cy);
    const state = await bg.service.handle('session.signIn', {
      handle: cy,
      password: 'second password',
      serverUrl: server.url,
    });
    expect(state.user?.handle).toBe(cy);
  });
});
