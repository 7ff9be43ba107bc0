import { useSignal } from '@preact/signals';
import { api, type Brand, errorText } from './api';
import { Alert } from './parts';

/** Stripe Connect: where the brand's money goes. */
export function StripeTab({ brand, onChange }: { brand: Brand; onChange(): void }) {
  const error = useSignal('');
  const busy = useSignal(false);
  const s = brand.stripe;

  async function connect() {
    busy.value = true;
    error.value = '';
    try {
      const link = await api.brands.connect.mutate({ brandId: brand.id });
      onChange();
      location.assign(link.url);
    } catch (e) {
      error.value = errorText(e);
      busy.value = false;
    }
  }

  return (
    <section aria-labelledby="stripe-title">
      <h1 id="stripe-title">Payments</h1>
      <div class="card narrow">
        <p>
          Status:{' '}
          <span
            class={`badge ${s.chargesEnabled ? 'ok' : 'warn'}`}
            data-stripe={s.chargesEnabled ? 'ready' : 'not-ready'}
          >
            {s.chargesEnabled
              ? 'Taking payments'
              : s.connected
                ? 'Stripe needs more details'
                : 'Not connected'}
          </span>
        </p>
        <p class="muted">
          Buyers pay through Stripe Checkout; the money goes to your own Stripe account, less the
          platform fee. Until it is connected, Buy explains that the brand cannot take payments yet.
        </p>
        <Alert text={error.value} />
        {!s.chargesEnabled && (
          <button type="button" class="primary" disabled={busy.value} onClick={connect}>
            {s.connected ? 'Continue Stripe onboarding' : 'Connect Stripe'}
          </button>
        )}
      </div>
    </section>
  );
}
