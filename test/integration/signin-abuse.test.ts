import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { defaultLimitSettings } from '../../server/limits';
import type { Deps } from '../../server/trpc';
import { openTestDatabase, type TestDatabase } from '../fixtures/db';
import { makeDeps } from '../fixtures/deps';
import { startLive } from '../fixtures/live';
import {
  call,
  codeOf,
  countCodes,
  from,
  PASSWORD,
  socketBatch,
  type WireResult,
} from '../fixtures/wire-auth';

let n = 0;
const handle = (tag: string) => `${tag}_${process.pid % 1000}_${n++}`.slice(0, 24);
let octet = 10;
/** A fresh client address for each attacker or user, as a trusted proxy reports it. */
const address = () => `198.51.100.${octet++}`;

const FAILURES = 3;
const BATCH = 20;

/** Registers over HTTP from `where`; returns the session token and the known-device token. */
async function register(url: string, name: string, where = address()) {
  const reply = await call(
    url,
    'auth.register',
    [{ handle: name, password: PASSWORD }],
    from(where),
  );
  const data = reply.results[0]?.result?.data;
  if (!data?.token) throw new Error(`could not register ${name}: ${JSON.stringify(reply)}`);
  return { token: data.token, deviceToken: data.deviceToken as string | undefined };
}

const guesses = (name: string, count: number) =>
  Array.from({ length: count }, (_, i) => ({ handle: name, password: `wrong guess ${i}` }));

/** Everything a wrong password can be answered with once it has been checked. */
const checked = (results: WireResult[]) =>
  results.filter((r) => codeOf(r) === 'UNAUTHORIZED' || codeOf(r) === 'OK').length;

