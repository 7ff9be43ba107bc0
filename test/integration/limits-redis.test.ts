import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLimits } from '../../server/limits';
import { requireEnv } from '../fixtures/process';

/** Settles a promise into the error it was refused with, or null. */
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (e: unknown) => e as { code?: string; message?: string },
  );

describe('limits shared through Redis', () => {
  const clients: Redis[] = [];
  const connect = (url: string) => {
    const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    redis.on('error', () => {});
    clients.push(redis);
    return redis;
  };
  let url: string;

  beforeAll(() => {
    url = requireEnv('REDIS_URL');
  });
  afterAll(() => {
    for (const c of clients) c.disconnect();
  });

  async function ready(redis: Redis) {
    if (redis.status !== 'ready') await new Promise((r) => redis.once('ready', r));
  }

  it('two instances count one user’s sends together; another deployment’s counts are apart', async () => {
    const prefix = `test-${randomUUID()}`;
    const [a, b, other] = [connect(url), connect(url), connect(url)];
    await Promise.all([ready(a), ready(b), ready(other)]);
    const settings = { sends: 5, sendWindowSeconds: 60 };
    const first = createLimits(settings, { redis: a, prefix });
    const second = createLimits(settings, { redis: b, prefix });
    const elsewhere = createLimits(settings, { redis: other, prefix: `${prefix}-other` });
    for (let i = 0; i < 3; i++) await first.consumeSend('u-1');
    for (let i = 0; i < 2; i++) await second.consumeSend('u-1');
    const refused = await refusal(first.consumeSend('u-1'));
    expect(refused?.code).toBe('TOO_MANY_REQUESTS');
    expect(refused?.message).toMatch(/Try again in \d+ s/);
    expect((await refusal(second.consumeSend('u-1')))?.code).toBe('TOO_MANY_REQUESTS');
    // Another user, and the same user in another deployment, are unaffected.
    expect(await refusal(second.consumeSend('u-2'))).toBeNull();
    expect(await refusal(elsewhere.consumeSend('u-1'))).toBeNull();
  });

  it('failed sign-ins recorded on one instance lock the handle on the other', async () => {
    const prefix = `test-${randomUUID()}`;
    const [a, b] = [connect(url), connect(url)];
    await Promise.all([ready(a), ready(b)]);
    const settings = { loginFailures: 3, loginWindowSeconds: 60 };
    const first = createLimits(settings, { redis: a, prefix });
    const second = createLimits(settings, { redis: b, prefix });
    await first.recordLoginFailure('handle:ana');
    await second.recordLoginFailure('handle:ana');
    expect(await refusal(first.assertLoginAllowed('handle:ana'))).toBeNull();
    await first.recordLoginFailure('handle:ana');
    expect((await refusal(second.assertLoginAllowed('handle:ana')))?.code).toBe(
      'TOO_MANY_REQUESTS',
    );
    await second.clearLoginFailures('handle:ana');
    expect(await refusal(first.assertLoginAllowed('handle:ana'))).toBeNull();
  });

  it('with Redis unreachable, each instance still limits from its own memory', async () => {
    // A port nothing listens on: every Redis command fails at once.
    const down = connect('redis://127.0.0.1:1');
    const limits = createLimits({ sends: 3, sendWindowSeconds: 60 }, { redis: down, prefix: 'x' });
    for (let i = 0; i < 3; i++) expect(await refusal(limits.consumeSend('u-1'))).toBeNull();
    expect((await refusal(limits.consumeSend('u-1')))?.code).toBe('TOO_MANY_REQUESTS');
  });
});
