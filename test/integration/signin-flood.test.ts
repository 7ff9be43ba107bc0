import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { defaultLimitSettings, type LimitSettings } from '../../server/limits';
import type { Deps } from '../../server/trpc';
import { openTestDatabase } from '../fixtures/db';
import { makeDeps } from '../fixtures/deps';
import { startLive } from '../fixtures/live';
import { call, codeOf, countCodes, from, PASSWORD, type WireResult } from '../fixtures/wire-auth';

let n = 0;
const handle = (tag: string) => `${tag}_${process.pid % 1000}_${n++}`.slice(0, 24);
let octet = 10;
/** A fresh client address for each attacker or user, as a trusted proxy reports it. */
const address = () => `203.0.113.${octet++}`;

async function register(url: string, name: string, where = address()) {
  const reply = await call(
    url,
    'auth.register',
    [{ handle: name, password: PASSWORD }],
    from(where),
  );
  const data = reply.results[0]?.result?.data;
  if (!data?.token) throw new Error(`could not register ${name}: ${JSON.stringify(reply)}`);
  return { token: data.token, deviceToken: data.deviceToken as string };
}

async function serverWith(limits: Partial<LimitSettings>) {
  const database = await openTestDatabase('pglite');
  const deps: Deps = makeDeps(database.db, {
    env: { TRUST_PROXY: '1' },
    limits: {
      registrations: 1000,
      // The hashing queue's real bounds (test deps are generous by default).
      hashWaiting: defaultLimitSettings.hashWaiting,
      hashPerAddress: defaultLimitSettings.hashPerAddress,
      ...limits,
    },
  });
  const server = await startLive(deps);
  return {
    server,
    async close() {
      await server.close();
      deps.hub.stop();
      await database.close();
    },
  };
}

describe('sign-ins while many addresses flood the password checks', () => {
  let live: Awaited<ReturnType<typeof serverWith>>;
  let server: RunningServer;

  beforeAll(async () => {
    // No per-address limit to speak of: the flood goes on for the whole test. A small hash
    // queue (10 places, 2 per address, 2 of them kept for known devices) so that a flood
    // filling it stays light on a busy machine.
    live = await serverWith({
      loginAddressAttempts: 1_000_000,
      loginFailures: 1_000_000,
      hashWaiting: 8,
      hashPerAddress: 2,
    });
    server = live.server;
  });
  afterAll(() => live?.close());

  it('an owner on a device they signed in on before gets in every time, never turned away, while six addresses flood sign-ins to made-up handles', async () => {
    const name = handle('owner');
    const owner = await register(server.url, name);
    const home = address();
    let flooding = true;
    const answers: WireResult[] = [];
    // Six addresses, each with as many requests in flight as the queue lets one address have.
    const attackers = Array.from({ length: 6 }, () => address());
    const workers = attackers.flatMap((attacker, a) =>
      Array.from({ length: 2 }, async (_, w) => {
        for (let i = 0; flooding; i++) {
          const reply = await call(
            server.url,
            'auth.login',
            [{ handle: `nobody_${a}_${w}_${i}`, password: PASSWORD }],
            from(attacker),
          );
          answers.push(...reply.results);
        }
      }),
    );
    await new Promise((r) => setTimeout(r, 300));
    const mine: { code: string; ms: number }[] = [];
    for (let i = 0; i < 8; i++) {
      const started = Date.now();
      const reply = await call(
        server.url,
        'auth.login',
        [{ handle: name, password: PASSWORD, deviceToken: owner.deviceToken }],
        from(home),
      );
      mine.push({ code: codeOf(reply.results[0] as WireResult), ms: Date.now() - started });
      await new Promise((r) => setTimeout(r, 50));
    }
    flooding = false;
    await Promise.all(workers);
    // The flood was real: the queue turned attackers away while it was full.
    expect(countCodes(answers).TOO_MANY_REQUESTS ?? 0).toBeGreaterThan(0);
    // Every attempt was let through the full queue (a place is kept for known devices); how
    // long each took depends on the machine, so it is reported, not judged.
    console.log(`owner's sign-ins during the flood: ${mine.map((m) => `${m.ms} ms`).join(', ')}`);
    expect(mine.map((m) => m.code)).toEqual(mine.map(() => 'OK'));
  });
});

describe('one address spraying a password over many handles', () => {
  const LIMIT = 12;
  let live: Awaited<ReturnType<typeof serverWith>>;
  let server: RunningServer;

  beforeAll(async () => {
    live = await serverWith({ loginAddressAttempts: LIMIT, loginFailures: 3 });
    server = live.server;
  });
  afterAll(() => live?.close());

  it('is cut off after the per-address limit, however the attempts arrive, while other addresses still sign in', async () => {
    const victims = [handle('v'), handle('v'), handle('v')];
    for (const victim of victims) await register(server.url, victim);
    const sprayer = address();
    // Waves of parallel requests (as many as the hash queue admits from one address), over
    // handles that mostly do not exist, some that do.
    const replies = [];
    for (let wave = 0; wave < 5; wave++) {
      replies.push(
        ...(await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            call(
              server.url,
              'auth.login',
              [
                {
                  handle: i === 0 && wave < 3 ? victims[wave] : `spray_${wave}_${i}_${n}`,
                  password: 'summer2024!',
                },
              ],
              from(sprayer),
            ),
          ),
        )),
      );
    }
    const results = replies.flatMap((r) => r.results);
    const counts = countCodes(results);
    expect(counts.UNAUTHORIZED).toBe(LIMIT);
    expect(counts.TOO_MANY_REQUESTS).toBe(30 - LIMIT);
    const refused = results.find((r) => codeOf(r) === 'TOO_MANY_REQUESTS');
    expect(refused?.error?.message).toMatch(/from this address.*Try again in \d+ s/);
    // Even the right password for a real account is refused from there for now.
    const later = await call(
      server.url,
      'auth.login',
      [{ handle: victims[0], password: PASSWORD }],
      from(sprayer),
    );
    expect(codeOf(later.results[0] as WireResult)).toBe('TOO_MANY_REQUESTS');
    // Everyone else is untouched.
    const elsewhere = await call(
      server.url,
      'auth.login',
      [{ handle: victims[0], password: PASSWORD }],
      from(address()),
    );
    expect(codeOf(elsewhere.results[0] as WireResult)).toBe('OK');
  });
});
