import { useSignal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import { api, type Brand } from './api';
import { useLoad } from './use-load';

const ELEMENTS = [
  ['kith-shop-button', 'Shop button', 'Price, Buy now and Add to cart, for one product.'],
  ['kith-product-card', 'Product card', 'Image, title, price, description, Buy and Add to cart.'],
  [
    'kith-shoppable-video',
    'Shoppable video',
    'Your video, with the products tagged to its clip shown at their moments.',
  ],
  ['kith-cart', 'Cart', 'One cart for every Kith element on every page of your site.'],
  ['kith-share-button', 'Share button', 'Lets visitors share the page to their Kith groups.'],
] as const;
type Tag = (typeof ELEMENTS)[number][0];

/** The attributes of one element, in snippet order. */
function attributesFor(
  tag: Tag,
  product: string,
  video: string,
  clip: string,
  brandId: string,
): [string, string][] {
  if (tag === 'kith-shop-button' || tag === 'kith-product-card') return [['product', product]];
  if (tag === 'kith-shoppable-video')
    return [
      ['src', video],
      ['clip', clip],
      ['brand', brandId],
    ];
  return [];
}

const attr = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;');

export function snippetFor(origin: string, tag: Tag, attributes: [string, string][]): string {
  const attrs = attributes.map(([k, v]) => ` ${k}="${attr(v)}"`).join('');
  return `<script type="module" src="${origin}/widgets/kith.js"></script>\n<${tag}${attrs}></${tag}>`;
}

/** The embed-snippet generator: pick an element, copy its two lines, see it live. */
export function EmbedTab({ brand }: { brand: Brand }) {
  const products = useLoad(() => api.products.list.query({ brandId: brand.id }), [brand.id]);
  const tags = useLoad(() => api.shop.tags.query({ brandId: brand.id }), [brand.id]);
  const tag = useSignal<Tag>('kith-shop-button');
  const product = useSignal('');
  const clip = useSignal('');
  const video = useSignal('');
  const copied = useSignal('');

  const list = (products.data ?? []).filter((p) => p.active);
  const clips = [...new Set((tags.data ?? []).map((t) => t.clip.url))];
  const productId = product.value || list[0]?.id || '';
  const clipUrl = clip.value || clips[0] || '';
  const attributes = attributesFor(tag.value, productId, video.value, clipUrl, brand.id);
  const snippet = snippetFor(location.origin, tag.value, attributes);

  async function copy() {
    try {
      await navigator.clipboard.writeText(snippet);
      copied.value = 'Copied. Paste it into your page’s HTML.';
    } catch {
      const area = document.getElementById('snippet') as HTMLTextAreaElement | null;
      area?.select();
      copied.value = 'Selected: press Ctrl+C (⌘C) to copy.';
    }
  }

  const needsProduct = tag.value === 'kith-shop-button' || tag.value === 'kith-product-card';
  return (
    <section aria-labelledby="embed-title">
      <h1 id="embed-title">Embed on your site</h1>
      <div class="embed">
        <div class="card">
          <fieldset class="choices">
            <legend>Element</legend>
            {ELEMENTS.map(([id, label, about]) => (
              <label key={id} class="choice">
                <input
                  type="radio"
                  name="element"
                  value={id}
                  checked={tag.value === id}
                  onChange={() => {
                    tag.value = id;
                    copied.value = '';
                  }}
                />
                <span>
                  <strong>{label}</strong>
                  <span class="muted small"> {about}</span>
                </span>
              </label>
            ))}
          </fieldset>
          {needsProduct && (
            <label>
              Product
              <select
                value={productId}
                onChange={(e) => (product.value = (e.currentTarget as HTMLSelectElement).value)}
              >
                {list.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.title}
                  </option>
                ))}
              </select>
              {list.length === 0 && <span class="muted small">Add a product first.</span>}
            </label>
          )}
          {tag.value === 'kith-shoppable-video' && (
            <>
              <label>
                Video file link
                <input
                  type="url"
                  placeholder="https://your-site.com/videos/spring.mp4"
                  value={video.value}
                  onInput={(e) => (video.value = (e.currentTarget as HTMLInputElement).value)}
                />
              </label>
              <label>
                Clip with tagged products
                <select
                  value={clipUrl}
                  onChange={(e) => (clip.value = (e.currentTarget as HTMLSelectElement).value)}
                >
                  {clips.map((c) => (
                    <option key={c} value={c}>
                      {c}
                    </option>
                  ))}
                </select>
                {clips.length === 0 && (
                  <span class="muted small">Tag products to a clip first (Clips tab).</span>
                )}
              </label>
            </>
          )}
          <label>
            Snippet
            <textarea id="snippet" class="code" readOnly rows={4} value={snippet} />
          </label>
          <div class="row">
            <button type="button" class="primary" onClick={copy}>
              Copy snippet
            </button>
            <span role="status" class="muted">
              {copied.value}
            </span>
          </div>
          <p class="muted small">
            Paste both lines anywhere in your page. The script loads once however many elements you
            use. Theme them with CSS custom properties such as <code>--kith-accent</code>,{' '}
            <code>--kith-radius</code> and <code>--kith-font</code>, or with{' '}
            <code>::part(buy)</code>. If your site sends a Content-Security-Policy, allow{' '}
            <code>{location.origin}</code> in <code>script-src</code> and <code>connect-src</code>
            {'; '}no inline script or style is needed.
          </p>
        </div>
        <section class="card preview" aria-label="Live preview">
          <h2>Live preview</h2>
          <Preview tag={tag.value} attributes={attributes} />
        </section>
      </div>
    </section>
  );
}

/** The real element, loaded by /widgets/kith.js like on a brand's page. */
function Preview({ tag, attributes }: { tag: Tag; attributes: [string, string][] }) {
  const host = useRef<HTMLDivElement>(null);
  const key = JSON.stringify([tag, attributes]);
  // `key` sums up tag and attributes.
  useEffect(() => {
    const el = document.createElement(tag);
    for (const [name, value] of attributes) if (value) el.setAttribute(name, value);
    host.current?.replaceChildren(el);
  }, [key]);
  return <div ref={host} class="preview-stage" data-preview={tag} />;
}
