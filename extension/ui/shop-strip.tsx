import { computed, signal as createSignal, effect } from '@preact/signals';
import type { FunctionComponent } from 'preact';
import type { Overlay } from './overlay-state';
import { ProductCard } from './product-card';
import { formatPrice, inRange, productsForClip, type TaggedProduct } from './shop-api';

const STRIP_HEIGHT = 40;
const MARGIN = 12;

/**
 * The shop strip: chips for the products tagged in the current clip, shown while the video is
 * inside a tag's range (or always, for a tag without one). A chip opens the product's card with
 * Buy, Share to group and Ask the brand. Everything it starts stops when `signal` aborts.
 */
export function mountShopStrip(overlay: Overlay, signal: AbortSignal): FunctionComponent {
  const tagged = createSignal<TaggedProduct[]>([]);
  const openId = createSignal<string | null>(null);
  let loadedUrl: string | null = null;
  let generation = 0;

  const stop = effect(() => {
    const url = overlay.clip.current.value?.clip.url ?? null;
    if (url === loadedUrl) return;
    loadedUrl = url;
    const mine = ++generation;
    tagged.value = [];
    openId.value = null;
    if (!url) return;
    const clip = overlay.clip.current.peek()?.clip;
    if (!clip) return;
    productsForClip(overlay.client, clip).then(
      (products) => {
        if (mine !== generation || signal.aborted) return;
        tagged.value = products;
      },
      () => {
        // No shop for this clip (offline, or the server is older): the strip stays hidden.
      },
    );
  });
  signal.addEventListener('abort', stop, { once: true });

  // The strip follows whole seconds, so it re-renders once a second at most while playing.
  const second = computed(() => Math.floor(overlay.time.value));
  const showing = computed(() => tagged.value.filter((p) => inRange(p, second.value)));

  return function ShopStrip() {
    const box = overlay.box.value;
    const list = showing.value;
    const opened = tagged.value.find((p) => p.id === openId.value) ?? null;
    if (!box || overlay.clip.status.value !== 'found' || (list.length === 0 && !opened))
      return null;
    const bottom = Math.min(box.top + box.height, innerHeight);
    const top = bottom - STRIP_HEIGHT - MARGIN;
    if (top < Math.max(box.top, 0)) return null;
    const left = Math.max(box.left, 0) + MARGIN;
    const width = Math.max(160, Math.min(box.width, innerWidth - left) - MARGIN * 2 - 52);
    const session = overlay.session.session.value;
    const clip = overlay.clip.current.value?.clip ?? null;
    return (
      <section class="kith-shop" aria-label="Shop this clip">
        {list.length > 0 && (
          <ul
            class="kith-shop-strip"
            aria-label="Products in this clip"
            style={{ top: `${top}px`, left: `${left}px`, maxWidth: `${width}px` }}
          >
            {list.map((p) => (
              <li key={p.id}>
                <button
                  type="button"
                  class={`kith-shop-chip${openId.value === p.id ? ' is-open' : ''}`}
                  aria-expanded={openId.value === p.id}
                  onClick={() => {
                    openId.value = openId.peek() === p.id ? null : p.id;
                  }}
                >
                  <span class="kith-shop-chip-title" dir="auto">
                    {p.title}
                  </span>
                  <span class="kith-shop-chip-price">{formatPrice(p.priceCents, p.currency)}</span>
                </button>
              </li>
            ))}
          </ul>
        )}
        {opened && (
          <div
            class="kith-product-pop"
            style={{
              left: `${left}px`,
              bottom: `${innerHeight - top + 8}px`,
              width: `${Math.min(320, width + 40)}px`,
              maxHeight: `${Math.max(160, top - 16)}px`,
            }}
          >
            <ProductCard
              key={opened.id}
              product={opened}
              clip={clip}
              groups={overlay.groups.groups.value}
              signedIn={!!session?.user}
              online={session?.connection === 'online'}
              client={overlay.client}
              onClose={() => {
                openId.value = null;
              }}
              onOpenChat={(groupId) => {
                openId.value = null;
                overlay.chatGroupId.value = groupId;
                overlay.tab.value = 'chat';
                overlay.open.value = true;
              }}
            />
          </div>
        )}
      </section>
    );
  };
}
