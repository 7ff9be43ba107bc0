import { randomBytes, randomUUID } from 'node:crypto';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken, newToken } from '../../server/auth/password';
import type { BusEvent } from '../../server/bus';
import type { Db } from '../../server/db/client';
import type { Deps } from '../../server/deps';
import { CURRENCIES } from '../../server/payments/money';
import { appRouter } from '../../server/router';
import { createContextInner } from '../../server/trpc';
import { makeBrand, makeProduct, newClientId, openShop, type Shop } from '../fixtures/commerce';
import { engines } from '../fixtures/db';
import { befriend, signUp, type TestUser } from '../fixtures/deps';
import { procedurePaths, type WireResult, wireCall } from '../fixtures/wire';

/**
 * Property-based fuzzing of every procedure's input, through the wire as a real client sends it
 * (plain JSON over HTTP, SSE for the subscription), as a signed-in member and as nobody.
 *
 * Arbitraries are derived from each procedure's own zod schema (so a new procedure is fuzzed
 * without touching this file): valid-shaped values with boundary lengths and numbers, real ids
 * from a seeded world mixed with random ones, and mutations of them (keys dropped or added,
 * wrong types, huge and odd unicode strings, NaN/Infinity, which JSON sends as null).
 *
 * Properties: no call answers INTERNAL_SERVER_ERROR or an HTTP 5xx, nothing escapes as an
 * unhandled rejection, and the database invariants hold periodically and at the end.
 *
 * Every property has a fixed seed derived from FUZZ_SEED; a failure shows the shrunk
 * counterexample, fast-check's seed and path, and the FUZZ_SEED that replays the whole file.
 * FUZZ_SCALE multiplies the number of runs (default 1 on PGlite, 0.5 on PostgreSQL);
 * FUZZ_TALLY=1 prints, per procedure, how many calls succeeded and how many got each error code.
 */

const SEED = Number(process.env.FUZZ_SEED || 0x6b697468);
const MIN_INPUTS = 10_000;

/** Runs per procedure; password hashing (scrypt) and Stripe round trips make a few costly. */
const BASE_RUNS = 215;
const RUNS: Record<string, number> = {
  'auth.register': 70,
  'auth.login': 70,
  'checkout.create': 150,
  'brands.connect': 120,
  'sync.events': 120,
  // No input to vary, and each call reads a whole account: a long busy stretch of PGlite
  // starves the keep-alive timers of the webhook connection (ECONNRESET at the next checkpoint).
  'account.export': 40,
};
/** What tears the seeded world down (messages, friends, memberships, sessions) runs last. */
const LAST = [
  'messages.delete',
  'groups.removeMember',
  'groups.leave',
  'friends.remove',
  'friends.block',
  'auth.logout',
  // The fuzzing user runs a brand, so deletion is refused; logout everywhere ends every session.
  'account.delete',
  'auth.logoutAll',
];
/** Calls that would end the fuzzing user's sessions or account in the middle of a random walk. */
const NOT_IN_WALK = ['auth.logout', 'auth.logoutAll', 'account.delete'];
const CONCURRENT_BATCHES = 80;
const MIXED_RUNS = 700;

const CLIPS = [
  'https://www.youtube.com/shorts/aBcDeFgHiJk',
  'https://www.tiktok.com/@kith/video/7234567890123456789',
  'https://www.instagram.com/reel/C0ffeeB3ans/',
  'https://example.com/some/page?utm_source=x',
];
const EMOJI = ['👍', '🔥', '❤️', '👍🏽', '🇫🇷', '👨‍👩‍👧', '1️⃣'];

/** Strings that have broken servers before. */
const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u202eevil\u202c',
  '\u200b\u200d\ufeff',
  '\ud800',
  'x\udfffy',
  'İı',
  'ﬀ',
  '１２３',
  '\r\n\t',
  '<script>alert(1)</script>',
  'javascript:alert(1)',
  "' or 1=1 --",
  '%00%ff',
  '../../etc/passwd',
  '__proto__',
  'constructor',
  'NaN',
  '-1',
  '9'.repeat(400),
  '💩'.repeat(3000),
  'x'.repeat(100_000),
  `${'a'.repeat(10_000)} ${'\u0301'.repeat(500)}`,
];
const NASTY_NUMBERS = [
  -1,
  0,
  -0,
  0.5,
  1e-9,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32,
  2 ** 53 - 1,
  2 ** 53,
  1e21,
  1e308,
  -1e308,
  Number.MIN_VALUE,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
];

const wrongType = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.string(),
    fc.array(fc.anything(), { maxLength: 3 }),
    fc.object({ maxDepth: 1 }),
  );

/** Real values from the seeded world, by input key, mixed into the generated ones. */
type Pools = Record<string, unknown[]>;

