import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BusEvent, createRedisBus } from '../../server/bus';
import { busChannel } from '../../server/db/client';
import { openTestDatabase, type TestDatabase } from '../fixtures/db';
import { requireEnv } from '../fixtures/process';

const event = (id: number): BusEvent => ({
  id,
  groupId: '00000000-0000-4000-8000-000000000001',
  type: 'group.renamed',
  payload: { id },
  createdAt: new Date().toISOString(),
});

describe('the Redis bus', () => {
  let first: TestDatabase;
  let second: TestDatabase;
  beforeAll(async () => {
    requireEnv('REDIS_URL');
    requireEnv('TEST_DATABASE_URL');
    [first, second] = await Promise.all([
      openTestDatabase('postgres'),
      openTestDatabase('postgres'),
    ]);
  });
  afterAll(async () => {
    await Promise.all([first?.close(), second?.close()]);
  });

  it('names one channel per database, so deployments sharing a Redis never hear each other', async () => {
    const [a, b] = [await busChannel(first.db), await busChannel(second.db)];
    expect(a).toBe(await busChannel(first.db));
    expect(a).not.toBe(b);
    const url = requireEnv('REDIS_URL');
    const busA1 = createRedisBus(url, { channel: a });
    const busA2 = createRedisBus(url, { channel: a });
    const busB = createRedisBus(url, { channel: b });
    await Promise.all([busA1.ready(), busA2.ready(), busB.ready()]);
    const onA2: BusEvent[] = [];
    const onB: BusEvent[] = [];
    busA2.subscribe((e) => onA2.push(e));
    busB.subscribe((e) => onB.push(e));
    await busA1.publish(event(500));
    const deadline = Date.now() + 5000;
    while (onA2.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));
    expect(onA2.map((e) => e.id)).toEqual([500]);
    expect(onB).toEqual([]);
    await Promise.all([busA1.close(), busA2.close(), busB.close()]);
  });
});
