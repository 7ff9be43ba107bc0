import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationsFolder } from '../../server/db/client';
import { LOOKUPS_PER_MINUTE } from '../../server/limits';
import { type FakeProfiles, startFakeProfiles } from '../fakes/profiles';
import { ownChannel } from '../fixtures/channels';
import { makeBrand, makeProduct, openShop, type Shop } from '../fixtures/commerce';
import { engines } from '../fixtures/db';
import { signUp, type TestUser } from '../fixtures/deps';

const sha = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** Two TikTok clips whose key hashes share their first four hex digits. */
function collidingTikToks(): [string, string] {
  const seen = new Map<string, string>();
  for (let n = 7_000_000_000_000_000_000n; ; n++) {
    const id = n.toString();
    const prefix = sha(`tiktok:${id}`).slice(0, 4);
    const other = seen.get(prefix);
    if (other) return [other, id];
    seen.set(prefix, id);
  }
}

const tiktok = (id: string) => `https://www.tiktok.com/@someone/video/${id}`;

/** A query over real HTTP, as a viewer's browser sends it. */
async function httpQuery(shop: Shop, pathName: string, input: unknown) {
  const url = `${shop.server.url}/trpc/${pathName}?input=${encodeURIComponent(JSON.stringify(input))}`;
  const res = await fetch(url);
  type Product = { id: string; clipHash: string };
  return {
    status: res.status,
    body: (await res.json()) as {
      result: { data: { prefix: string; truncated: boolean; products: Product[] } };
      error: { message: string };
    },
  };
}

describe.each(engines)('products by clip hash prefix on %s', (engine) => {
  let shop: Shop;
  let profiles: FakeProfiles;
  let owner: TestUser;
  let brandId: string;
  const [first, second] = collidingTikToks();

  beforeAll(async () => {
    shop = await openShop(engine);
    profiles = await startFakeProfiles();
    profiles.use(shop.deps);
    owner = await signUp(shop.deps, 'prefix');
    brandId = (await makeBrand(shop, owner, { name: 'Prefix Goods' })).id;
    // The clips are on the brand's own verified channel, so its tags show to viewers.
    await ownChannel(profiles, owner, 'https://www.tiktok.com/@someone', brandId);
  });
  afterAll(async () => {
    await shop?.close();
    await profiles?.close();
  });

  it('a viewer sends four hex digits of the clip hash and gets every tagged clip under them, with full hashes', async () => {
    const scarf = await makeProduct(owner, brandId, { title: 'Scarf' });
    const hat = await makeProduct(owner, brandId, { title: 'Hat' });
    await owner.api.shop.tag({ brandId, url: tiktok(first), productId: scarf.id, fromSeconds: 2 });
    await owner.api.shop.tag({ brandId, url: tiktok(second), productId: hat.id });
    const firstHash = sha(`tiktok:${first}`);
    const secondHash = sha(`tiktok:${second}`);
    expect(firstHash.slice(0, 4)).toBe(secondHash.slice(0, 4));

    const { status, body } = await httpQuery(shop, 'shop.forClipPrefix', {
      prefix: firstHash.slice(0, 4).toUpperCase(),
    });
    expect(status).toBe(200);
    const answer = body.result.data;
    expect(answer).toMatchObject({ prefix: firstHash.slice(0, 4), truncated: false });
    const byHash = new Map<string, string[]>();
    for (const p of answer.products)
      byHash.set(p.clipHash, [...(byHash.get(p.clipHash) ?? []), p.id]);
    expect(byHash.get(firstHash)).toEqual([scarf.id]);
    expect(byHash.get(secondHash)).toEqual([hat.id]);
    expect(answer.products.find((p) => p.id === scarf.id)).toMatchObject({
      title: 'Scarf',
      fromSeconds: 2,
      toSeconds: null,
      brand: { id: brandId },
    });
    // Nothing in the answer or the question names the clip.
    expect(JSON.stringify(answer)).not.toContain(first);

    // A longer prefix narrows it to one clip; a prefix nobody has answers nothing.
    const exact = await httpQuery(shop, 'shop.forClipPrefix', { prefix: firstHash });
    expect(exact.body.result.data.products.map((p) => p.id)).toEqual([scarf.id]);
  });

  it('refuses anything but 4 to 64 hex digits, with what to send', async () => {
    for (const prefix of ['abc', 'zzzz', 'a'.repeat(65), '', '12 34', 'ab%']) {
      const { status, body } = await httpQuery(shop, 'shop.forClipPrefix', { prefix });
      expect(status).toBe(400);
      expect(body.error.message).toMatch(/4 to 64 hex digits/);
    }
    const missing = await httpQuery(shop, 'shop.forClipPrefix', {});
    expect(missing.status).toBe(400);
  });

  it('caps the answer and says so', async () => {
    const product = await makeProduct(owner, brandId, { title: 'Many' });
    const prefix = 'beef';
    const ids = Array.from({ length: 201 }, (_, n) =>
      (8_000_000_000_000_000_000n + BigInt(n)).toString(),
    );
    // Tagged through the API, then moved under one prefix (finding 201 real hashes under four
    // digits would take millions of tries).
    for (const [i, id] of ids.entries()) {
      await owner.api.shop.tag({ brandId, url: tiktok(id), productId: product.id });
      await shop.database.db.execute(
        sql`update clips set key_hash = ${`${prefix}${String(i).padStart(60, '0')}`} where clip_id = ${id}`,
      );
    }
    const { body } = await httpQuery(shop, 'shop.forClipPrefix', { prefix });
    expect(body.result.data.truncated).toBe(true);
    expect(body.result.data.products).toHaveLength(200);

    // The next page, after the last hash seen, holds the rest of the bucket and nothing twice.
    const after = body.result.data.products.at(-1)?.clipHash;
    const next = await httpQuery(shop, 'shop.forClipPrefix', { prefix, after });
    expect(next.status).toBe(200);
    expect(next.body.result.data.truncated).toBe(false);
    expect(next.body.result.data.products.map((p) => p.clipHash)).toEqual([
      `${prefix}${'200'.padStart(60, '0')}`,
    ]);
  });

  it('refuses a page cursor that is not a full key hash, with what to send', async () => {
    for (const after of ['beef', 'z'.repeat(64), 'a'.repeat(65)]) {
      const { status, body } = await httpQuery(shop, 'shop.forClipPrefix', {
        prefix: 'beef',
        after,
      });
      expect(status).toBe(400);
      expect(body.error.message).toMatch(/64 hex digits/);
    }
  });
});