interface ZodDef {
  type: string;
  format?: string;
  pattern?: RegExp;
  checks?: { _zod: { def: Record<string, unknown> } }[];
  shape?: Record<string, { _zod: { def: ZodDef } }>;
  innerType?: { _zod: { def: ZodDef } };
  in?: { _zod: { def: ZodDef } };
  element?: { _zod: { def: ZodDef } };
  options?: { _zod: { def: ZodDef } }[];
  entries?: Record<string, string>;
  values?: unknown[];
}

const defOf = (schema: unknown): ZodDef => (schema as { _zod: { def: ZodDef } })._zod.def;

function checksOf(def: ZodDef) {
  const out: {
    min?: number;
    max?: number;
    int?: boolean;
    pattern?: RegExp;
    minLength?: number;
    maxLength?: number;
  } = {};
  for (const check of def.checks ?? []) {
    const c = check._zod.def;
    if (c.check === 'greater_than') out.min = c.value as number;
    if (c.check === 'less_than') out.max = c.value as number;
    if (c.check === 'number_format') out.int = true;
    if (c.check === 'min_length') out.minLength = c.minimum as number;
    if (c.check === 'max_length') out.maxLength = c.maximum as number;
    if (c.check === 'string_format' && c.pattern instanceof RegExp) out.pattern = c.pattern;
  }
  return out;
}

/** Leans valid: each leaf is mostly a value its check accepts, so whole inputs often pass. */
const leaning = (likely: fc.Arbitrary<unknown>, odd: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 5, arbitrary: likely }, { weight: 1, arbitrary: odd });

function withPool(key: string | undefined, pools: Pools, arb: fc.Arbitrary<unknown>) {
  const seeded = key ? (pools[key] ?? []) : [];
  const found = key ? (pools[`${key}+`] ?? []) : [];
  const arbs = [{ weight: 2, arbitrary: arb }];
  if (seeded.length) arbs.push({ weight: 3, arbitrary: fc.constantFrom(...seeded) });
  if (found.length) arbs.push({ weight: 2, arbitrary: fc.constantFrom(...found) });
  return arbs.length === 1 ? arb : fc.oneof(...arbs);
}

function stringArb(def: ZodDef, key: string | undefined, pools: Pools): fc.Arbitrary<unknown> {
  const { minLength = 0, maxLength, pattern } = checksOf(def);
  const cap = Math.min(maxLength ?? 80, 80);
  const around = [
    minLength - 1,
    minLength,
    maxLength,
    maxLength === undefined ? 5000 : maxLength + 1,
  ]
    .filter((n): n is number => n !== undefined && n >= 0)
    .map((n) => fc.constantFrom('a', 'Z', '_', ' ', 'é', '😀').map((ch) => ch.repeat(n)));
  let likely: fc.Arbitrary<unknown> = fc.string({
    minLength: Math.max(minLength, 1),
    maxLength: Math.max(cap, minLength, 1),
  });
  if (def.format === 'uuid') likely = fc.oneof(fc.uuid(), fc.uuid({ version: 4 }));
  if (def.format === 'url') likely = fc.webUrl({ withQueryParameters: true });
  if (pattern) {
    const matching = fc.stringMatching(pattern).filter((v) => v.length >= minLength);
    likely = maxLength === undefined ? matching : matching.map((v) => v.slice(0, maxLength));
  }
  const odd = fc.oneof(
    fc.string({ maxLength: cap }),
    fc.string({ unit: 'grapheme', maxLength: 20 }),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.constantFrom(...NASTY_STRINGS),
    ...around,
  );
  return withPool(key, pools, leaning(likely, odd));
}

function numberArb(def: ZodDef, key: string | undefined, pools: Pools): fc.Arbitrary<unknown> {
  const { min, max, int } = checksOf(def);
  const lo = Math.max(min ?? -1000, -(2 ** 31));
  const hi = Math.min(max ?? lo + 1000, 2 ** 31 - 1);
  const inRange = int
    ? fc.integer({ min: Math.ceil(lo), max: Math.floor(hi) })
    : fc.double({ min: lo, max: hi, noNaN: true });
  const edges = [lo - 1, lo, hi, hi + 1, lo + 0.5];
  // No upper bound in the schema: the database's integer columns still have one.
  if (max === undefined) edges.push(2 ** 31 - 1, 2 ** 31, Number.MAX_SAFE_INTEGER);
  const odd = fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...edges) },
    { weight: 2, arbitrary: fc.constantFrom(...NASTY_NUMBERS) },
    { weight: 1, arbitrary: fc.double() },
  );
  return withPool(key, pools, leaning(inRange, odd));
}

