import { describe, expect, it } from 'vitest';
import { OPENING_TTL_MS, Openings, openingRequest } from '../../../extension/background/openings';
import type { KeyValueStorage } from '../../../extension/background/session';

const GROUP = '00000000-0000-4000-8000-0000000000aa';
const CLIP = 'https://www.tiktok.com/@scout2015/video/7301234567890123451';

/** `storage.session` in memory, as the background's worker sees it across restarts. */
function memoryStorage(): KeyValueStorage {
  const data: Record<string, unknown> = {};
  return {
    async get(keys) {
      return Object.fromEntries(keys.filter((k) => k in data).map((k) => [k, data[k]]));
    },
    async set(items) {
      Object.assign(data, structuredClone(items));
    },
    async remove(keys) {
      for (const k of keys) delete data[k];
    },
  };
}

describe('clip cards opening a tab on their thread', () => {
  it('checks what the popup asks to open', () => {
    expect(openingRequest({ url: CLIP, groupId: GROUP, atSeconds: 12 })).toEqual({
      url: CLIP,
      groupId: GROUP,
      atSeconds: 12,
    });
    expect(openingRequest({ url: CLIP, groupId: GROUP })).toMatchObject({ atSeconds: null });
    for (const bad of [
      { url: 'javascript:alert(1)', groupId: GROUP },
      { url: 'chrome://settings', groupId: GROUP },
      { url: 'not a url', groupId: GROUP },
      { url: `https://x.test/${'a'.repeat(2100)}`, groupId: GROUP },
      { url: CLIP, groupId: 'g-1' },
      { url: CLIP, groupId: GROUP, atSeconds: -1 },
      { url: CLIP, groupId: GROUP, atSeconds: Number.NaN },
      { url: CLIP, groupId: GROUP, atSeconds: '12' },
      null,
    ]) {
      expect(() => openingRequest(bad)).toThrow(/web address|group id|moment/);
    }
  });

  it("answers a tab's opening once, on the host it was opened on, across a worker restart", async () => {
    const storage = memoryStorage();
    let now = 1_000_000;
    const before = new Openings(storage, () => now);
    await before.remember(7, { url: CLIP, groupId: GROUP, atSeconds: 1 });
    await before.remember(8, { url: CLIP, groupId: GROUP, atSeconds: null });

    // A new worker reads what the old one kept.
    const after = new Openings(storage, () => now);
    expect(await after.take(9, CLIP)).toBeNull();
    expect(await after.take(7, CLIP)).toEqual({ groupId: GROUP, atSeconds: 1 });
    expect(await after.take(7, CLIP)).toBeNull();
    // Another site in that tab gets nothing (and the opening is spent).
    expect(await after.take(8, 'https://www.youtube.com/shorts/abcdefghijk')).toBeNull();
    expect(await after.take(8, CLIP)).toBeNull();

    // An opening nobody asked for in time lapses.
    await after.remember(10, { url: CLIP, groupId: GROUP, atSeconds: null });
    now += OPENING_TTL_MS;
    expect(await after.take(10, CLIP)).toBeNull();
  });

  it('keeps openings in memory without a session storage', async () => {
    const openings = new Openings(undefined);
    await openings.remember(3, { url: CLIP, groupId: GROUP, atSeconds: 0 });
    expect(await openings.take(3, `${CLIP}?is_from_webapp=1`)).toEqual({
      groupId: GROUP,
      atSeconds: 0,
    });
  });
});
