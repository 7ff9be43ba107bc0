import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePg, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { repoRoot } from '../paths';
import { tracePglite } from './pglite-trace';
import * as schema from './schema';

/**
 * PGlite's and node-postgres' drizzle databases share one query API; the rest of the server
 * is written against this type and never knows which engine is underneath.
 */
export type Db = NodePgDatabase<typeof schema>;
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

export interface Database {
  db: Db;
  engine: 'pglite' | 'postgres';
  close(): Promise<void>;
}

export const migrationsFolder = path.join(repoRoot, 'server/db/migrations');

export interface OpenDatabaseOptions {
  /** PostgreSQL connection string; when absent an embedded PGlite database is used. */
  url?: string;
  /** Where PGlite keeps its files; `undefined` with no url means in memory. */
  dataDir?: string;
  /** Pool size for PostgreSQL. */
  poolSize?: number;
}

/** Opens the database and applies every pending migration before returning. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (options.url) {
    const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10 });
    // A client losing its connection (a database restart) must not crash the process: the
    // pool reports idle ones here; a checked-out one emits 'error' on itself (pg-pool removes
    // its own listener while the client is lent out), and its next query fails instead.
    pool.on('error', () => {});
    pool.on('connect', (client) => client.on('error', () => {}));
    const db = drizzlePg({ client: pool, schema });
    await migratePg(db, { migrationsFolder });
    return { db, engine: 'postgres', close: () => pool.end() };
  }
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const client = new PGlite(options.dataDir);
  yieldBetweenStatements(client);
  const db = drizzlePglite({ client, schema });
  await migratePglite(db, { migrationsFolder });
  // Diagnostics: KITH_PGLITE_TRACE=file.json records each statement's calls and cost.
  const trace = process.env.KITH_PGLITE_TRACE;
  const report = trace ? tracePglite(client, trace) : undefined;
  return {
    db: db as unknown as Db,
    engine: 'pglite',
    close: async () => {
      report?.();
      await client.close();
    },
  };
}

/** Taken once, so a test that fakes timers cannot stall the database. */
const nextTurn = globalThis.setImmediate;

/**
 * PGlite runs each statement synchronously in WASM and answers through promises that are
 * already settled, so a chain of statements (a send batch, then the next one) runs as one long
 * stretch of microtasks: no socket is read or written until the whole chain is done. Sends then
 * arrive one at a time, every batch holds a single message, and acknowledgements and deliveries
 * wait behind seconds of work. Letting the event loop turn once before each statement, as a
 * network round trip to PostgreSQL does, keeps I/O flowing and lets concurrent sends gather
 * into one batch. The order of statements and their transactions is unchanged.
 */
function yieldBetweenStatements(client: PGlite): void {
  const exclusive = client._runExclusiveQuery.bind(client);
  client._runExclusiveQuery = async (fn) => {
    await new Promise<void>((resolve) => nextTurn(resolve));
    return exclusive(fn);
  };
}

/** Socket errors that mean the database server could not be reached (or went away). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/**
 * SQLSTATEs of a server that is shutting down, restarting or full: class 08 (connection
 * exception), 57P01–57P03 (admin/crash shutdown, cannot connect now), 53300 (too many clients).
 */
const UNAVAILABLE_STATE = /^(08[0-9A-Z]{3}|57P0[123]|53300)$/;
/** node-postgres' own words for a connection it lost or could not open. */
const LOST_CONNECTION =
  /Connection terminated|is not queryable|timeout exceeded when trying to connect/i;

/**
 * Whether an error (or one it wraps) means the database cannot be reached right now, as
 * opposed to a query it refused: the same request may succeed once the database is back.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  const pending: unknown[] = [error];
  while (pending.length) {
    const e = pending.pop();
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    const { code, cause, errors } = e as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_STATE.test(code)))
      return true;
    if (e instanceof Error && LOST_CONNECTION.test(e.message)) return true;
    pending.push(cause);
    // Connecting to every address of a host fails as one AggregateError.
    if (Array.isArray(errors)) pending.push(...errors);
  }
  return false;
}

/**
 * The Redis channel for this database's events: the cluster's system identifier plus the
 * database name, so every instance on one database shares it and nothing else does.
 */
export async function busChannel(db: Db): Promise<string> {
  const result = await db.execute<{ id: string }>(
    sql`select current_database() || ':' || (select system_identifier from pg_control_system())::text as id`,
  );
  const id = result.rows[0]?.id ?? 'unknown';
  return `kith:events:${createHash('sha256').update(id).digest('hex').slice(0, 16)}`;
}