describe('looking up products by prefix, many times from one address', () => {
  let shop: Shop;
  beforeAll(async () => {
    shop = await openShop('pglite');
  });
  afterAll(() => shop?.close());

  it('an address that looks up products far faster than anyone watches clips is slowed down, with the wait', async () => {
    const lookups = Array.from({ length: LOOKUPS_PER_MINUTE + 20 }, (_, i) => ({
      prefix: i.toString(16).padStart(4, '0'),
    }));
    const statuses = await Promise.all(
      lookups.map(async (input) => {
        const { status, body } = await httpQuery(shop, 'shop.forClipPrefix', input);
        return status === 429 ? body.error.message : status;
      }),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(LOOKUPS_PER_MINUTE);
    const refused = statuses.filter((s) => typeof s === 'string');
    expect(refused).toHaveLength(20);
    expect(refused[0]).toMatch(/Try again in \d+ s/);
  });
});

describe('the clip hash migration', () => {
  it('gives clips stored before it the same hash the server computes for new ones', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kith-mig-'));
    try {
      cpSync(migrationsFolder, dir, { recursive: true });
      const journalPath = path.join(dir, 'meta/_journal.json');
      const journal = JSON.parse(readFileSync(journalPath, 'utf8'));
      const mine = journal.entries.findIndex((e: { tag: string }) =>
        e.tag.endsWith('clip_key_hash'),
      );
      expect(mine).toBeGreaterThan(0);
      writeFileSync(
        journalPath,
        JSON.stringify({ ...journal, entries: journal.entries.slice(0, mine) }),
      );
      const client = new PGlite();
      const db = drizzle(client);
      await migrate(db, { migrationsFolder: dir });
      const clips = [
        ['tiktok', '7234567890123456789'],
        ['youtube', 'aBcDeFgHiJk'],
        ['web', 'https://例え.jp/ストーリー?q=ü'],
      ];
      for (const [site, clipId] of clips)
        await client.query('insert into clips (site, clip_id, url) values ($1, $2, $3)', [
          site,
          clipId,
          'https://x.test/',
        ]);
      await migrate(db, { migrationsFolder });
      const { clipKeyHash } = await import('../../server/clips/store');
      const rows = (
        await client.query<{ site: string; clip_id: string; key_hash: string }>(
          'select site, clip_id, key_hash from clips',
        )
      ).rows;
      expect(rows).toHaveLength(3);
      for (const row of rows)
        expect(row.key_hash).toBe(clipKeyHash({ site: row.site, clipId: row.clip_id }));
      await client.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
