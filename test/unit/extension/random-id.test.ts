import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { randomId } from '../../../extension/lib/random-id';

const extensionDir = path.resolve(import.meta.dirname, '../../../extension');
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('ids for messages sent from any page', () => {
  it('are random v4 UUIDs even where crypto.randomUUID is missing (plain-http pages)', () => {
    // On http:// pages (not a secure context) browsers leave out crypto.randomUUID.
    vi.stubGlobal('crypto', { getRandomValues: globalThis.crypto.getRandomValues.bind(crypto) });
    expect(globalThis.crypto.randomUUID).toBeUndefined();
    const ids = Array.from({ length: 1000 }, () => randomId());
    for (const id of ids) expect(id).toMatch(UUID_V4);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('no extension code calls crypto.randomUUID, so sending works on sites people turn Kith on for over http', async () => {
    const files = (await readdir(extensionDir, { recursive: true })).filter((f) =>
      /\.tsx?$/.test(f),
    );
    const callers: string[] = [];
    for (const file of files) {
      const code = await readFile(path.join(extensionDir, file), 'utf8');
      if (/randomUUID\s*\??\.?\(/.test(code)) callers.push(file);
    }
    expect(callers, 'use randomId() from extension/lib/random-id.ts').toEqual([]);
  });
});
