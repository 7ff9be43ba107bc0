import { randomUUID } from 'node:crypto';
import { and, eq, lte } from 'drizzle-orm';
import type Stripe from 'stripe';
import type { DbOrTx } from '../db/client';
import { creatorAccounts } from '../db/schema';
import type { Deps } from '../deps';
import { type Payments, requirePayments, stripeFailure } from '../payments/stripe';

/**
 * Stripe Connect for creators: each person who earns commissions gets one Express account
 * (created once, kept in `creator_accounts`), onboarded through Account Links like a brand's.
 * It only receives transfers (no charges of its own); `account.updated` says when it can take
 * transfers and payouts, and only then are sales attributed to the creator.
 */

export const creatorAccountKey = (userId: string) => `kith-creator-${userId}-account`;

/** The creator's connected account id, creating the account on first use. */
export async function ensureCreatorAccount(
  deps: Pick<Deps, 'db'>,
  payments: Payments,
  userId: string,
): Promise<typeof creatorAccounts.$inferSelect> {
  const [existing] = await deps.db
    .select()
    .from(creatorAccounts)
    .where(eq(creatorAccounts.userId, userId));
  if (existing) return existing;
  let account: Stripe.Account;
  try {
    account = await payments.stripe.accounts.create(
      {
        controller: {
          fees: { payer: 'application' },
          losses: { payments: 'application' },
          requirement_collection: 'stripe',
          stripe_dashboard: { type: 'express' },
        },
        capabilities: { transfers: { requested: true } },
        metadata: { creator_id: userId },
      },
      // One key per person: a retried or concurrent connect gets the same account back.
      { idempotencyKey: creatorAccountKey(userId) },
    );
  } catch (error) {
    throw stripeFailure(error, 'setting up payouts');
  }
  await deps.db
    .insert(creatorAccounts)
    .values({ userId, stripeAccountId: account.id })
    .onConflictDoNothing();
  const [stored] = await deps.db
    .select()
    .from(creatorAccounts)
    .where(eq(creatorAccounts.userId, userId));
  return stored!;
}

/** A fresh onboarding link for the creator (single use, short lived). */
export async function creatorOnboardingLink(payments: Payments, userId: string, accountId: string) {
  const base = payments.publicUrl;
  try {
    const link = await payments.stripe.accountLinks.create(
      {
        account: accountId,
        type: 'account_onboarding',
        refresh_url: `${base}/connect/refresh?creator=${userId}`,
        return_url: `${base}/connect/return?creator=${userId}`,
      },
      { idempotencyKey: `kith-creator-${userId}-link-${randomUUID()}` },
    );
    return { url: link.url, expiresAt: new Date(link.expires_at * 1000).toISOString() };
  } catch (error) {
    throw stripeFailure(error, 'onboarding');
  }
}

/**
 * `creators.connect`: starts (or resumes) the caller's Stripe onboarding for commissions and
 * answers a fresh link to send them to.
 */
export async function connectCreator(deps: Pick<Deps, 'db' | 'payments'>, userId: string) {
  const payments = requirePayments(deps.payments);
  const account = await ensureCreatorAccount(deps, payments, userId);
  const link = await creatorOnboardingLink(payments, userId, account.stripeAccountId);
  return {
    url: link.url,
    expiresAt: link.expiresAt,
    accountId: account.stripeAccountId,
    payoutsEnabled: account.payoutsEnabled,
  };
}

/** Whether an account can receive commissions: transfers active and payouts enabled. */
export function canTakePayouts(
  account: Pick<Stripe.Account, 'payouts_enabled' | 'capabilities'>,
): boolean {
  return Boolean(account.payouts_enabled) && account.capabilities?.transfers === 'active';
}

/**
 * Records what Stripe says about a creator's account (matched on its id). `at` is the Stripe
 * time (seconds) of that state; an older state than the one on record is ignored.
 */
export async function applyCreatorAccountState(
  db: DbOrTx,
  account: Pick<Stripe.Account, 'id' | 'payouts_enabled' | 'details_submitted' | 'capabilities'>,
  at: number,
): Promise<boolean> {
  const updated = await db
    .update(creatorAccounts)
    .set({
      payoutsEnabled: canTakePayouts(account),
      detailsSubmitted: Boolean(account.details_submitted),
      stripeSyncedAt: at,
    })
    .where(
      and(eq(creatorAccounts.stripeAccountId, account.id), lte(creatorAccounts.stripeSyncedAt, at)),
    )
    .returning({ userId: creatorAccounts.userId });
  return updated.length > 0;
}

/** Asks Stripe for the creator account's current state (when they come back from onboarding). */
export async function syncCreatorAccount(
  deps: Pick<Deps, 'db'>,
  payments: Payments,
  accountId: string,
) {
  const account = await payments.stripe.accounts.retrieve(accountId);
  await applyCreatorAccountState(deps.db, account, Math.floor(Date.now() / 1000));
  return account;
}
