import { useSignal } from '@preact/signals';
import { api, type Brand, errorText } from './api';
import { Alert } from './parts';

const list = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((part) => part.trim())
    .filter(Boolean);

/** Where the brand ships, which of its sites checkouts return to, and its support email. */
function ShippingSettings({ brand, onChange }: { brand: Brand; onChange(): void }) {
  const countries = useSignal(brand.shippingCountries.join(', '));
  const origins = useSignal(brand.allowedOrigins.join('\n'));
  const email = useSignal(brand.supportEmail ?? '');
  const error = useSignal('');
  const saved = useSignal(false);
  const save = async (e: Event) => {
    e.preventDefault();
    error.value = '';
    saved.value = false;
    try {
      await api.brands.update.mutate({
        brandId: brand.id,
        shippingCountries: list(countries.value),
        allowedOrigins: list(origins.value),
        supportEmail: email.value.trim() || null,
      });
      saved.value = true;
      onChange();
    } catch (err) {
      error.value = errorText(err);
    }
  };
  return (
    <form class="card narrow stack" onSubmit={save} aria-labelledby="shipping-title">
      <h2 id="shipping-title">Shipping and returns</h2>
      <label>
        Ships to (two-letter country codes)
        <input
          name="shippingCountries"
          placeholder="US, CA, GB"
          value={countries.value}
          onInput={(e) => (countries.value = (e.currentTarget as HTMLInputElement).value)}
        />
      </label>
      <p class="muted">
        Checkout asks for a shipping address in these countries. Products that ship cannot be bought
        until there is at least one.
      </p>
      <label>
        Your sites (one per line)
        <textarea
          name="allowedOrigins"
          rows={2}
          placeholder="https://shop.example.com"
          value={origins.value}
          onInput={(e) => (origins.value = (e.currentTarget as HTMLTextAreaElement).value)}
        />
      </label>
      <p class="muted">
        Widgets on these sites bring buyers back to the page they bought from after checkout.
      </p>
      <label>
        Support email
        <input
          name="supportEmail"
          type="email"
          value={email.value}
          onInput={(e) => (email.value = (e.currentTarget as HTMLInputElement).value)}
        />
      </label>
      <Alert text={error.value} />
      {saved.value && (
        <p class="muted" role="status">
          Saved.
        </p>
      )}
      <button type="submit" class="primary">
        Save
      </button>
    </form>
  );
}

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
      <ShippingSettings key={brand.id} brand={brand} onChange={onChange} />
    </section>
  );
}
