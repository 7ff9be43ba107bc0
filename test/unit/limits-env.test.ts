import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../server/env';
import {
  createLimits,
  defaultLimitSettings,
  type LimitSettings,
  limitSettingsFromEnv,
} from '../../server/limits';

const limitsFrom = (source: Record<string, string>) =>
  createLimits(limitSettingsFromEnv(parseEnv(source)));

async function refusal(promise: Promise<unknown>): Promise<string | null> {
  try {
    await promise;
    return null;
  } catch (error) {
    return error instanceof TRPCError ? error.code : String(error);
  }
}

const variables: [string, keyof LimitSettings][] = [
  ['LIMIT_LOGIN_FAILURES', 'loginFailures'],
  ['LIMIT_LOGIN_WINDOW_SECONDS', 'loginWindowSeconds'],
  ['LIMIT_LOGIN_HANDLE_FAILURES', 'loginHandleFailures'],
  ['LIMIT_LOGIN_ADDRESS_ATTEMPTS', 'loginAddressAttempts'],
  ['LIMIT_REGISTRATIONS', 'registrations'],
  ['LIMIT_REGISTRATION_WINDOW_SECONDS', 'registrationWindowSeconds'],
  ['LIMIT_BATCH_CALLS', 'batchCalls'],
  ['LIMIT_SENDS', 'sends'],
  ['LIMIT_SEND_WINDOW_SECONDS', 'sendWindowSeconds'],
  ['LIMIT_SEND_QUEUE', 'sendQueue'],
  ['LIMIT_SEND_WAIT_MS', 'sendWaitMs'],
  ['LIMIT_CHECKOUTS', 'checkouts'],
  ['LIMIT_CHECKOUT_WINDOW_SECONDS', 'checkoutWindowSeconds'],
  ['LIMIT_SOCKETS_PER_USER', 'socketsPerUser'],
  ['LIMIT_REPLAY', 'replayLimit'],
  ['LIMIT_SOCKETS_PER_ADDRESS', 'socketsPerAddress'],
  ['LIMIT_CONNECTIONS_PER_ADDRESS', 'connectionsPerAddress'],
  ['LIMIT_HASH_WAITING', 'hashWaiting'],
  ['LIMIT_HASH_PER_ADDRESS', 'hashPerAddress'],
  ['LIMIT_FRIEND_REQUESTS', 'friendRequests'],
  ['LIMIT_FRIEND_REQUEST_WINDOW_SECONDS', 'friendRequestWindowSeconds'],
  ['LIMIT_PAGE_FETCHES', 'pageFetches'],
  ['LIMIT_PAGE_FETCH_WINDOW_SECONDS', 'pageFetchWindowSeconds'],
];

describe('rate limits from the environment', () => {
  it('unset (or empty) variables give the built-in defaults', () => {
    expect(limitsFrom({}).settings).toEqual(defaultLimitSettings);
    const empty = Object.fromEntries(variables.map(([name]) => [name, '']));
    expect(limitsFrom(empty).settings).toEqual(defaultLimitSettings);
  });

  it('each variable sets its own limit', () => {
    variables.forEach(([name, setting], i) => {
      const value = 17 + i;
      const settings = limitsFrom({ [name]: String(value) }).settings;
      expect(settings, name).toEqual({ ...defaultLimitSettings, [setting]: value });
    });
  });

  it('LIMIT_SENDS=3 refuses the fourth send in the window', async () => {
    const limits = limitsFrom({ LIMIT_SENDS: '3', LIMIT_SEND_WINDOW_SECONDS: '60' });
    for (let i = 0; i < 3; i++) expect(await refusal(limits.consumeSend('u1'))).toBeNull();
    expect(await refusal(limits.consumeSend('u1'))).toBe('TOO_MANY_REQUESTS');
    // Counted per user.
    expect(await refusal(limits.consumeSend('u2'))).toBeNull();
  });

  it('LIMIT_LOGIN_FAILURES and LIMIT_CHECKOUTS reach their limiters', async () => {
    const limits = limitsFrom({ LIMIT_LOGIN_FAILURES: '2', LIMIT_CHECKOUTS: '1' });
    await limits.recordLoginFailure('ana');
    expect(await refusal(limits.assertLoginAllowed('ana'))).toBeNull();
    await limits.recordLoginFailure('ana');
    expect(await refusal(limits.assertLoginAllowed('ana'))).toBe('TOO_MANY_REQUESTS');
    expect(await refusal(limits.consumeCheckout('203.0.113.9', null))).toBeNull();
    expect(await refusal(limits.consumeCheckout('203.0.113.9', null))).toBe('TOO_MANY_REQUESTS');
  });

  it('LIMIT_REGISTRATIONS refuses the next sign-up from the same address in the window', async () => {
    const limits = limitsFrom({
      LIMIT_REGISTRATIONS: '2',
      LIMIT_REGISTRATION_WINDOW_SECONDS: '60',
    });
    for (let i = 0; i < 2; i++)
      expect(await refusal(limits.consumeRegistration('203.0.113.9'))).toBeNull();
    expect(await refusal(limits.consumeRegistration('203.0.113.9'))).toBe('TOO_MANY_REQUESTS');
    expect(await refusal(limits.consumeRegistration('203.0.113.10'))).toBeNull();
  });

  it('LIMIT_REPLAY may be 0 (always resync); the others must be at least 1', () => {
    expect(parseEnv({ LIMIT_REPLAY: '0' }).LIMIT_REPLAY).toBe(0);
    for (const [name] of variables.filter(([name]) => name !== 'LIMIT_REPLAY')) {
      expect(() => parseEnv({ [name]: '0' }), name).toThrow(
        new RegExp(`${name}: must be a whole number from 1 to`),
      );
    }
  });

  it.each(['abc', '-1', '2.5', '1e9', '10 per minute'])(
    'a bad value (%s) is refused with a message naming the variable',
    (value) => {
      for (const [name] of variables) {
        expect(() => parseEnv({ [name]: value }), name).toThrow(
          new RegExp(`Invalid environment[\\s\\S]*\\n  ${name}: must be a whole number`),
        );
      }
    },
  );
});
