import { writeFileSync } from 'node:fs';
import type { PGlite } from '@electric-sql/pglite';

/** What one statement text cost while it held PGlite's query lock. */
interface StatementCost {
  calls: number;
  /** Time inside the lock: parse, bind, execute and sync in WASM plus the JS around them. */
  lockedMs: number;
  /** Of which time in WASM (`execProtocolStream` round trips). */
  wasmMs: number;
  maxMs: number;
}

const decoder = new TextDecoder();

/**
 * The SQL a frontend message carries: a simple Query ('Q') or a Parse ('P', after the statement
 * name). Bind, Describe, Execute and Sync carry none and stay attributed to the last one seen.
 */
function sqlOf(message: Uint8Array): string | null {
  const kind = message[0];
  if (kind !== 0x51 && kind !== 0x50) return null;
  let start = 5;
  if (kind === 0x50) {
    while (start < message.length && message[start] !== 0) start++;
    start++;
  }
  let end = start;
  while (end < message.length && message[end] !== 0) end++;
  return decoder.decode(message.subarray(start, end)).replace(/\s+/g, ' ').trim();
}

/**
 * Diagnostics only, for profiling PGlite under load: records every statement's calls and time
 * spent holding the engine (its queries run one at a time, so async stacks cannot say which
 * statement the CPU went to) and writes the table, costliest first, to `file` on close.
 */
export function tracePglite(client: PGlite, file: string): () => void {
  const costs = new Map<string, StatementCost>();
  let current = '(none)';
  const started = performance.now();
  const target = client as unknown as {
    execProtocolStream: (message: Uint8Array, options?: unknown) => Promise<unknown>;
    _runExclusiveQuery: <T>(fn: () => Promise<T>) => Promise<T>;
  };
  const cost = (text: string) => {
    let known = costs.get(text);
    if (!known) {
      known = { calls: 0, lockedMs: 0, wasmMs: 0, maxMs: 0 };
      costs.set(text, known);
    }
    return known;
  };
  const exec = target.execProtocolStream.bind(client);
  target.execProtocolStream = async (message, options) => {
    const text = sqlOf(message);
    if (text !== null) {
      current = text;
      cost(text).calls += 1;
    }
    const at = performance.now();
    try {
      return await exec(message, options);
    } finally {
      cost(current).wasmMs += performance.now() - at;
    }
  };
  const exclusive = target._runExclusiveQuery.bind(client);
  target._runExclusiveQuery = (fn) =>
    exclusive(async () => {
      const at = performance.now();
      current = '(none)';
      try {
        return await fn();
      } finally {
        const spent = performance.now() - at;
        const entry = cost(current);
        entry.lockedMs += spent;
        entry.maxMs = Math.max(entry.maxMs, spent);
      }
    });
  return () => {
    const rows = [...costs.entries()]
      .map(([sql, c]) => ({
        sql,
        ...c,
        lockedMs: Math.round(c.lockedMs),
        wasmMs: Math.round(c.wasmMs),
        maxMs: Math.round(c.maxMs),
      }))
      .sort((a, b) => b.lockedMs - a.lockedMs);
    writeFileSync(
      file,
      JSON.stringify(
        { wallMs: Math.round(performance.now() - started), statements: rows },
        null,
        2,
      ),
    );
  };
}
