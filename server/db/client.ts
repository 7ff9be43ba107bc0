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
  /** PostgreSQL timeouts; unset ones take `DEFAULT_DATABASE_TIMEOUTS`. */
  timeouts?: Partial<DatabaseTimeouts>;
}

/** How long PostgreSQL may take before a request fails instead of hanging (milliseconds). */
export interface DatabaseTimeouts {
  /** Opening a connection, and waiting for a free one when the pool is busy. */
  connectMs: number;
  /**
   * One statement, cancelled by the server past this (`statement_timeout`). The client gives up
   * on an answer `QUERY_TIMEOUT_MARGIN_MS` later (`query_timeout`), for a server that has
   * stopped answering altogether, and closes that connection.
   */
  statementMs: number;
  /** A transaction left open with nothing running is ended by the server past this. */
  idleInTransactionMs: number;
}

export const DEFAULT_DATABASE_TIMEOUTS: DatabaseTimeouts = {
  connectMs: 5000,
  statementMs: 5000,
  idleInTransactionMs: 10_000,
};

/** How much longer than `statement_timeout` the client waits for an answer. */
export const QUERY_TIMEOUT_MARGIN_MS = 1000;

const READ_TIMEOUT = /Query read timeout/;

/**
 * Two ways a failed query would otherwise leave a connection behind, stuck:
 * - A query that timed out on the client may still be running, or its answer still on the
 *   way, on a connection that may be stalled: node-postgres would hand that connection back to
 *   the pool (drizzle releases a transaction's client without an error), where the next user
 *   would wait behind it, or inherit its open transaction. So the connection is closed at once;
 *   the pool then drops it, and PostgreSQL rolls back whatever it had open.
 * - drizzle's `transaction` takes a client from the pool and sends BEGIN outside its
 *   try/finally, so when BEGIN fails (timeout, lost connection) the client is never given
 *   back, and a few failures exhaust the pool for good. The failed BEGIN gives it back here,
 *   with its error, so the pool drops it.
 */
function guardClient(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const raw = client as unknown as {
    connection?: { stream?: { destroy(): void } };
    query: (...args: unknown[]) => unknown;
  };
  const closeOnTimeout = (error: unknown) => {
    if (error instanceof Error && READ_TIMEOUT.test(error.message))
      raw.connection?.stream?.destroy();
  };
  raw.query = (...args) => {
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === 'function') {
      args[last] = (error: unknown, result: unknown) => {
        closeOnTimeout(error);
        callback(error, result);
      };
      return query(...args);
    }
    const result = query(...args);
    if (result instanceof Promise) {
      const first = args[0] as string | { text?: unknown } | undefined;
      const text = typeof first === 'string' ? first : first?.text;
      const begins = typeof text === 'string' && /^\s*begin\b/i.test(text);
      result.catch((error: unknown) => {
        closeOnTimeout(error);
        if (begins) client.release(error instanceof Error ? error : true);
      });
    }
    return result;
  };
}

/** Opens the database and applies every pending migration before returning. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (options.url) {
    const timeouts = { ...DEFAULT_DATABASE_TIMEOUTS, ...options.timeouts };
    // Migrations run on their own connection without a statement timeout: building an index
    // on a large table may rightly take longer than any request should.
    const migrator = new pg.Pool({
      connectionString: options.url,
      max: 1,
      connectionTimeoutMillis: timeouts.connectMs,
    });
    migrator.on('error', () => {});
    try {
      await migratePg(drizzlePg({ client: migrator, schema }), { migrationsFolder });
    } finally {
      await migrator.end();
    }
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: timeouts.connectMs,
      statement_timeout: timeouts.statementMs,
      query_timeout: timeouts.statementMs + QUERY_TIMEOUT_MARGIN_MS,
      idle_in_transaction_session_timeout: timeouts.idleInTransactionMs,
      keepAlive: true,
    });
    // A client losing its connection (a database restart) must not crash the process: the
    // pool reports idle ones here; a checked-out one emits 'error' on itself (pg-pool removes
    // its own listener while the client is lent out), and its next query fails instead.
    pool.on('error', () => {});
    pool.on('connect', (client) => {
      client.on('error', () => {});
      guardClient(client);
    });
    const db = drizzlePg({ client: pool, schema });
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
 * SQLSTATEs of a server that is shutting down, restarting, full or too slow: class 08
 * (connection exception), 57P01–57P03 (admin/crash shutdown, cannot connect now), 53300 (too
 * many clients), 57014 (statement timeout: Kith never cancels a query otherwise), 25P03 (idle
 * in transaction timeout).
 */
const UNAVAILABLE_STATE = /^(08[0-9A-Z]{3}|57P0[123]|53300|57014|25P03)$/;
/** node-postgres' own words for a connection it lost, could not open, or gave up waiting on. */
const LOST_CONNECTION =
  /Connection terminated|is not queryable|timeout exceeded when trying to connect|Query read timeout/i;

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

/** Whether an error (or one it wraps) is PostgreSQL's unique violation (23505). */
export function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: string }).code === '23505') return true;
  }
  return false;
}
