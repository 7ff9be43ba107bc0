import { createHash, createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { TRPCError } from '@trpc/server';

const KEY_LENGTH = 64;
const COST = 16384;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;

export interface HashQueueOptions {
  /** Hashes computed at once (each takes a libuv thread and 16 MB). */
  concurrency: number;
  /** Admitted requests that may wait for a free place; past that, callers are refused at once. */
  maxWaiting: number;
  /** Requests one caller (a client address) may have admitted at a time. */
  perCaller: number;
  /**
   * Places (of `concurrency + maxWaiting`) only known callers may take: sign-ins that showed a
   * valid known-device token for their account. Default: a quarter of `maxWaiting`, at least 1.
   */
  reserved?: number;
}

/** The places a queue keeps for known devices when `reserved` is not given. */
export function reservedPlaces(maxWaiting: number): number {
  return Math.max(1, Math.ceil(maxWaiting / 4));
}

export interface AdmitOptions {
  /**
   * The account, when this is a sign-in from a device that signed in to it before (its token
   * checked): it may take a reserved place, and it hashes before unknown callers still waiting.
   */
  knownAccount?: string;
}

/** Hashes computed at once in one process: each takes a libuv thread (of 4) and 16 MB. */
export const HASH_CONCURRENCY = 2;

export const defaultHashQueueOptions: HashQueueOptions = {
  concurrency: HASH_CONCURRENCY,
  maxWaiting: 32,
  perCaller: 8,
};

/** A place in the hash queue, held from admission (before any database work) to release. */
export interface HashAdmission {
  /** Runs `task` once a hashing place is free (one at a time per admission). */
  run<T>(task: () => Promise<T>): Promise<T>;
  /** Gives the place back; safe to call more than once. */
  release(): void;
}

/**
 * Every password hash (sign-in, sign-up, password change, account deletion) takes its turn
 * here. Hashing is slow on purpose, so an unbounded queue lets one burst make everyone wait for
 * it; this one is bounded overall and per caller, and past either bound the caller is told
 * at once to retry (TOO_MANY_REQUESTS) instead of waiting behind the burst. A request is
 * admitted before it does any other work (database, limits), so a refused burst costs nothing.
 *
 * Some places are kept for owners on their own devices (`reserved`), and those go first, so a
 * flood of sign-ins from many addresses (each within its own bound) cannot keep them out.
 */
export class HashQueue {
  private admitted = 0;
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  /** Known callers waiting: served before `waiting`. */
  private readonly waitingKnown: (() => void)[] = [];
  private readonly byCaller = new Map<string, number>();
  /** Recent time of one hash, for the retry hint. */
  private averageMs = 60;

  constructor(public options: HashQueueOptions = defaultHashQueueOptions) {}

  get size() {
    return {
      admitted: this.admitted,
      running: this.running,
      waiting: this.waiting.length + this.waitingKnown.length,
    };
  }

  /** Admits one request of `caller`, or throws TOO_MANY_REQUESTS with a retry hint. */
  admit(caller?: string, options: AdmitOptions = {}): HashAdmission {
    const { concurrency, maxWaiting, perCaller } = this.options;
    const reserved = Math.min(
      this.options.reserved ?? reservedPlaces(maxWaiting),
      concurrency + maxWaiting - 1,
    );
    const account = options.knownAccount;
    const known = account !== undefined;
    const places = concurrency + maxWaiting - (known ? 0 : reserved);
    const mine = caller === undefined ? 0 : (this.byCaller.get(caller) ?? 0);
    // One account's own sign-ins (its password is known to whoever makes them) may hold only
    // as many places as hash at once: signing in over and over cannot fill the reserve.
    const accountKey = known ? `account:${account}` : undefined;
    const theirs = accountKey ? (this.byCaller.get(accountKey) ?? 0) : 0;
    if (this.admitted >= places) throw this.busy(this.admitted);
    if (mine >= perCaller) throw this.busy(Math.min(this.admitted, mine * concurrency));
    if (theirs >= concurrency) throw this.busy(theirs);
    this.admitted += 1;
    const keys = [caller, accountKey].filter((k): k is string => k !== undefined);
    for (const key of keys) this.byCaller.set(key, (this.byCaller.get(key) ?? 0) + 1);
    let released = false;
    return {
      run: (task) => this.hash(task, known),
      release: () => {
        if (released) return;
        released = true;
        this.admitted -= 1;
        for (const key of keys) {
          const left = (this.byCaller.get(key) ?? 1) - 1;
          if (left > 0) this.byCaller.set(key, left);
          else this.byCaller.delete(key);
        }
      },
    };
  }

  /** Admits, hashes and releases. */
  async run<T>(caller: string | undefined, task: () => Promise<T>): Promise<T> {
    const admission = this.admit(caller);
    try {
      return await admission.run(task);
    } finally {
      admission.release();
    }
  }

  private async hash<T>(task: () => Promise<T>, known: boolean): Promise<T> {
    if (this.running < this.options.concurrency) this.running += 1;
    // A finishing hash hands its place straight to the next in line.
    else
      await new Promise<void>((resolve) =>
        (known ? this.waitingKnown : this.waiting).push(resolve),
      );
    const started = performance.now();
    try {
      return await task();
    } finally {
      this.averageMs = this.averageMs * 0.8 + (performance.now() - started) * 0.2;
      const next = this.waitingKnown.shift() ?? this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }

  private busy(ahead: number): TRPCError {
    const ms = ((ahead + 1) * this.averageMs) / this.options.concurrency;
    const seconds = Math.max(1, Math.ceil(ms / 1000));
    return new TRPCError({
      code: 'TOO_MANY_REQUESTS',
      message: `Kith is busy checking passwords right now. Try again in ${seconds} s.`,
      cause: Object.assign(new Error('hash queue full'), { retryAfterSeconds: seconds }),
    });
  }
}

/**
 * The queue for hashing outside a request (scripts, benchmarks); requests use their server's
 * queue (`limits.hashQueue`), one per process, built from the `LIMIT_HASH_*` settings.
 */
export const hashQueue = new HashQueue({ ...defaultHashQueueOptions });

function derive(
  password: string,
  salt: Buffer,
  N: number,
  r: number,
  p: number,
  caller: string | HashAdmission | undefined,
): Promise<Buffer> {
  const hash = (task: () => Promise<Buffer>) =>
    typeof caller === 'object' ? caller.run(task) : hashQueue.run(caller, task);
  return hash(
    () =>
      new Promise<Buffer>((resolve, reject) => {
        scrypt(password, salt, KEY_LENGTH, { N, r, p, maxmem: 64 * 1024 * 1024 }, (err, key) =>
          err ? reject(err) : resolve(key),
        );
      }),
  );
}

/**
 * `scrypt$N$r$p$salt$hash`, so the cost can be raised later without breaking old hashes.
 * `caller` is the client's address (bounding how many hashes one caller may queue), or the
 * admission the request already holds (`hashQueue.admit`).
 */
export async function hashPassword(
  password: string,
  caller?: string | HashAdmission,
): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, COST, BLOCK_SIZE, PARALLELISM, caller);
  return [
    'scrypt',
    COST,
    BLOCK_SIZE,
    PARALLELISM,
    salt.toString('base64url'),
    key.toString('base64url'),
  ].join('$');
}