describe('sign-in abuse over HTTP, one instance', () => {
  let database: TestDatabase;
  let deps: Deps;
  let server: RunningServer;

  beforeAll(async () => {
    database = await openTestDatabase('pglite');
    deps = makeDeps(database.db, {
      env: { TRUST_PROXY: '1' },
      limits: {
        loginFailures: FAILURES,
        loginHandleFailures: 3 * FAILURES,
        registrations: 1000,
        batchCalls: BATCH,
        // The hashing queue's real bounds (test deps are generous by default).
        hashWaiting: defaultLimitSettings.hashWaiting,
        hashPerAddress: defaultLimitSettings.hashPerAddress,
      },
    });
    server = await startLive(deps);
  });
  afterAll(async () => {
    await server?.close();
    deps?.hub.stop();
    await database?.close();
  });

  it('a guesser batching many logins in one request gets only the limit of passwords checked, and the right one after them is refused', async () => {
    const name = handle('batch');
    await register(server.url, name);
    const attacker = address();
    const inputs = [...guesses(name, BATCH - 1), { handle: name, password: PASSWORD }];
    const reply = await call(server.url, 'auth.login', inputs, from(attacker));
    expect(reply.results).toHaveLength(BATCH);
    expect(checked(reply.results), JSON.stringify(countCodes(reply.results))).toBeLessThanOrEqual(
      FAILURES,
    );
    expect(codeOf(reply.results.at(-1) as WireResult)).toBe('TOO_MANY_REQUESTS');
    const after = await call(
      server.url,
      'auth.login',
      [{ handle: name, password: PASSWORD }],
      from(attacker),
    );
    expect(codeOf(after.results[0] as WireResult)).toBe('TOO_MANY_REQUESTS');
    expect(after.results[0]?.error?.message).toMatch(/Try again in \d+ s/);
  });

  it('a guesser sending many requests at once gets only the limit of passwords checked', async () => {
    const name = handle('par');
    await register(server.url, name);
    const attacker = address();
    const replies = await Promise.all(
      [...guesses(name, 40), { handle: name, password: PASSWORD }].map((input) =>
        call(server.url, 'auth.login', [input], from(attacker)),
      ),
    );
    const results = replies.flatMap((r) => r.results);
    expect(checked(results), JSON.stringify(countCodes(results))).toBeLessThanOrEqual(FAILURES);
    expect(codeOf(results.at(-1) as WireResult)).not.toBe('OK');
  });

  it('an HTTP batch over the cap is refused whole with a clear message, and none of its calls run', async () => {
    const name = handle('cap');
    await register(server.url, name);
    const where = address();
    const reply = await call(
      server.url,
      'auth.login',
      [...guesses(name, BATCH), { handle: name, password: PASSWORD }],
      from(where),
    );
    expect(reply.status).toBe(400);
    for (const r of reply.results) {
      expect(codeOf(r)).toBe('BAD_REQUEST');
      expect(r.error?.message).toMatch(new RegExp(`at most ${BATCH}.*[Ss]plit`));
    }
    // None of the wrong guesses counted: the right password still signs in from there.
    const ok = await call(
      server.url,
      'auth.login',
      [{ handle: name, password: PASSWORD }],
      from(where),
    );
    expect(codeOf(ok.results[0] as WireResult)).toBe('OK');
    // A batch at the cap is fine.
    const atCap = await call(
      server.url,
      'auth.login',
      Array.from({ length: BATCH }, () => ({ handle: 'someone_else' })),
      from(where),
    );
    expect(atCap.results.map(codeOf)).toEqual(Array(BATCH).fill('BAD_REQUEST'));
    expect(atCap.results[0]?.error?.message).toMatch(/^Invalid input: password/);
  });

  it('a WebSocket message batch over the cap is refused whole, and none of its calls run', async () => {
    const name = handle('wscap');
    const calls = Array.from({ length: BATCH + 1 }, (_, i) => ({
      path: 'auth.register',
      input: { handle: `${name.slice(0, 20)}_${i}`, password: PASSWORD },
    }));
    const results = await socketBatch(server.wsUrl, calls);
    expect(results.map(codeOf)).toEqual(Array(BATCH + 1).fill('BAD_REQUEST'));
    expect(results[0]?.error?.message).toMatch(new RegExp(`at most ${BATCH}`));
    // Nothing was registered: the first handle is still free.
    const first = calls[0]?.input as { handle: string };
    const again = await call(server.url, 'auth.register', [first], from(address()));
    expect(codeOf(again.results[0] as WireResult)).toBe('OK');
    // At the cap, the calls run (and each is judged on its own input).
    const atCap = await socketBatch(
      server.wsUrl,
      calls.slice(1, BATCH + 1).map((c) => ({ ...c, input: { handle: 'no' } })),
    );
    for (const r of atCap) expect(r.error?.message).toMatch(/^Invalid input: handle/);
  });

  it('a flood of logins from one address is turned away at once while a real user signs in promptly', async () => {
    const name = handle('real');
    await register(server.url, name);
    const attacker = address();
    const flood = Array.from({ length: 30 }, (_, r) =>
      call(
        server.url,
        'auth.login',
        Array.from({ length: BATCH }, (_, i) => ({
          handle: `nobody_${r}_${i}`,
          password: PASSWORD,
        })),
        from(attacker),
      ),
    );
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    const mine = await call(
      server.url,
      'auth.login',
      [{ handle: name, password: PASSWORD }],
      from(address()),
    );
    const waited = Date.now() - started;
    expect(codeOf(mine.results[0] as WireResult)).toBe('OK');
    expect(waited).toBeLessThan(3000);
    const results = (await Promise.all(flood)).flatMap((r) => r.results);
    const busy = results.filter((r) => codeOf(r) === 'TOO_MANY_REQUESTS');
    expect(busy.length).toBeGreaterThan(results.length / 2);
    expect(busy[0]?.error?.message).toMatch(/Try again in \d+ s/);
  });

  it('an attacker who exhausts an account’s failures from many addresses cannot lock its owner out of a known device', async () => {
    const name = handle('owner');
    const owner = await register(server.url, name);
    expect(owner.deviceToken).toEqual(expect.any(String));
    // The attacker moves from address to address until the account as a whole is refused.
    for (let i = 0; i < 5; i++) {
      await call(server.url, 'auth.login', guesses(name, FAILURES), from(address()));
    }
    const stranger = await call(
      server.url,
      'auth.login',
      [{ handle: name, password: PASSWORD }],
      from(address()),
    );
    expect(codeOf(stranger.results[0] as WireResult)).toBe('TOO_MANY_REQUESTS');
    expect(stranger.results[0]?.error?.message).toMatch(/device you have signed in on before/);
    // The owner, on the device they signed up on, from yet another address, still gets in.
    const mine = await call(
      server.url,
      'auth.login',
      [{ handle: name, password: PASSWORD, deviceToken: owner.deviceToken }],
      from(address()),
    );
    expect(codeOf(mine.results[0] as WireResult)).toBe('OK');
    expect(mine.results[0]?.result?.data.deviceToken).toEqual(expect.any(String));
    // A made-up device token does not help the attacker.
    const forged = await call(
      server.url,
      'auth.login',
      [{ handle: name, password: PASSWORD, deviceToken: `${owner.deviceToken}x` }],
      from(address()),
    );
    expect(codeOf(forged.results[0] as WireResult)).toBe('TOO_MANY_REQUESTS');
    // Nor does a device token of the attacker's own account.
    const own = await register(server.url, handle('mallory'));
    const borrowed = await call(
      server.url,
      'auth.login',
      [{ handle: name, password: PASSWORD, deviceToken: own.deviceToken }],
      from(address()),
    );
    expect(codeOf(borrowed.results[0] as WireResult)).toBe('TOO_MANY_REQUESTS');
  });

  it('someone holding my session cannot use account deletion to guess my password past the limit', async () => {
    const name = handle('del');
    const me = await register(server.url, name);
    const where = address();
    const replies = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        call(server.url, 'account.delete', [{ password: `not it ${i}` }], from(where, me.token)),
      ),
    );
    const results = replies.flatMap((r) => r.results);
    expect(results.filter((r) => codeOf(r) === 'FORBIDDEN').length).toBeLessThanOrEqual(FAILURES);
    const right = await call(
      server.url,
      'account.delete',
      [{ password: PASSWORD }],
      from(where, me.token),
    );
    expect(codeOf(right.results[0] as WireResult)).toBe('TOO_MANY_REQUESTS');
  });

  it('a known device still has only the limit of guesses', async () => {
    const name = handle('stolen');
    const owner = await register(server.url, name);
    const replies = await Promise.all(
      guesses(name, 10).map((input, i) =>
        call(
          server.url,
          'auth.login',
          [{ ...input, deviceToken: owner.deviceToken }],
          from(`203.0.113.${i + 1}`),
        ),
      ),
    );
    const results = replies.flatMap((r) => r.results);
    expect(checked(results), JSON.stringify(countCodes(results))).toBeLessThanOrEqual(FAILURES);
  });
});