/** An arbitrary for what a client may send to a zod schema: mostly valid-shaped, often not. */
function deriveArbitrary(schema: unknown, pools: Pools, key?: string): fc.Arbitrary<unknown> {
  const def = defOf(schema);
  switch (def.type) {
    case 'object': {
      const shape = def.shape ?? {};
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      const required: string[] = [];
      for (const [name, field] of Object.entries(shape)) {
        model[name] = deriveArbitrary(field, pools, name);
        const t = defOf(field).type;
        if (t !== 'optional' && t !== 'default') required.push(name);
      }
      return fc.record(model, { requiredKeys: required });
    }
    case 'optional':
    case 'default':
    case 'nullable':
    case 'nonoptional':
    case 'readonly':
    case 'catch':
    case 'prefault': {
      const inner = deriveArbitrary(def.innerType, pools, key);
      return def.type === 'nullable' ? fc.oneof(inner, fc.constant(null)) : inner;
    }
    case 'pipe':
      return deriveArbitrary(def.in, pools, key);
    case 'string':
      return stringArb(def, key, pools);
    case 'number':
      return numberArb(def, key, pools);
    case 'boolean':
      return fc.oneof(
        { weight: 5, arbitrary: fc.boolean() },
        { weight: 1, arbitrary: wrongType() },
      );
    case 'enum':
      return fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...Object.values(def.entries ?? { a: 'a' })) },
        { weight: 1, arbitrary: fc.string() },
      );
    case 'literal':
      return fc.oneof(fc.constantFrom(...(def.values ?? [null])), wrongType());
    case 'array': {
      const element = deriveArbitrary(def.element, pools, key);
      const { minLength = 0, maxLength } = checksOf(def);
      const short = Math.max(minLength, Math.min(maxLength ?? 3, 3));
      const long = Math.max(minLength, Math.min(maxLength ?? 12, 12));
      const arbs = [
        {
          weight: 5,
          arbitrary: fc.array(element, {
            minLength: Math.max(minLength, 1),
            maxLength: Math.max(short, 1),
          }),
        },
        { weight: 1, arbitrary: fc.array(element, { maxLength: long }) },
      ];
      if (maxLength !== undefined) {
        const over = fc.array(element, { minLength: maxLength + 1, maxLength: maxLength + 1 });
        arbs.push({ weight: 1, arbitrary: over });
      }
      return fc.oneof(...arbs);
    }
    case 'union':
      return fc.oneof(...(def.options ?? []).map((o) => deriveArbitrary(o, pools, key)));
    default:
      return fc.anything();
  }
}

/** Turns a valid-shaped value into a broken one in the ways clients and attackers do. */
function mutated(valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  const isRecord = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  const dropKey = valid.chain((v) =>
    isRecord(v) && Object.keys(v).length > 0
      ? fc.constantFrom(...Object.keys(v)).map((k) => {
          const { [k]: _gone, ...rest } = v;
          return rest;
        })
      : fc.constant(v),
  );
  const addKey = fc
    .tuple(
      valid,
      fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'priceCents', 'userId')),
      fc.anything(),
    )
    .map(([v, k, x]) => (isRecord(v) ? { ...v, [k]: x } : v));
  const retype = valid.chain((v) =>
    isRecord(v) && Object.keys(v).length > 0
      ? fc
          .tuple(
            fc.constantFrom(...Object.keys(v)),
            fc.oneof(
              wrongType(),
              fc.constantFrom(...NASTY_STRINGS),
              fc.constantFrom(...NASTY_NUMBERS),
            ),
          )
          .map(([k, x]) => ({ ...v, [k]: x }))
      : wrongType(),
  );
  return fc.oneof(
    { weight: 12, arbitrary: valid },
    { weight: 1, arbitrary: fc.anything() },
    { weight: 1, arbitrary: dropKey },
    { weight: 1, arbitrary: addKey },
    { weight: 2, arbitrary: retype },
    { weight: 1, arbitrary: fc.constantFrom(undefined, null, [], {}, '', 0, 'x'.repeat(50_000)) },
  );
}

type AnyProcedure = { _def: { type: string; inputs: unknown[] } };

function inputArbitrary(path: string, pools: Pools): fc.Arbitrary<unknown> {
  const record = appRouter._def.procedures as unknown as Record<string, AnyProcedure>;
  const inputs = record[path]?._def.inputs ?? [];
  if (inputs.length === 0)
    return fc.oneof(fc.constant(undefined), fc.constant({}), fc.anything(), wrongType());
  return mutated(fc.oneof(...inputs.map((schema) => deriveArbitrary(schema, pools))));
}

/** What a client sees from one call; subscriptions are read over SSE up to their first event. */
type Seen = { status: number; code: string | null; data?: unknown };

