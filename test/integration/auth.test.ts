import { TRPCError } from '@trpc/server';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../server/deps';
import { engines, openTestDatabase, type TestDatabase } from '../fixtures/db';
import { callerFor, makeDeps, signUp } from '../fixtures/deps';

describe.each(engines)('accounts on %s', (engine) => {
  let database: TestDatabase;
  let deps: Deps;
  beforeAll(async () => {
    database = await openTestDatabase(engine);
    deps = makeDeps(database.db, { limits: { loginFailures: 3 } });
  });
  afterAll(() => database?.close());

  it('a new user registers, is signed in, and sees themself in auth.me', async () => {
    const anon = await callerFor(deps);
    const { token, user } = await anon.auth.register({
      handle: 'Ana_1',
      password: 'long enough pw',
      displayName: 'Ana',
    });
    expect(user).toEqual({ id: expect.any(String), handle: 'ana_1', displayName: 'Ana' });
    expect(token.length).toBeGreaterThanOrEqual(40);
    const me = await (await callerFor(deps, token)).auth.me();
    expect(me).toEqual({
      ...user,
      sendReceipts: true,
      groupAdds: 'friends',
      findableByHandle: true,
      settings: { readReceipts: true, groupAdds: 'friends', findableByHandle: true },
    });
  });

  it('a user turns read receipts off and renames themself', async () => {
    const user = await signUp(deps, 'private');
    const updated = await user.api.auth.update({ sendReceipts: false, displayName: 'Quiet One' });
    expect(updated).toMatchObject({ id: user.id, displayName: 'Quiet One', sendReceipts: false });
    expect(await user.api.auth.me()).toMatchObject({
      sendReceipts: false,
      displayName: 'Quiet One',
    });
    await expect(user.api.auth.update({})).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('stores only a hash of the token and a scrypt hash of the password', async () => {
    const anon = await callerFor(deps);
    const { token, user } = await anon.auth.register({
      handle: 'hashcheck',
      password: 'secret password',
    });
    const sessions = await database.db.execute<{ token_hash: string }>(
      sql`select token_hash from sessions where user_id = ${user.id}`,
    );
    expect(sessions.rows).toHaveLength(1);
    expect(sessions.rows[0]?.token_hash).not.toBe(token);
    const users = await database.db.execute<{ password_hash: string }>(
      sql`select password_hash from users where id = ${user.id}`,
    );
    expect(users.rows[0]?.password_hash).toMatch(/^scrypt\$/);
    expect(users.rows[0]?.password_hash).not.toContain('secret password');
  });

  it('handles are unique regardless of case', async () => {
    const anon = await callerFor(deps);
    await anon.auth.register({ handle: 'dupe_name', password: 'password one' });
    await expect(
      anon.auth.register({ handle: 'DUPE_NAME', password: 'password two' }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it.each([
    ['too short', 'ab'],
    ['too long', 'a'.repeat(25)],
    ['a space', 'has space'],
    ['punctuation', 'semi;colon'],
    ['non-latin letters', 'ñandú'],
  ])('a handle with %s is refused with a clear message', async (_what, handle) => {
    const anon = await callerFor(deps);
    const error = await anon.auth
      .register({ handle, password: 'long enough pw' })
      .catch((e: TRPCError) => e);
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe('BAD_REQUEST');
  });

  it('signs in with the right password and not with a wrong one', async () => {
    const user = await signUp(deps, 'login');
    const anon = await callerFor(deps);
    await expect(
      anon.auth.login({ handle: user.handle, password: 'wrong password' }),
    ).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    const ok = await anon.auth.login({
      handle: user.handle.toUpperCase(),
      password: 'correct horse battery',
    });
    expect(ok.user.id).toBe(user.id);
  });

  it('repeated failed sign-ins are rate limited, even with the right password after', async () => {
    const user = await signUp(deps, 'brute');
    const anon = await callerFor(deps);
    for (let i = 0; i < 3; i++) {
      await expect(
        anon.auth.login({ handle: user.handle, password: `guess ${i}xxxx` }),
      ).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    }
    await expect(
      anon.auth.login({ handle: user.handle, password: 'correct horse battery' }),
    ).rejects.toMatchObject({
      code: 'TOO_MANY_REQUESTS',
      message: expect.stringMatching(/Try again in \d+ s/),
    });
  });

  it('logout ends the session: the token stops working', async () => {
    const user = await signUp(deps, 'bye');
    await user.api.auth.logout();
    const after = await callerFor(deps, user.token);
    await expect(after.auth.me()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('an expired session token is refused', async () => {
    const user = await signUp(deps, 'expired');
    await database.db.execute(
      sql`update sessions set expires_at = now() - interval '1 minute' where user_id = ${user.id}`,
    );
    await expect((await callerFor(deps, user.token)).auth.me()).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
  });

  it('no token, or a made-up one, is refused', async () => {
    await expect((await callerFor(deps)).auth.me()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect((await callerFor(deps, 'not-a-real-token')).auth.me()).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
  });
});
