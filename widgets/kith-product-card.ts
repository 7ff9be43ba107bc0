import { getProduct, type KithError, type Product } from './api';
import { formatPrice, localeOf } from './format';
import { h, KithElement, message, unavailable } from './kith-element';
import css from './kith-product-card.css?inline';
import { productActions } from './product-actions';

/**
 * `<kith-product-card product="<id>">`: image, brand, title, price, description, Buy now and
 * Add to cart. Same attributes as the shop button. Cards for the same product share one request
 * (the shoppable video primes them from its clip's products, so the cards it opens ask nothing).
 */
export class KithProductCard extends KithElement {
  static override observedAttributes = ['api', 'product', 'quantity', 'clip', 'lang'];

  constructor() {
    super(css);
  }

  protected render() {
    const id = this.getAttribute('product');
    if (!id) return this.show(message('Set the product attribute to a Kith product id.'));
    const generation = this.generation;
    this.show(h('div', { class: 'card', 'aria-busy': 'true' }, h('div', { class: 'media' })));
    getProduct(this.api, id).then(
      (product) => {
        if (generation === this.generation) this.show(this.card(product));
      },
      (error: KithError) => {
        if (generation === this.generation) this.show(unavailable(error));
      },
    );
  }

  private card(product: Product) {
    const price = formatPrice(product.priceCents, product.currency, localeOf(this));
    const { buy, add, status } = productActions(this, product, price);
    const placeholder = () =>
      h(
        'div',
        { part: 'image', class: 'media placeholder', 'aria-hidden': 'true' },
        [...product.title][0]?.toUpperCase(),
      );
    let media: HTMLElement = placeholder();
    if (product.imageUrl) {
      media = h('img', {
        part: 'image',
        class: 'media',
        src: product.imageUrl,
        alt: product.title,
        loading: 'lazy',
        decoding: 'async',
        onerror: () => media.replaceWith(placeholder()),
      });
    }
    return h(
      'article',
      { part: 'card', class: 'card', 'aria-label': product.title },
      media,
      h(
        'div',
        { class: 'body' },
        h('p', { part: 'brand', class: 'brand muted' }, product.brand.name),
        h('h3', { part: 'title', class: 'title' }, product.title),
        h('p', { part: 'price', class: 'price' }, price),
        product.description && h('p', { part: 'description', class: 'desc' }, product.description),
        h('div', { class: 'row' }, buy, add),
        status,
      ),
    );
  }
}

if (!customElements.get('kith-product-card'))
  customElements.define('kith-product-card', KithProductCard);
