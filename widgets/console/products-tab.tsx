import { useSignal } from '@preact/signals';
import {
  api,
  type Brand,
  CURRENCIES,
  errorText,
  minorDigits,
  money,
  type Product,
  parsePrice,
} from './api';
import { Alert, Table } from './parts';
import { useLoad } from './use-load';

/** The brand's products: add, edit, take off sale (and back), stock. */
export function ProductsTab({ brand }: { brand: Brand }) {
  const products = useLoad(() => api.products.list.query({ brandId: brand.id }), [brand.id]);
  const editing = useSignal<Product | 'new' | null>(null);
  const error = useSignal('');

  async function setActive(product: Product, active: boolean) {
    error.value = '';
    try {
      await api.products.update.mutate({ productId: product.id, active });
      products.reload();
    } catch (e) {
      error.value = errorText(e);
    }
  }

  const list = products.data ?? [];
  return (
    <section aria-labelledby="products-title">
      <div class="row between">
        <h1 id="products-title">Products</h1>
        {editing.value === null && (
          <button type="button" class="primary" onClick={() => (editing.value = 'new')}>
            Add product
          </button>
        )}
      </div>
      {editing.value !== null && (
        <ProductForm
          brand={brand}
          product={editing.value === 'new' ? null : editing.value}
          onDone={(changed) => {
            editing.value = null;
            if (changed) products.reload();
          }}
        />
      )}
      <Alert text={products.error || error.value} />
      {list.length === 0 && !products.loading && (
        <p class="muted">No products yet. Add one, then tag it to a clip or embed it.</p>
      )}
      {list.length > 0 && (
        <Table columns={['Product', 'Price', 'Stock', 'Status']} actions>
          {list.map((p) => (
            <tr key={p.id} data-product={p.id}>
              <td>
                <div class="product-cell">
                  {p.imageUrl ? <img src={p.imageUrl} alt="" /> : <span class="thumb" />}
                  <div>
                    <div class="strong user-text" dir="auto">
                      {p.title}
                    </div>
                    <code class="muted small">{p.id}</code>
                  </div>
                </div>
              </td>
              <td>{money(p.priceCents, p.currency)}</td>
              <td>{p.stock === null ? 'Not tracked' : p.stock}</td>
              <td>
                <span class={`badge ${p.active ? (p.inStock ? 'ok' : 'warn') : 'off'}`}>
                  {p.active ? (p.inStock ? 'On sale' : 'Sold out') : 'Off sale'}
                </span>
              </td>
              <td class="actions">
                <button type="button" class="secondary" onClick={() => (editing.value = p)}>
                  Edit
                </button>
                <button type="button" class="secondary" onClick={() => setActive(p, !p.active)}>
                  {p.active ? 'Deactivate' : 'Activate'}
                </button>
              </td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}

function ProductForm(props: {
  brand: Brand;
  product: Product | null;
  onDone(changed: boolean): void;
}) {
  const p = props.product;
  const currency = useSignal(p?.currency ?? 'USD');
  const error = useSignal('');
  const busy = useSignal(false);

  async function submit(event: Event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const text = (name: string) => String(form.get(name) ?? '').trim();
    const priceCents = parsePrice(text('price'), currency.value);
    if (priceCents === null) {
      error.value = 'Enter a price like 19.99.';
      return;
    }
    const stockText = text('stock');
    const stock = stockText === '' ? null : Number(stockText);
    const fields = {
      title: text('title'),
      description: text('description'),
      priceCents,
      currency: currency.value,
      stock,
    };
    const imageUrl = text('imageUrl');
    busy.value = true;
    error.value = '';
    try {
      if (p) {
        await api.products.update.mutate({
          productId: p.id,
          ...fields,
          description: fields.description || null,
          imageUrl: imageUrl || null,
        });
      } else {
        await api.products.create.mutate({
          brandId: props.brand.id,
          ...fields,
          ...(imageUrl ? { imageUrl } : {}),
        });
      }
      props.onDone(true);
    } catch (e) {
      error.value = errorText(e);
    } finally {
      busy.value = false;
    }
  }

  const digits = minorDigits(currency.value);
  return (
    <form class="card" onSubmit={submit} aria-label={p ? `Edit ${p.title}` : 'New product'}>
      <h2>{p ? `Edit “${p.title}”` : 'New product'}</h2>
      <div class="grid">
        <label class="wide">
          Title
          <input name="title" required maxLength={120} defaultValue={p?.title} />
        </label>
        <label>
          Price
          <input
            name="price"
            required
            inputMode="decimal"
            placeholder={digits ? '19.99' : '1900'}
            defaultValue={
              p
                ? (p.priceCents / 10 ** minorDigits(p.currency)).toFixed(minorDigits(p.currency))
                : ''
            }
          />
        </label>
        <label>
          Currency
          <select
            name="currency"
            value={currency.value}
            onChange={(e) => (currency.value = (e.currentTarget as HTMLSelectElement).value)}
          >
            {CURRENCIES.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </label>
        <label>
          Stock <span class="muted">(blank: not tracked)</span>
          <input
            name="stock"
            type="number"
            min={0}
            step={1}
            defaultValue={p?.stock === null || p === null ? '' : String(p.stock)}
          />
        </label>
        <label class="wide">
          Image link <span class="muted">(https)</span>
          <input name="imageUrl" type="url" maxLength={2048} defaultValue={p?.imageUrl ?? ''} />
        </label>
        <label class="wide">
          Description
          <textarea
            name="description"
            rows={3}
            maxLength={2000}
            defaultValue={p?.description ?? ''}
          />
        </label>
      </div>
      <Alert text={error.value} />
      <div class="row">
        <button class="primary" type="submit" disabled={busy.value}>
          {p ? 'Save changes' : 'Add product'}
        </button>
        <button type="button" class="secondary" onClick={() => props.onDone(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