async function subscribeOnce(deps: Deps, path: string, input: unknown, token: string | null) {
  const url = new URL(`http://kith.test/trpc/${path}`);
  if (input !== undefined) url.searchParams.set('input', JSON.stringify(input));
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  const abort = new AbortController();
  const res = await fetchRequestHandler({
    endpoint: '/trpc',
    req: new Request(url, { headers, signal: abort.signal }),
    router: appRouter,
    createContext: () => createContextInner(deps, { token }),
  });
  if (!res.body || !res.headers.get('content-type')?.includes('text/event-stream')) {
    const body = (await res.json().catch(() => ({}))) as { error?: { data?: { code?: string } } };
    return { status: res.status, code: body.error?.data?.code ?? null };
  }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const timer = setTimeout(() => abort.abort(), 10_000);
  try {
    for (;;) {
      // Complete SSE messages, skipping the stream's own "connected" and ping messages.
      const complete = text.split('\n\n').slice(0, -1);
      const block = complete.find(
        (b) => b.trim() && !b.startsWith(':') && !/^event: (connected|ping)$/m.test(b),
      );
      if (block) {
        if (!/^event: serialized-error$/m.test(block)) return { status: res.status, code: null };
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trim())
          .join('\n');
        const error = JSON.parse(data) as { data?: { code?: string; httpStatus?: number } };
        return { status: error.data?.httpStatus ?? 500, code: error.data?.code ?? 'UNKNOWN' };
      }
      const { value, done } = await reader.read();
      if (done) return { status: res.status, code: null };
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    clearTimeout(timer);
    abort.abort();
    await reader.cancel().catch(() => {});
  }
}

async function callOnce(
  deps: Deps,
  path: string,
  type: string,
  input: unknown,
  token: string | null,
): Promise<Seen> {
  if (type === 'subscription') return subscribeOnce(deps, path, input, token);
  const result: WireResult = await wireCall(deps, path, input, token);
  return result.ok
    ? { status: result.status, code: null, data: result.data }
    : { status: result.status, code: result.error.data.code };
}

const preview = (input: unknown) => {
  const text = JSON.stringify(input) ?? String(input);
  return text.length > 300 ? `${text.slice(0, 300)}… (${text.length} chars)` : text;
};

/** The codes a client may be answered with (DESIGN.md); anything else is a server fault. */
const CLIENT_CODES = new Set([
  'BAD_REQUEST',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'TOO_MANY_REQUESTS',
  'PRECONDITION_FAILED',
]);

function expectNoServerError(seen: Seen, what: () => string) {
  if (seen.status >= 500 || (seen.code !== null && !CLIENT_CODES.has(seen.code)))
    throw new Error(`${what()} answered ${seen.status} ${seen.code}`);
}

/** How many harvested ids a pool keeps (the seeded ones come first and stay). */
const POOL_CAP = 80;

/**
 * Adds the ids a successful answer reveals (new messages, groups, products, brands, orders,
 * invites) to the pools, so later inputs reach what the fuzzer itself made.
 */
function harvest(pools: Pools, data: unknown, depth = 0) {
  if (data === null || typeof data !== 'object' || depth > 4) return;
  if (Array.isArray(data)) {
    for (const item of data.slice(0, 20)) harvest(pools, item, depth + 1);
    return;
  }
  const o = data as Record<string, unknown>;
  const add = (keys: string[], value: unknown) => {
    if (typeof value !== 'string') return;
    for (const key of keys) {
      // Kept apart from the seeded pool (`key+`), so the seeded world stays the likelier pick.
      const pool = pools[`${key}+`] ?? [];
      pools[`${key}+`] = pool;
      if (!pool.includes(value) && pool.length < POOL_CAP) pool.push(value);
    }
  };
  if (typeof o.id === 'string') {
    if ('seq' in o && 'groupId' in o) add(['messageId', 'replyTo'], o.id);
    else if ('members' in o) add(['groupId', 'groupIds'], o.id);
    else if ('priceCents' in o) add(['productId'], o.id);
    else if ('slug' in o) add(['brandId'], o.id);
  }
  add(['orderId', 'before'], o.orderId);
  if (typeof o.url === 'string' && o.url.includes('/invite/')) add(['code'], o.code);
  for (const value of Object.values(o)) harvest(pools, value, depth + 1);
}