describe('sign-ups over HTTP', () => {
  let database: TestDatabase;
  let deps: Deps;
  let server: RunningServer;

  beforeAll(async () => {
    database = await openTestDatabase('pglite');
    deps = makeDeps(database.db, {
      env: { TRUST_PROXY: '1' },
      limits: { registrations: 3, registrationWindowSeconds: 3600 },
    });
    server = await startLive(deps);
  });
  afterAll(async () => {
    await server?.close();
    deps?.hub.stop();
    await database?.close();
  });

  it('one address making accounts in bulk gets the limit of them, told when to retry, and nothing more is stored', async () => {
    const spammer = address();
    const names = Array.from({ length: 12 }, () => handle('bulk'));
    const replies = await Promise.all(
      names.map((name) =>
        call(server.url, 'auth.register', [{ handle: name, password: PASSWORD }], from(spammer)),
      ),
    );
    const results = replies.flatMap((r) => r.results);
    expect(countCodes(results)).toEqual({ OK: 3, TOO_MANY_REQUESTS: 9 });
    const refused = results.find((r) => codeOf(r) === 'TOO_MANY_REQUESTS');
    expect(refused?.error?.message).toMatch(/Try again in \d+ s/);
    // The refused handles were not taken: someone else can have them.
    const refusedName = names[results.indexOf(refused as WireResult)] as string;
    const other = await call(
      server.url,
      'auth.register',
      [{ handle: refusedName, password: PASSWORD }],
      from(address()),
    );
    expect(codeOf(other.results[0] as WireResult)).toBe('OK');
  });
});
