import { useSignal } from '@preact/signals';
import { api, type Brand, errorText } from './api';
import { Alert, Table } from './parts';
import { useLoad } from './use-load';

const seconds = (v: number | null) => (v === null ? '' : `${Number(v.toFixed(1))} s`);

/** Tags: which product shows in which clip, and between which moments. */
export function TagsTab({ brand }: { brand: Brand }) {
  const tags = useLoad(() => api.shop.tags.query({ brandId: brand.id }), [brand.id]);
  const products = useLoad(() => api.products.list.query({ brandId: brand.id }), [brand.id]);
  const error = useSignal('');
  const done = useSignal('');
  const busy = useSignal(false);

  async function submit(event: Event) {
    event.preventDefault();
    const formEl = event.currentTarget as HTMLFormElement;
    const form = new FormData(formEl);
    const num = (name: string) => {
      const v = String(form.get(name) ?? '').trim();
      return v === '' ? undefined : Number(v);
    };
    busy.value = true;
    error.value = '';
    done.value = '';
    try {
      const tag = await api.shop.tag.mutate({
        brandId: brand.id,
        url: String(form.get('url') ?? ''),
        productId: String(form.get('productId') ?? ''),
        fromSeconds: num('from'),
        toSeconds: num('to'),
      });
      done.value = `Tagged to ${tag.clip.url}`;
      tags.reload();
    } catch (e) {
      error.value = errorText(e);
    } finally {
      busy.value = false;
    }
  }

  async function untag(url: string, productId: string) {
    try {
      await api.shop.untag.mutate({ brandId: brand.id, url, productId });
      tags.reload();
    } catch (e) {
      error.value = errorText(e);
    }
  }

  const list = products.data ?? [];
  return (
    <section aria-labelledby="tags-title">
      <h1 id="tags-title">Products in clips</h1>
      <p class="muted">
        Tag a product to a TikTok, YouTube Short, Instagram reel or any video page. Kith users see
        it beside the clip, and <code>&lt;kith-shoppable-video&gt;</code> shows it at these moments,
        once the clip’s channel consents: it is your verified channel, or its owner accepted your
        request (see Channels).
      </p>
      <form class="card" onSubmit={submit} aria-label="Tag a product to a clip">
        <div class="grid">
          <label class="wide">
            Clip link
            <input name="url" required placeholder="https://www.tiktok.com/@you/video/…" />
          </label>
          <label class="wide">
            Product
            <select name="productId" required>
              {list.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.title}
                </option>
              ))}
            </select>
          </label>
          <label>
            From second <span class="muted">(optional)</span>
            <input name="from" type="number" min={0} step="0.1" />
          </label>
          <label>
            To second <span class="muted">(optional)</span>
            <input name="to" type="number" min={0} step="0.1" />
          </label>
        </div>
        <Alert text={error.value} />
        {done.value && (
          <p class="ok" role="status">
            {done.value}
          </p>
        )}
        <button class="primary" type="submit" disabled={busy.value || list.length === 0}>
          Tag product
        </button>
        {list.length === 0 && <p class="muted">Add a product first.</p>}
      </form>
      {tags.error && <p class="error">{tags.error}</p>}
      {(tags.data ?? []).length > 0 && (
        <Table columns={['Clip', 'Product', 'Shown', 'Viewers see it']} actions>
          {tags.data!.map((t) => (
            <tr key={`${t.clip.url} ${t.product.id}`}>
              <td class="break">
                <a href={t.clip.url} target="_blank" rel="noopener noreferrer">
                  {t.clip.title || t.clip.url}
                </a>
              </td>
              <td class="user-text" dir="auto">
                {t.product.title}
              </td>
              <td>
                {t.fromSeconds === null && t.toSeconds === null
                  ? 'Whole clip'
                  : `${seconds(t.fromSeconds) || 'start'} – ${seconds(t.toSeconds) || 'end'}`}
              </td>
              <td>{t.shown ? 'Yes' : 'Not until the channel consents (see Channels)'}</td>
              <td class="actions">
                <button
                  type="button"
                  class="secondary"
                  onClick={() => untag(t.clip.url, t.product.id)}
                >
                  Untag
                </button>
              </td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}