/** The database invariants; each query lists what breaks them. */
async function brokenInvariants(db: Db, eventMark: { id: number; count: number }) {
  const rows = async (query: ReturnType<typeof sql>) =>
    (await db.execute<Record<string, unknown>>(query)).rows;
  const broken: Record<string, unknown[]> = {
    seqNotContiguous: await rows(sql`
      select g.id, g.last_seq, count(m.id)::int as n, count(distinct m.seq)::int as distinct_seqs,
        coalesce(min(m.seq), 1) as min_seq, coalesce(max(m.seq), 0) as max_seq
      from groups g left join messages m on m.group_id = g.id
      group by g.id, g.last_seq
      having g.last_seq <> coalesce(max(m.seq), 0) or count(m.id) <> g.last_seq
        or count(distinct m.seq) <> count(m.id) or coalesce(min(m.seq), 1) <> 1`),
    duplicateClientIds: await rows(sql`
      select sender_id, client_id, count(*)::int as n from messages
      where sender_id is not null group by sender_id, client_id having count(*) > 1`),
    orderTotals: await rows(sql`
      select o.id, o.total_cents, coalesce(sum(i.quantity * i.unit_price_cents), 0)::int as items
      from orders o left join order_items i on i.order_id = o.id
      group by o.id, o.total_cents
      having o.total_cents <> coalesce(sum(i.quantity * i.unit_price_cents), 0)`),
    negativeStock: await rows(sql`select id, stock from products where stock < 0`),
    oversizedGroups: await rows(sql`
      select gm.group_id, count(*)::int as n from group_members gm
      join groups g on g.id = gm.group_id and g.archived_at is null
      group by gm.group_id having count(*) > 32`),
    // Events become visible in id order: nothing new may appear at or below the last mark.
    lateEvents: await rows(sql`
      select count(*)::int as n from events where id <= ${eventMark.id}
      having count(*) <> ${eventMark.count}`),
    // Within a group, message events carry their seqs in id order.
    eventSeqOrder: await rows(sql`
      select group_id, id, seq, prev from (
        select group_id, id, (payload->>'seq')::int as seq,
          lag((payload->>'seq')::int) over (partition by group_id order by id) as prev
        from events where type = 'message.created') e
      where prev is not null and seq <= prev`),
  };
  const mark = (
    await rows(sql`select coalesce(max(id), 0)::bigint as id, count(*)::int as n from events`)
  )[0] as { id: number | string; n: number };
  eventMark.id = Number(mark.id);
  eventMark.count = Number(mark.n);
  return Object.fromEntries(Object.entries(broken).filter(([, list]) => list.length > 0));
}

function replayHint(error: unknown): never {
  if (error instanceof Error)
    error.message += `\nReplay: FUZZ_SEED=${SEED} npx vitest run test/integration/fuzz.test.ts`;
  throw error;
}

/** A stable seed per procedure, so each one's run can be replayed alone. */
function seedFor(name: string): number {
  let h = SEED | 0;
  for (const ch of name) h = (Math.imul(h, 31) + ch.charCodeAt(0)) | 0;
  return h;
}

const fuzzEngines = engines.map((engine) => ({
  engine,
  scale: Number(process.env.FUZZ_SCALE ?? (engine === 'postgres' ? 0.5 : 1)),
}));

/** Signed-in member, or nobody: member calls outnumber anonymous ones three to one. */
const who = fc.constantFrom('member', 'member', 'member', 'anonymous');

