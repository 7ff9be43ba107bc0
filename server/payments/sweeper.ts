import { and, eq, inArray, isNull, lt, or } from 'drizzle-orm';
import type { DbOrTx } from '../db/client';
import { orders } from '../db/schema';
import type { Deps } from '../deps';
import { releaseHolds, releaseOrphanHolds } from './holds';
import { advanceOrder, lockOrder } from './orders';
import type { Payments } from './stripe';
import { collected } from './webhook';

/**
 * How long a Checkout Session made before sessions carried `expires_at` can be paid (Stripe's
 * default of 24 hours). Newer orders store their session's `expires_at` (the stock hold's end).
 */
export const SESSION_LIFETIME_MS = 24 * 60 * 60 * 1000;

export interface SweepOptions {
  /** The clock; tests pass their own. */
  now?: Date;
  /**
   * Extra wait after the session's expiry before the order is given up, so Stripe's own
   * `checkout.session.expired` (or a late payment) normally arrives first. Default 1 hour.
   */
  marginMs?: number;
  /**
   * With Stripe configured, each stale order's session is asked about first: one Stripe paid
   * (its webhook late or lost) is recorded paid and keeps its stock; one still open or awaiting
   * an asynchronous payment is left for later; only a session Stripe reports expired (or an
   * order without one) is given up. A Stripe failure leaves the order for the next sweep.
   */
  payments?: Payments | null | undefined;
}

/** At most this many stale orders are checked with Stripe in one sweep. */
export const SWEEP_BATCH = 100;

/** The ids of `candidates` whose Stripe session can no longer be paid (paid ones are recorded). */
async function confirmUnpaid(
  db: DbOrTx,
  payments: Payments,
  candidates: { id: string; stripeSessionId: string | null }[],
): Promise<string[]> {
  const unpaid: string[] = [];
  for (const order of candidates) {
    if (!order.stripeSessionId) {
      unpaid.push(order.id);
      continue;
    }
    let session: Awaited<ReturnType<Payments['stripe']['checkout']['sessions']['retrieve']>>;
    try {
      session = await payments.stripe.checkout.sessions.retrieve(order.stripeSessionId);
    } catch {
      continue;
    }
    const paid =
      session.status === 'complete' &&
      (session.payment_status === 'paid' || session.payment_status === 'no_payment_required');
    if (paid) {
      const pi =
        typeof session.payment_intent === 'string'
          ? session.payment_intent
          : (session.payment_intent?.id ?? undefined);
      await db.transaction(async (tx) => {
        const locked = await lockOrder(tx, order.id);
        if (locked)
          await advanceOrder(tx, locked, 'paid', {
            stripePaymentIntentId: pi,
            ...collected(session),
          });
      });
    } else if (session.status === 'expired') unpaid.push(order.id);
  }
  return unpaid;
}

export const DEFAULT_SWEEP_MARGIN_MS = 60 * 60 * 1000;

/**
 * Marks as `expired` the orders still `pending` whose Checkout Session can no longer be paid
 * (its `expires_at`, or for older orders the session lifetime, plus the margin, has passed) and
 * gives back their stock holds, and the holds whose order was never stored. A safety net for a
 * lost `checkout.session.expired` webhook.
 *
 * One UPDATE: rows are re-checked under their row lock, so a webhook that paid an order first
 * wins, and two instances sweeping at once expire each order once (the second sees it is no
 * longer pending). Orders whose session completed and await an asynchronous payment carry a
 * payment intent and are left alone: that session no longer expires, the payment settles them.
 * If Stripe later reports a payment for a swept order, the webhook still marks it paid.
 */
export async function sweepStaleOrders(
  db: DbOrTx,
  options: SweepOptions = {},
): Promise<{ expired: number; orderIds: string[] }> {
  const now = options.now ?? new Date();
  const margin = options.marginMs ?? DEFAULT_SWEEP_MARGIN_MS;
  const cutoff = new Date(now.getTime() - margin);
  const legacyCutoff = new Date(now.getTime() - SESSION_LIFETIME_MS - margin);
  const stale = and(
    eq(orders.status, 'pending'),
    isNull(orders.stripePaymentIntentId),
    or(
      lt(orders.expiresAt, cutoff),
      and(isNull(orders.expiresAt), lt(orders.createdAt, legacyCutoff)),
    ),
  );
  let only: string[] | null = null;
  if (options.payments) {
    const candidates = await db
      .select({ id: orders.id, stripeSessionId: orders.stripeSessionId })
      .from(orders)
      .where(stale)
      .limit(SWEEP_BATCH);
    only = await confirmUnpaid(db, options.payments, candidates);
  }
  const rows = await db.transaction(async (tx) => {
    const expired =
      only && only.length === 0
        ? []
        : await tx
            .update(orders)
            .set({ status: 'expired', updatedAt: now, closedAt: now })
            .where(and(stale, only ? inArray(orders.id, only) : undefined))
            .returning({ id: orders.id });
    // Their stock goes back, as does that of holds whose order was never stored.
    await releaseHolds(
      tx,
      expired.map((r) => r.id),
    );
    await releaseOrphanHolds(tx, cutoff);
    return expired;
  });
  return { expired: rows.length, orderIds: rows.map((r) => r.id) };
}

export interface Sweeper {
  /** Runs one sweep now (never two at once in this instance). */
  runOnce(): Promise<number>;
  /** Stops the timer and waits for a sweep in progress. */
  stop(): Promise<void>;
}

/**
 * Sweeps a minute after start, then every `intervalMs` (default 10 minutes), on unref'd timers;
 * a failure is logged and the next interval tries again.
 */
export function startSweeper(
  deps: Pick<Deps, 'db' | 'log'> & Partial<Pick<Deps, 'payments'>>,
  options: { intervalMs?: number; firstRunMs?: number; marginMs?: number } = {},
): Sweeper {
  let running: Promise<number> | null = null;
  let stopped = false;
  const runOnce = () => {
    if (running) return running;
    running = sweepStaleOrders(deps.db, {
      marginMs: options.marginMs,
      payments: deps.payments,
    })
      .then(
        ({ expired }) => {
          if (expired > 0) deps.log.info({ expired }, 'expired stale pending orders');
          else deps.log.debug({ expired }, 'no stale pending orders');
          return expired;
        },
        (err: unknown) => {
          deps.log.warn({ err }, 'could not sweep stale orders; trying again next interval');
          return 0;
        },
      )
      .finally(() => {
        running = null;
      });
    return running;
  };
  const tick = () => {
    if (!stopped) void runOnce();
  };
  // A first sweep soon after start, so a server restarted often still sweeps.
  const first = setTimeout(tick, options.firstRunMs ?? 60 * 1000);
  const timer = setInterval(tick, options.intervalMs ?? 10 * 60 * 1000);
  first.unref();
  timer.unref();
  return {
    runOnce,
    async stop() {
      stopped = true;
      clearTimeout(first);
      clearInterval(timer);
      if (running) await running;
    },
  };
}
