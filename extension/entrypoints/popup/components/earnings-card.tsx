import { formatPrice as money } from '../../../../shared/money';
import type { PopupStore } from '../store';

const STATUS: Record<string, string> = {
  paid: 'Paid',
  shipped: 'Shipped',
  refunded: 'Refunded',
};

/**
 * The Account tab's earnings: commissions on sales that started from the creator's own clips
 * (products they tagged there), and the button that sets up Stripe payouts for them.
 */
export function EarningsCard({ store }: { store: PopupStore }) {
  const earnings = store.earnings.value;
  const busy = store.busy.value === 'payouts';
  return (
    <div class="card earnings">
      <h2>Earnings</h2>
      <p class="small">
        When someone buys a product you tagged on your own clip, and its brand pays creators, you
        earn the brand’s commission. Stripe pays it out to you.
      </p>
      {earnings === null ? (
        <p class="muted">
          {store.channels.value === null ? 'Loading…' : 'Could not load earnings.'}
        </p>
      ) : (
        <>
          {!earnings.account.payoutsEnabled && (
            <p>
              <button
                type="button"
                class="primary small"
                disabled={busy}
                onClick={() => store.connectPayouts()}
              >
                {earnings.account.connected ? 'Finish setting up payouts' : 'Set up payouts'}
              </button>{' '}
              <span class="muted small">Sales count toward you once payouts are set up.</span>
            </p>
          )}
          {earnings.orders.length === 0 ? (
            <p class="muted small">No commissions yet.</p>
          ) : (
            <ul class="list" aria-label="Commissions">
              {earnings.orders.map((o) => (
                <li key={o.orderId} class="row" data-order={o.orderId}>
                  <span class="name">
                    <bdi>{o.brand}</bdi>{' '}
                    <span class="muted small">
                      {STATUS[o.status] ?? o.status}
                      {o.reversedCents > 0 &&
                        ` · ${money(o.reversedCents, o.currency)} returned after a refund`}
                    </span>
                  </span>
                  <strong>{money(o.commissionCents - o.reversedCents, o.currency)}</strong>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </div>
  );
}
