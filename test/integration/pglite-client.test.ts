import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../server/db/client';

describe('embedded PGlite client', () => {
  let database: Database | undefined;
  afterEach(async () => {
    await database?.close();
    database = undefined;
  });

  it('lets the event loop turn between statements, so sockets and timers are served during a long chain', async () => {
    database = await openDatabase({});
    const { db } = database;
    let turns = 0;
    let ticking = true;
    const tick = () => {
      turns += 1;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    let turnsDuringChain = 0;
    try {
      const before = turns;
      for (let i = 0; i < 30; i++) await db.execute(sql`select ${i}::int as n`);
      await db.transaction(async (tx) => {
        for (let i = 0; i < 10; i++) await tx.execute(sql`select ${i}::int as n`);
      });
      turnsDuringChain = turns - before;
    } finally {
      ticking = false;
    }
    // Run as one stretch of microtasks, the chain would leave no turn at all to anything else.
    expect(turnsDuringChain).toBeGreaterThanOrEqual(30);
  });

  it('a transaction still commits or rolls back as a whole across those turns', async () => {
    database = await openDatabase({});
    const { db } = database;
    await db.execute(sql`create table t (n int primary key)`);
    await expect(
      db.transaction(async (tx) => {
        await tx.execute(sql`insert into t values (1)`);
        await tx.execute(sql`insert into t values (1)`);
      }),
    ).rejects.toThrow();
    // A statement outside the transaction, queued while it ran, sees none of it.
    const [inserted, outside] = await Promise.all([
      db.transaction(async (tx) => {
        await tx.execute(sql`insert into t values (2)`);
        await tx.execute(sql`insert into t values (3)`);
        return 'committed';
      }),
      db.execute<{ c: number }>(sql`select count(*)::int as c from t`),
    ]);
    expect(inserted).toBe('committed');
    expect([0, 2]).toContain(outside.rows[0]?.c);
    const after = await db.execute<{ n: number }>(sql`select n from t order by n`);
    expect(after.rows.map((r) => r.n)).toEqual([2, 3]);
  });

  it('KITH_PGLITE_TRACE records each statement with its calls and time on close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kith-trace-'));
    const file = join(dir, 'trace.json');
    process.env.KITH_PGLITE_TRACE = file;
    try {
      database = await openDatabase({});
      for (let i = 0; i < 3; i++) await database.db.execute(sql`select ${i}::int as traced_value`);
      await database.close();
      database = undefined;
      const trace = JSON.parse(readFileSync(file, 'utf8')) as {
        statements: { sql: string; calls: number; lockedMs: number }[];
      };
      const traced = trace.statements.find((s) => s.sql.includes('traced_value'));
      expect(traced?.calls).toBe(3);
      expect(traced?.lockedMs).toBeGreaterThanOrEqual(0);
    } finally {
      delete process.env.KITH_PGLITE_TRACE;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
