import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bus, BusEvent, BusListener } from '../../server/bus';
import { transact } from '../../server/events';
import { EventHub } from '../../server/sync/hub';
import { openTestDatabase, type TestDatabase } from '../fixtures/db';
import { makeDeps, signUp } from '../fixtures/deps';

/** A bus the test drives by hand: it delivers only what the test releases, in the test's order. */
function manualBus(): Bus & { captured: BusEvent[]; release(event: BusEvent): void } {
  const listeners = new Set<BusListener>();
  const captured: BusEvent[] = [];
  return {
    kind: 'memory',
    captured,
    async publish(event) {
      captured.push(event);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    ready: async () => {},
    close: async () => {},
    release(event) {
      for (const l of listeners) l(event);
    },
  };
}

/** An ephemeral event (typing), which the hub passes on without reading the database. */
function typingEvent(): BusEvent {
  return {
    groupId: '00000000-0000-4000-8000-000000000000',
    type: 'typing',
    payload: {},
    createdAt: new Date().toISOString(),
  };
}

describe('the per-instance event hub', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase('pglite');
  });
  afterAll(() => database?.close());

  async function emitEvents(deps: ReturnType<typeof makeDeps>, groupId: string, count: number) {
    for (let i = 0; i < count; i++) {
      await transact(deps, async (_tx, emit) =>
        emit({ groupId, type: 'group.renamed', payload: { i } }),
      );
    }
  }

  it('hands events to listeners in id order even when the bus delivers them out of order', async () => {
    const bus = manualBus();
    const deps = makeDeps(database.db, { bus });
    const owner = await signUp(deps, 'hub');
    const group = await owner.api.groups.create({ name: 'g', memberIds: [] });
    const hub = new EventHub({ db: database.db, bus }, { gapMs: 10_000, pollMs: 60_000 });
    const seen: number[] = [];
    await hub.attach((e) => seen.push(e.id!));
    bus.captured.length = 0;
    await emitEvents(deps, group.id, 3);
    const [a, b, c] = bus.captured as [BusEvent, BusEvent, BusEvent];
    bus.release(c);
    bus.release(a);
    expect(seen).toEqual([a.id]);
    bus.release(b);
    expect(seen).toEqual([a.id, b.id, c.id]);
    bus.release(b);
    expect(seen).toHaveLength(3);
    hub.stop();
  });

  it('fills a hole from the database when a publish never arrives', async () => {
    const bus = manualBus();
    const deps = makeDeps(database.db, { bus });
    const owner = await signUp(deps, 'hub');
    const group = await owner.api.groups.create({ name: 'g', memberIds: [] });
    const hub = new EventHub({ db: database.db, bus }, { gapMs: 30, pollMs: 60_000 });
    const seen: number[] = [];
    await hub.attach((e) => seen.push(e.id!));
    bus.captured.length = 0;
    await emitEvents(deps, group.id, 3);
    const [a, , c] = bus.captured as [BusEvent, BusEvent, BusEvent];
    bus.release(a);
    bus.release(c);
    await new Promise((r) => setTimeout(r, 300));
    expect(seen).toEqual(bus.captured.map((e) => e.id));
    hub.stop();
  });

  it('finds events the bus lost at the tail by polling the database', async () => {
    const bus = manualBus();
    const deps = makeDeps(database.db, { bus });
    const owner = await signUp(deps, 'hub');
    const group = await owner.api.groups.create({ name: 'g', memberIds: [] });
    const hub = new EventHub({ db: database.db, bus }, { gapMs: 10, pollMs: 50 });
    const seen: BusEvent[] = [];
    await hub.attach((e) => seen.push(e));
    await emitEvents(deps, group.id, 2);
    await new Promise((r) => setTimeout(r, 400));
    expect(seen.map((e) => e.payload)).toEqual([{ i: 0 }, { i: 1 }]);
    hub.stop();
  });

  it('passes ephemeral events (typing) straight through', async () => {
    const bus = manualBus();
    const hub = new EventHub({ db: database.db, bus }, { pollMs: 60_000 });
    const seen: BusEvent[] = [];
    await hub.attach((e) => seen.push(e));
    const typing = typingEvent();
    bus.release(typing);
    expect(seen).toEqual([typing]);
    hub.stop();
  });
  it('wakes a narrowed listener only for its groups and its user, once each, and a watched join', async () => {
    const bus = manualBus();
    const hub = new EventHub({ db: database.db, bus }, { pollMs: 60_000 });
    const mine = '00000000-0000-4000-8000-00000000000a';
    const later = '00000000-0000-4000-8000-00000000000b';
    const other = '00000000-0000-4000-8000-00000000000c';
    const typing = (groupId: string, userId?: string) => ({
      groupId,
      type: 'typing',
      userId: userId ?? null,
      payload: { groupId },
      createdAt: new Date().toISOString(),
    });
    const seen: BusEvent[] = [];
    const everything: BusEvent[] = [];
    const handle = await hub.attach((e) => seen.push(e), { userId: 'u-1' });
    await hub.attach((e) => everything.push(e));
    expect(hub.listenerCount).toBe(2);

    // Wide until narrowed: nothing is missed while the stream looks up its groups.
    bus.release(typing(other));
    expect(seen).toHaveLength(1);
    handle.narrow([mine]);
    bus.release(typing(other));
    bus.release(typing(mine));
    // In its group and naming its user: one wake, not two.
    bus.release(typing(mine, 'u-1'));
    // Naming its user in a group it is not in (a join or removal about it) still reaches it.
    bus.release(typing(other, 'u-1'));
    expect(seen.map((e) => [e.groupId, e.userId])).toEqual([
      [other, null],
      [mine, null],
      [mine, 'u-1'],
      [other, 'u-1'],
    ]);
    handle.watch(later);
    bus.release(typing(later));
    expect(seen.at(-1)?.groupId).toBe(later);
    expect(everything).toHaveLength(6);

    handle.detach();
    handle.detach();
    expect(hub.listenerCount).toBe(1);
    bus.release(typing(mine, 'u-1'));
    expect(seen).toHaveLength(5);
    expect(everything).toHaveLength(7);
    hub.stop();
  });
  it('a start that fails (database away) is tried again by the next attach', async () => {
    const bus = manualBus();
    let failures = 1;
    const flaky = new Proxy(database.db, {
      get(target, prop, receiver) {
        if (prop === 'select' && failures > 0) {
          failures -= 1;
          return () => {
            throw new Error('connection refused');
          };
        }
        return Reflect.get(target, prop, receiver);
      },
    }) as typeof database.db;
    const hub = new EventHub({ db: flaky, bus }, { pollMs: 60_000 });
    await expect(hub.attach(() => {})).rejects.toThrow('connection refused');
    expect(hub.listenerCount).toBe(0);
    const seen: BusEvent[] = [];
    const { position } = await hub.attach((e) => seen.push(e));
    expect(position).toBeGreaterThanOrEqual(0);
    const typing = typingEvent();
    bus.release(typing);
    expect(seen).toEqual([typing]);
    hub.stop();
  });
});