export async function verifyPassword(
  password: string,
  stored: string,
  caller?: string | HashAdmission,
): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await derive(
    password,
    Buffer.from(salt, 'base64url'),
    Number(n),
    Number(r),
    Number(p),
    caller,
  );
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A dummy hash to verify against when the handle does not exist, so timing does not tell. */
export const DUMMY_HASH = `scrypt$${COST}$${BLOCK_SIZE}$${PARALLELISM}$${randomBytes(16).toString('base64url')}$${randomBytes(KEY_LENGTH).toString('base64url')}`;

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/**
 * A known-device token: handed to a device when it signs in (or up), presented again on later
 * sign-ins so that account-wide guessing limits do not lock that device out. It is signed with
 * the account's stored password hash (secret to the server, different for every account), so
 * it cannot be made without having signed in, is worthless for another account, and stops
 * working when the password changes. It is not a session: the password is still checked.
 */
export function newDeviceToken(userId: string, passwordHash: string): string {
  const id = randomBytes(16).toString('base64url');
  return `${id}.${deviceMac(userId, passwordHash, id)}`;
}

/** The device's id when `token` is a valid device token of this account, else null. */
export function knownDeviceId(
  token: string | undefined,
  userId: string,
  passwordHash: string,
): string | null {
  if (!token) return null;
  const [id, mac] = token.split('.');
  if (!id || !mac || token.split('.').length !== 2) return null;
  const expected = Buffer.from(deviceMac(userId, passwordHash, id));
  const given = Buffer.from(mac);
  return given.length === expected.length && timingSafeEqual(given, expected) ? id : null;
}

function deviceMac(userId: string, passwordHash: string, id: string): string {
  return createHmac('sha256', passwordHash)
    .update(`kith-device:${userId}:${id}`)
    .digest('base64url');
}
