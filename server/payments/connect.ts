import { randomUUID } from 'node:crypto';
import { and, eq, isNull, lte, or } from 'drizzle-orm';
import type Stripe from 'stripe';
import type { DbOrTx } from '../db/client';
import { brands } from '../db/schema';
import type { Deps } from '../deps';
import type { BrandRow } from './catalog';
import { type Payments, stripeFailure } from './stripe';

/**
 * Stripe Connect: each brand gets one Express account (created once, its id kept on the brand),
 * onboarded through Account Links; `account.updated` says when it can take charges.
 */

/** The brand's connected account id, creating the account on first use. */
export async function ensureConnectedAccount(
  deps: Pick<Deps, 'db'>,
  payments: Payments,
  brand: BrandRow,
): Promise<string> {
  if (brand.stripeAccountId) return brand.stripeAccountId;
  let account: Stripe.Account;
  try {
    account = await payments.stripe.accounts.create(
      {
        // An Express account: Stripe collects the requirements and hosts a light dashboard;
        // the platform pays Stripe's fees and covers losses.
        controller: {
          fees: { payer: 'application' },
          losses: { payments: 'application' },
          requirement_collection: 'stripe',
          stripe_dashboard: { type: 'express' },
        },
        capabilities: { card_payments: { requested: true }, transfers: { requested: true } },
        business_profile: { name: brand.name },
        metadata: { brand_id: brand.id },
      },
      // One key per brand: a retried or concurrent connect gets the same account back.
      { idempotencyKey: `kith-brand-${brand.id}-account` },
    );
  } catch (error) {
    throw stripeFailure(error, 'setting up payments for this brand');
  }
  const [stored] = await deps.db
    .update(brands)
    .set({ stripeAccountId: account.id })
    .where(and(eq(brands.id, brand.id), isNull(brands.stripeAccountId)))
    .returning({ id: brands.stripeAccountId });
  if (stored?.id) return stored.id;
  // Another request stored an account first; keep the one on record.
  const [current] = await deps.db
    .select({ id: brands.stripeAccountId })
    .from(brands)
    .where(eq(brands.id, brand.id));
  return current?.id ?? account.id;
}

/** A fresh onboarding link (they are single use and short lived). */
export async function onboardingLink(payments: Payments, brandId: string, accountId: string) {
  const base = payments.publicUrl;
  try {
    const link = await payments.stripe.accountLinks.create(
      {
        account: accountId,
        type: 'account_onboarding',
        refresh_url: `${base}/connect/refresh?brand=${brandId}`,
        return_url: `${base}/connect/return?brand=${brandId}`,
      },
      { idempotencyKey: `kith-brand-${brandId}-link-${randomUUID()}` },
    );
    return { url: link.url, expiresAt: new Date(link.expires_at * 1000).toISOString() };
  } catch (error) {
    throw stripeFailure(error, 'onboarding');
  }
}

/**
 * Records what Stripe says about a connected account. `at` is the Stripe time (seconds) of that
 * state; an older state than the one on record is ignored, so reordered updates converge.
 */
export async function applyAccountState(
  db: DbOrTx,
  account: Pick<
    Stripe.Account,
    'id' | 'charges_enabled' | 'details_submitted' | 'payouts_enabled' | 'metadata'
  >,
  at: number,
): Promise<boolean> {
  const brandId = account.metadata?.brand_id;
  const match = brandId
    ? or(
        eq(brands.stripeAccountId, account.id),
        and(eq(brands.id, brandId), isNull(brands.stripeAccountId)),
      )
    : eq(brands.stripeAccountId, account.id);
  const updated = await db
    .update(brands)
    .set({
      stripeAccountId: account.id,
      chargesEnabled: Boolean(account.charges_enabled),
      detailsSubmitted: Boolean(account.details_submitted),
      payoutsEnabled: Boolean(account.payouts_enabled),
      stripeSyncedAt: at,
    })
    .where(and(match, lte(brands.stripeSyncedAt, at)))
    .returning({ id: brands.id });
  return updated.length > 0;
}

/** Asks Stripe for the account's current state (when the owner comes back from onboarding). */
export async function syncAccount(deps: Pick<Deps, 'db'>, payments: Payments, accountId: string) {
  const account = await payments.stripe.accounts.retrieve(accountId);
  await applyAccountState(deps.db, account, Math.floor(Date.now() / 1000));
  return account;
}
