import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { api, type Brand, errorText, setToken, token } from './api';
import { ChannelsTab } from './channels-tab';
import { EmbedTab } from './embed-tab';
import { InboxTab } from './inbox-tab';
import { OrdersTab } from './orders-tab';
import { Alert } from './parts';
import { ProductsTab } from './products-tab';
import { SignIn } from './sign-in';
import { StripeTab } from './stripe-tab';
import { TagsTab } from './tags-tab';
import { useLoad } from './use-load';

const TABS = [
  ['products', 'Products'],
  ['clips', 'Clips'],
  ['channels', 'Channels'],
  ['embed', 'Embed'],
  ['orders', 'Orders'],
  ['inbox', 'Inbox'],
  ['stripe', 'Payments'],
] as const;
type Tab = (typeof TABS)[number][0];

const BRAND_KEY = 'kith:console:brand';

function tabFromHash(): Tab {
  const name = location.hash.slice(1);
  return (TABS.find(([id]) => id === name)?.[0] ?? 'products') as Tab;
}

/** The brand console: sign in, pick or create a brand, then one tab per job. */
export function App() {
  if (!token.value) {
    return (
      <main class="center">
        <SignIn intro="Sell your products in clips and on your own site. Sign in or create an account to open your brand console." />
      </main>
    );
  }
  return <Console />;
}

function Console() {
  const me = useLoad(() => api.auth.me.query(), [token.value]);
  const brands = useLoad(() => api.brands.mine.query(), [token.value]);
  const brandId = useSignal<string | null>(localStorage.getItem(BRAND_KEY));
  const tab = useSignal<Tab>(tabFromHash());
  const creating = useSignal(false);

  useEffect(() => {
    const onHash = () => {
      tab.value = tabFromHash();
    };
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, [tab]);

  const list = brands.data ?? [];
  const brand = list.find((b) => b.id === brandId.value) ?? list[0];

  const choose = (id: string) => {
    brandId.value = id;
    localStorage.setItem(BRAND_KEY, id);
  };

  return (
    <div class="shell">
      <header class="bar">
        <strong class="logo">Kith · brand console</strong>
        {list.length > 0 && (
          <label class="inline">
            <span class="sr">Brand</span>
            <select
              value={brand?.id}
              onChange={(e) => choose((e.currentTarget as HTMLSelectElement).value)}
            >
              {list.map((b) => (
                <option key={b.id} value={b.id}>
                  {b.name}
                </option>
              ))}
            </select>
          </label>
        )}
        {list.length > 0 && (
          <button type="button" class="secondary" onClick={() => (creating.value = true)}>
            New brand
          </button>
        )}
        <span class="spacer" />
        <span class="muted">{me.data ? `@${me.data.handle}` : ''}</span>
        <button
          type="button"
          class="secondary"
          onClick={async () => {
            await api.auth.logout.mutate().catch(() => {});
            setToken(null);
          }}
        >
          Sign out
        </button>
      </header>
      {brands.error && <p class="error">{brands.error}</p>}
      {brands.loading && !brands.data ? (
        <p class="muted pad">Loading…</p>
      ) : !brand || creating.value ? (
        <CreateBrand
          first={!brand}
          onCancel={brand ? () => (creating.value = false) : undefined}
          onCreated={(b) => {
            creating.value = false;
            choose(b.id);
            brands.reload();
          }}
        />
      ) : (
        <>
          <nav class="tabs" aria-label="Console sections">
            {TABS.map(([id, label]) => (
              <a key={id} href={`#${id}`} aria-current={tab.value === id ? 'page' : undefined}>
                {label}
              </a>
            ))}
          </nav>
          <main class="pad">
            {!brand.stripe.chargesEnabled && tab.value !== 'stripe' && (
              <p class="notice">
                <bdi>{brand.name}</bdi> cannot take payments yet: Buy explains this to shoppers
                until you <a href="#stripe">connect Stripe</a>.
              </p>
            )}
            {tab.value === 'products' && <ProductsTab brand={brand} />}
            {tab.value === 'clips' && <TagsTab brand={brand} />}
            {tab.value === 'channels' && <ChannelsTab brand={brand} />}
            {tab.value === 'embed' && <EmbedTab brand={brand} />}
            {tab.value === 'orders' && <OrdersTab brand={brand} />}
            {tab.value === 'inbox' && <InboxTab brand={brand} />}
            {tab.value === 'stripe' && <StripeTab brand={brand} onChange={brands.reload} />}
          </main>
        </>
      )}
    </div>
  );
}

const slugify = (name: string) =>
  name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);

function CreateBrand(props: {
  first: boolean;
  onCreated(brand: Brand): void;
  onCancel?: () => void;
}) {
  const name = useSignal('');
  const slug = useSignal('');
  const slugEdited = useSignal(false);
  const error = useSignal('');
  const busy = useSignal(false);

  async function submit(event: Event) {
    event.preventDefault();
    busy.value = true;
    error.value = '';
    try {
      props.onCreated(await api.brands.create.mutate({ name: name.value, slug: slug.value }));
    } catch (e) {
      error.value = errorText(e);
    } finally {
      busy.value = false;
    }
  }

  return (
    <main class="center">
      <form class="card narrow" onSubmit={submit}>
        <h1>{props.first ? 'Create your brand' : 'New brand'}</h1>
        <p class="muted">Buyers see the brand name on your products and at checkout.</p>
        <label>
          Brand name
          <input
            name="name"
            required
            maxLength={80}
            value={name.value}
            onInput={(e) => {
              name.value = (e.currentTarget as HTMLInputElement).value;
              if (!slugEdited.value) slug.value = slugify(name.value);
            }}
          />
        </label>
        <label>
          Short name for links
          <input
            name="slug"
            required
            minLength={3}
            maxLength={40}
            pattern="[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?"
            value={slug.value}
            onInput={(e) => {
              slugEdited.value = true;
              slug.value = (e.currentTarget as HTMLInputElement).value;
            }}
          />
        </label>
        <Alert text={error.value} />
        <div class="row">
          <button class="primary" type="submit" disabled={busy.value}>
            Create brand
          </button>
          {props.onCancel && (
            <button type="button" class="secondary" onClick={props.onCancel}>
              Cancel
            </button>
          )}
        </div>
      </form>
    </main>
  );
}
