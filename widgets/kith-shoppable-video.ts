import { type ClipProducts, getProduct, type KithError, primeProduct, query } from './api';
import { formatPrice, localeOf } from './format';
import { h, KithElement, message } from './kith-element';
import './kith-product-card';
import css from './kith-shoppable-video.css?inline';

interface Tagged {
  product: ClipProducts['products'][number] | Awaited<ReturnType<typeof getProduct>>;
  from: number;
  to: number;
}

/**
 * `<kith-shoppable-video src="clip.mp4" clip="https://www.tiktok.com/@brand/video/1">`: plays the
 * brand's video and, at the moments the brand tagged in the console, shows chips for the
 * products in the clip; a chip opens the product card over the video.
 * Attributes: `src`, `clip` (the clip the products are tagged to; default: the video's own
 * address), `brand` (the brand whose video it is: only its products show, whoever else tagged
 * the clip), `poster`, `products` (ids shown for the whole video, comma-separated), `label`,
 * `api`, `lang`.
 */
export class KithShoppableVideo extends KithElement {
  static override observedAttributes = [
    'api',
    'src',
    'clip',
    'brand',
    'poster',
    'products',
    'lang',
  ];

  constructor() {
    super(css);
  }

  /** The clip the products are tagged to. */
  get clip(): string | null {
    const src = this.getAttribute('src');
    return this.getAttribute('clip') || (src ? new URL(src, location.href).href : null);
  }

  protected render() {
    const signal = this.signal;
    const generation = this.generation;
    const api = this.api;
    const video = h('video', {
      part: 'video',
      class: 'video',
      src: this.getAttribute('src'),
      poster: this.getAttribute('poster'),
      controls: true,
      playsinline: true,
      preload: 'metadata',
      'aria-label': this.getAttribute('label') || 'Shoppable video',
    });
    const chips = h('div', {
      part: 'chips',
      class: 'chips',
      role: 'group',
      'aria-label': 'Products in this video',
      'aria-live': 'polite',
    });
    const panel = h('div', { part: 'panel', class: 'panel', role: 'dialog', hidden: true });
    const status = h('div', null);
    this.show(h('div', { class: 'stage' }, video, chips, panel), status);

    let tagged: Tagged[] = [];
    let shown = '';
    let opener: HTMLElement | null = null;
    const locale = localeOf(this);

    const close = () => {
      panel.hidden = true;
      panel.replaceChildren();
      opener?.focus();
    };
    const open = (item: Tagged, chip: HTMLElement) => {
      opener = chip;
      video.pause();
      const closeButton = h(
        'button',
        { type: 'button', class: 'close focus', 'aria-label': 'Close product', onclick: close },
        '×',
      );
      panel.setAttribute('aria-label', item.product.title);
      panel.replaceChildren(
        closeButton,
        h('kith-product-card' as 'div', {
          product: item.product.id,
          api,
          clip: this.clip,
          lang: this.getAttribute('lang'),
        }),
      );
      panel.hidden = false;
      closeButton.focus();
    };
    panel.addEventListener('keydown', (e) => e.key === 'Escape' && close(), { signal });

    const update = () => {
      const t = video.currentTime;
      const now = tagged.filter((item) => item.from <= t && t < item.to);
      const key = now.map((item) => item.product.id).join();
      if (key === shown) return;
      shown = key;
      chips.replaceChildren(
        ...now.map((item) => {
          const price = formatPrice(item.product.priceCents, item.product.currency, locale);
          const chip: HTMLButtonElement = h(
            'button',
            {
              type: 'button',
              part: 'chip',
              class: 'chip focus',
              'aria-haspopup': 'dialog',
              onclick: () => open(item, chip),
            },
            // The title isolated: an RTL override in it must not reverse the price.
            h('bdi', null, item.product.title),
            ` · ${price}`,
          );
          return chip;
        }),
      );
    };
    for (const type of ['timeupdate', 'seeked', 'loadedmetadata'])
      video.addEventListener(type, update, { signal });

    const clip = this.clip;
    const ids = (this.getAttribute('products') ?? '').split(/[\s,]+/).filter(Boolean);
    const brand = this.getAttribute('brand');
    Promise.all([
      clip
        ? query<ClipProducts>(api, 'shop.forClip', {
            url: clip,
            ...(brand ? { brandId: brand } : {}),
          }).then((r) => r.products)
        : [],
      Promise.all(ids.map((id) => getProduct(api, id).catch(() => null))),
    ]).then(
      ([inClip, extra]) => {
        if (generation !== this.generation) return;
        tagged = [
          ...inClip.map((product) => {
            primeProduct(api, product);
            return {
              product,
              from: product.fromSeconds ?? 0,
              to: product.toSeconds ?? Number.POSITIVE_INFINITY,
            };
          }),
          ...extra
            .filter((p) => p !== null)
            .filter((p) => !inClip.some((q) => q.id === p.id))
            .map((product) => ({ product, from: 0, to: Number.POSITIVE_INFINITY })),
        ].sort((a, b) => a.from - b.from);
        update();
      },
      (error: KithError) => {
        if (generation === this.generation)
          status.replaceChildren(
            message(`The products in this video could not be shown: ${error.message}`),
          );
      },
    );
  }
}

if (!customElements.get('kith-shoppable-video'))
  customElements.define('kith-shoppable-video', KithShoppableVideo);
