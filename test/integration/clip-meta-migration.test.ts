import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrationsFolder } from '../../server/db/client';
import { engines } from '../fixtures/db';

/** The migrations folder as it was before `tag` (that migration and those after it left out). */
function migrationsBefore(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kith-migrations-'));
  cpSync(migrationsFolder, dir, { recursive: true });
  const journalPath = join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as {
    entries: { idx: number; tag: string }[];
  };
  const cut = journal.entries.findIndex((e) => e.tag === tag);
  if (cut < 0) throw new Error(`no migration ${tag}`);
  journal.entries = journal.entries.slice(0, cut);
  writeFileSync(journalPath, JSON.stringify(journal));
  return dir;
}

interface Migratable {
  migrate(folder: string): Promise<void>;
  query(text: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

async function open(engine: string): Promise<Migratable> {
  if (engine === 'pglite') {
    const client = new PGlite();
    const db = drizzlePglite({ client });
    return {
      migrate: (folder) => migratePglite(db, { migrationsFolder: folder }),
      query: async (text) => (await db.execute(sql.raw(text))).rows as Record<string, unknown>[],
      close: () => client.close(),
    };
  }
  const adminUrl = process.env.TEST_DATABASE_URL as string;
  const name = `kith_mig_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  const db = drizzlePg({ client: pool });
  return {
    migrate: (folder) => migratePg(db, { migrationsFolder: folder }),
    query: async (text) => (await db.execute(sql.raw(text))).rows as Record<string, unknown>[],
    close: async () => {
      await pool.end();
      const cleanup = new pg.Client({ connectionString: adminUrl });
      await cleanup.connect();
      await cleanup.query(`drop database if exists ${name} with (force)`);
      await cleanup.end();
    },
  };
}

describe.each(engines)('upgrading a database that holds shared clip titles, on %s', (engine) => {
  const folders: string[] = [];
  afterAll(() => {
    for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  });

  it("a title or thumbnail a stranger's first share left on a shared clip is gone after the upgrade", async () => {
    const database = await open(engine);
    try {
      const before = migrationsBefore('0006_clear_shared_clip_meta');
      folders.push(before);
      await database.migrate(before);
      await database.query(`insert into clips (site, clip_id, url, title, thumbnail_url) values
        ('youtube', 'aaaaaaaaaaa', 'https://www.youtube.com/shorts/aaaaaaaaaaa', 'FREE GIFT CARD', 'https://i.ytimg.com/vi/evil/0.jpg'),
        ('youtube', 'bbbbbbbbbbb', 'https://www.youtube.com/shorts/bbbbbbbbbbb', null, null)`);
      await database.migrate(migrationsFolder);
      const rows = await database.query(
        'select clip_id, url, title, thumbnail_url from clips order by clip_id',
      );
      expect(rows).toEqual([
        {
          clip_id: 'aaaaaaaaaaa',
          url: 'https://www.youtube.com/shorts/aaaaaaaaaaa',
          title: null,
          thumbnail_url: null,
        },
        {
          clip_id: 'bbbbbbbbbbb',
          url: 'https://www.youtube.com/shorts/bbbbbbbbbbb',
          title: null,
          thumbnail_url: null,
        },
      ]);
    } finally {
      await database.close();
    }
  });
});