describe.each(fuzzEngines)('fuzzing every procedure on $engine', ({ engine, scale }) => {
  let shop: Shop;
  let deps: Deps;
  let db: Db;
  let me: TestUser;
  let pal: TestUser;
  let pools: Pools;
  let groupIds: string[];
  let clientIds: string[];
  let friendIds: string[];
  let bigGroupId: string;
  const eventMark = { id: 0, count: 0 };
  let generated = 0;
  let calls = 0;
  /** Answers per procedure (ok or the error code), printed at the end to show what was reached. */
  const tally = new Map<string, Map<string, number>>();
  const count = (path: string, seen: Seen) => {
    if (seen.code === null) harvest(pools, seen.data);
    const byCode = tally.get(path) ?? new Map<string, number>();
    const key = seen.code ?? 'ok';
    byCode.set(key, (byCode.get(key) ?? 0) + 1);
    tally.set(path, byCode);
  };
  const delivered: number[] = [];
  let detach: () => void = () => {};
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  let started = 0;

  const runsFor = (path: string) => Math.max(5, Math.round((RUNS[path] ?? BASE_RUNS) * scale));

  /** A session for the member made straight in the database, for calls that end their session. */
  async function mintToken(userId: string): Promise<string> {
    const token = newToken();
    await db.execute(
      sql`insert into sessions (token_hash, user_id, expires_at)
          values (${hashToken(token)}, ${userId}, now() + interval '1 day')`,
    );
    return token;
  }

  /** Pays a few open checkouts, so stock moves while the fuzzer runs. */
  async function payOpenOrders(limit: number) {
    const open = await db.execute<{ id: string }>(
      sql`select id from orders where status = 'pending' order by created_at desc limit ${limit}`,
    );
    for (const { id } of open.rows) {
      const session = shop.fake.sessionForOrder(id);
      if (session?.status === 'open') await shop.fake.pay(session.id as string);
    }
  }

  async function checkpoint(where: string) {
    await payOpenOrders(2);
    const broken = await brokenInvariants(db, eventMark);
    expect(broken, `invariants after ${where} (${calls} calls)`).toEqual({});
    expect(unhandled, 'unhandled rejections').toEqual([]);
  }

  beforeAll(async () => {
    started = Date.now();
    process.on('unhandledRejection', onUnhandled);
    shop = await openShop(engine);
    deps = shop.deps;
    db = shop.database.db;
    const people = await Promise.all(
      ['me', 'pal', 'exfriend', 'other'].map((p) => signUp(deps, p)),
    );
    const [meUser, palUser, exfriend, other] = people as [TestUser, TestUser, TestUser, TestUser];
    me = meUser;
    pal = palUser;
    await befriend(me, pal);
    await befriend(me, exfriend);
    await befriend(other, pal);

    // Thirty friends made straight in the database (no password hashing), so adding members
    // reaches the 32-member cap.
    friendIds = [];
    for (let i = 0; i < 30; i++) {
      const handle = `fz_${randomBytes(5).toString('hex')}`;
      const result = await db.execute<{ id: string }>(
        sql`insert into users (handle, display_name, password_hash)
            values (${handle}, ${`Friend ${i}`}, 'scrypt$16384$8$1$AAAA$AAAA') returning id`,
      );
      const id = result.rows[0]!.id;
      friendIds.push(id);
      await db.execute(
        sql`insert into friendships (user_id, friend_id) values (${me.id}, ${id}), (${id}, ${me.id})`,
      );
    }

    const cid = () => `fz_${randomUUID().replace(/-/g, '')}`;
    const big = await me.api.groups.create({
      name: 'Nearly full',
      memberIds: [pal.id, ...friendIds.slice(0, 28)],
    });
    const palGroup = await pal.api.groups.create({ name: 'Pal’s', memberIds: [me.id] });
    const foreign = await other.api.groups.create({ name: 'Not yours', memberIds: [pal.id] });
    const direct = await me.api.groups.openDirect({ userId: pal.id });
    const blockedDirect = await me.api.groups.openDirect({ userId: exfriend.id });
    const left = await me.api.groups.create({ name: 'Left', memberIds: [friendIds[29]!] });

    const messageIds: string[] = [];
    for (const [user, groupId] of [
      [me, big.id],
      [pal, big.id],
      [me, palGroup.id],
      [pal, palGroup.id],
      [me, direct.id],
      [pal, direct.id],
      [exfriend, blockedDirect.id],
      [other, foreign.id],
    ] as const) {
      const m = await user.api.messages.send({ groupId, clientId: cid(), body: 'seed message' });
      messageIds.push(m.id);
    }
    await me.api.messages.send({ groupId: big.id, clientId: cid(), clip: { url: CLIPS[0]! } });
    await me.api.messages.delete({ messageId: messageIds[0]! });
    await exfriend.api.friends.block({ userId: me.id });
    await me.api.groups.leave({ groupId: left.id });

    const brand = await makeBrand(shop, me, { name: 'Fuzzed' });
    const unconnected = await makeBrand(shop, me, { name: 'Not yet', selling: false });
    const palBrand = await makeBrand(shop, pal, { name: 'Pal goods' });
    const products = [
      await makeProduct(me, brand.id, { title: 'Stocked', stock: 3, priceCents: 1999 }),
      await makeProduct(me, brand.id, { title: 'Untracked', stock: null, priceCents: 500 }),
      await makeProduct(me, brand.id, { title: 'Sold out', stock: 0 }),
      await makeProduct(me, brand.id, { title: 'Gone', active: false }),
      await makeProduct(me, brand.id, { title: 'Yen', currency: 'JPY', priceCents: 800 }),
      await makeProduct(me, unconnected.id, { title: 'Unsellable' }),
      await makeProduct(pal, palBrand.id, { title: 'Pal’s thing', stock: 2 }),
    ];
    await me.api.shop.tag({ brandId: brand.id, url: CLIPS[0]!, productId: products[0]!.id });
    const orderIds: string[] = [];
    for (const [buyer, productId] of [
      [me, products[0]!.id],
      [me, products[1]!.id],
      [pal, products[1]!.id],
      [me, products[6]!.id],
    ] as const) {
      const order = await buyer.api.checkout.create({
        items: [{ productId, quantity: 1 }],
        source: { groupId: big.id },
        clientId: newClientId(),
      });
      orderIds.push(order.orderId);
    }
    await shop.fake.pay(shop.fake.sessionForOrder(orderIds[0]!)!.id as string);
    const thread = await pal.api.brands.ask({ brandId: brand.id, body: 'Hello?', clientId: cid() });

    const invites = [
      (await me.api.friends.createInvite({ maxUses: 20 })).code,
      (await pal.api.friends.createInvite()).code,
      (await other.api.friends.createInvite({ maxUses: 20 })).code,
      (await exfriend.api.friends.createInvite()).code,
    ];
    await db.execute(sql`update invites set expires_at = now() - interval '1 day'
                         where code = ${invites[1]!}`);

    bigGroupId = big.id;
    groupIds = [
      big.id,
      palGroup.id,
      direct.id,
      blockedDirect.id,
      foreign.id,
      left.id,
      thread.group.id,
    ];
    clientIds = Array.from({ length: 8 }, (_, i) => `fuzz_client_${i}`);
    const userIds = [me.id, pal.id, exfriend.id, other.id, ...friendIds];
    const brandIds = [brand.id, unconnected.id, palBrand.id];
    const productIds = products.map((p) => p.id);
    pools = {
      groupId: groupIds,
      groupIds,
      messageId: messageIds,
      replyTo: messageIds,
      userId: userIds,
      userIds,
      memberIds: userIds,
      brandId: brandIds,
      productId: productIds,
      orderId: orderIds,
      before: orderIds,
      code: [...invites, `https://kith.test/invite/${invites[0]}`],
      url: CLIPS,
      handle: [me.handle, pal.handle, other.handle, 'nobody_here'],
      password: ['correct horse battery'],
      clientId: clientIds,
      emoji: EMOJI,
      currency: [...CURRENCIES, 'usd', 'XXX'],
      slug: ['brand-taken', `fz-${randomBytes(3).toString('hex')}`],
      widget: ['https://brand.example', 'http://localhost:3000/shop'],
      thumbnailUrl: ['https://i.ytimg.com/vi/x/hq.jpg'],
      imageUrl: ['https://cdn.example/a.png', 'http://insecure.example/a.png'],
      lastEventId: ['0', '1', '5', '999999999999999'],
      seq: [0, 1, 2, 3, 100],
      beforeSeq: [1, 2, 3],
      afterSeq: [0, 1, 2],
      quantity: [1, 2, 10, 11],
      maxUses: [1, 20],
      status: ['pending', 'paid'],
      role: ['admin', 'member', 'owner'],
    };

    // A live subscriber to this instance's ordered event stream, checked at the end.
    ({ detach } = await deps.hub.attach((event: BusEvent) => {
      if (event.id !== undefined) delivered.push(event.id);
    }));
    await checkpoint('seeding');
  });

  afterAll(async () => {
    detach();
    process.off('unhandledRejection', onUnhandled);
    await shop?.close();
    if (process.env.FUZZ_TALLY)
      for (const [path, byCode] of [...tally].sort())
        console.info(path, Object.fromEntries([...byCode].sort((a, b) => b[1] - a[1])));
    console.info(
      `fuzz on ${engine}: ${generated} generated inputs, ${calls} calls in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  });

  const all = procedurePaths();
  const destructive = LAST.flatMap((path) => all.filter((p) => p.path === path));
  const others = all.filter((p) => !LAST.includes(p.path));

  async function fuzzProcedure({ path, type }: { path: string; type: string }) {
    const arb = inputArbitrary(path, pools);
    await fc
      .assert(
        fc.asyncProperty(arb, who, async (input, as) => {
          generated += 1;
          calls += 1;
          // logout (and logout everywhere) ends the session it is called with: a fresh one each time.
          const token =
            as === 'anonymous'
              ? null
              : path === 'auth.logout' || path === 'auth.logoutAll'
                ? await mintToken(me.id)
                : me.token;
          const seen = await callOnce(deps, path, type, input, token);
          count(path, seen);
          expectNoServerError(seen, () => `${path} as ${as} with ${preview(input)}`);
          if (calls % 400 === 0) await checkpoint(path);
        }),
        { numRuns: runsFor(path), seed: seedFor(path) },
      )
      .catch(replayHint);
    await checkpoint(path);
  }

  it.each(others)('$path: no input makes a server error', fuzzProcedure, 300_000);

  it('concurrent sends, checkouts and member changes keep every invariant', async () => {
    const send = fc.record({
      path: fc.constant('messages.send'),
      as: fc.constantFrom('me', 'pal'),
      input: fc.record({
        groupId: fc.constantFrom(...groupIds.slice(0, 4)),
        clientId: fc.oneof(fc.constantFrom(...clientIds), fc.stringMatching(/^[a-z0-9]{8,12}$/)),
        body: fc.oneof(
          fc.string({ minLength: 1, maxLength: 40 }),
          fc.constantFrom(...NASTY_STRINGS),
        ),
      }),
    });
    const checkout = fc.record({
      path: fc.constant('checkout.create'),
      as: fc.constantFrom('me', 'pal', 'anonymous'),
      input: fc.record({
        items: fc.array(
          fc.record({
            productId: fc.constantFrom(...(pools.productId as string[])),
            quantity: fc.integer({ min: 1, max: 4 }),
          }),
          { minLength: 1, maxLength: 2 },
        ),
        clientId: fc.constantFrom(...clientIds),
      }),
    });
    // The owner fills the nearly full group and makes room again, racing the 32-member cap.
    const add = fc.record({
      path: fc.constant('groups.addMembers'),
      as: fc.constant('me'),
      input: fc.record({
        groupId: fc.constant(bigGroupId),
        userIds: fc.uniqueArray(fc.constantFrom(...friendIds), { minLength: 1, maxLength: 3 }),
      }),
    });
    const remove = fc.record({
      path: fc.constant('groups.removeMember'),
      as: fc.constant('me'),
      input: fc.record({ groupId: fc.constant(bigGroupId), userId: fc.constantFrom(...friendIds) }),
    });
    const tokens: Record<string, string | null> = { me: me.token, pal: pal.token, anonymous: null };
    await fc
      .assert(
        fc.asyncProperty(
          fc.array(
            fc.oneof(
              { weight: 4, arbitrary: send },
              { weight: 2, arbitrary: checkout },
              { weight: 1, arbitrary: add },
              { weight: 1, arbitrary: remove },
            ),
            {
              minLength: 2,
              maxLength: 8,
            },
          ),
          async (batch) => {
            generated += batch.length;
            calls += batch.length;
            const seen = await Promise.all(
              batch.map(({ path, as, input }) =>
                callOnce(deps, path, 'mutation', input, tokens[as] ?? null),
              ),
            );
            for (const [i, s] of seen.entries()) count(batch[i]!.path, s);
            for (const [i, s] of seen.entries())
              expectNoServerError(s, () => `concurrent ${batch[i]?.path} ${preview(batch[i])}`);
            expect(await brokenInvariants(db, eventMark)).toEqual({});
          },
        ),
        {
          numRuns: Math.max(5, Math.round(CONCURRENT_BATCHES * scale)),
          seed: seedFor('concurrent sends'),
        },
      )
      .catch(replayHint);
    await checkpoint('concurrent sends and checkouts');
  }, 300_000);

  it('a random walk over every procedure keeps the invariants', async () => {
    // Calls that tear the world down are rare here; they get their own runs at the end.
    const steps = fc.oneof(
      ...all
        .filter((p) => !NOT_IN_WALK.includes(p.path))
        .map(({ path, type }) => ({
          weight: LAST.includes(path) ? 1 : 10,
          arbitrary: fc.tuple(
            fc.constant(path),
            fc.constant(type),
            inputArbitrary(path, pools),
            who,
          ),
        })),
    );
    await fc
      .assert(
        fc.asyncProperty(steps, async ([path, type, input, as]) => {
          generated += 1;
          calls += 1;
          const seen = await callOnce(
            deps,
            path,
            type,
            input,
            as === 'anonymous' ? null : me.token,
          );
          count(path, seen);
          expectNoServerError(seen, () => `${path} as ${as} with ${preview(input)}`);
          if (calls % 200 === 0) await checkpoint(`random walk at ${path}`);
        }),
        { numRuns: Math.max(20, Math.round(MIXED_RUNS * scale)), seed: seedFor('random walk') },
      )
      .catch(replayHint);
    await checkpoint('random walk');
  }, 300_000);

  it.each(destructive)('$path: no input makes a server error', fuzzProcedure, 300_000);

  it('the live event stream delivered every committed event once, in strictly increasing id order', async () => {
    const [row] = (
      await db.execute<{ max: number | string }>(
        sql`select coalesce(max(id), 0) as max from events`,
      )
    ).rows;
    const max = Number(row?.max ?? 0);
    await expect.poll(() => deps.hub.position, { timeout: 15_000 }).toBeGreaterThanOrEqual(max);
    for (let i = 1; i < delivered.length; i++)
      if (delivered[i]! <= delivered[i - 1]!)
        throw new Error(`event ${delivered[i]} delivered after ${delivered[i - 1]}`);
    const first = delivered[0] ?? max + 1;
    const stored = (
      await db.execute<{ id: number | string }>(
        sql`select id from events where id >= ${first} order by id`,
      )
    ).rows.map((r) => Number(r.id));
    expect(delivered).toEqual(stored);
  });

  it(`generated at least ${MIN_INPUTS} inputs in total (scaled)`, () => {
    expect(generated).toBeGreaterThanOrEqual(Math.floor(MIN_INPUTS * Math.min(scale, 1)));
  });
});
