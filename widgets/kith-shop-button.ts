import { getProduct, type KithError } from './api';
import { formatPrice, localeOf } from './format';
import { h, KithElement, message, unavailable } from './kith-element';
import { productActions } from './product-actions';

/**
 * `<kith-shop-button product="<id>">`: the price in the product's currency, formatted for the
 * page's locale, with Buy now (→ Stripe Checkout) and Add to cart.
 * Attributes: `product`, `api` (default: this script's server), `quantity` (1), `clip` (the
 * clip the sale is attributed to), `lang`.
 */
export class KithShopButton extends KithElement {
  static override observedAttributes = ['api', 'product', 'quantity', 'clip', 'lang'];

  protected render() {
    const id = this.getAttribute('product');
    if (!id) return this.show(message('Set the product attribute to a Kith product id.'));
    const generation = this.generation;
    this.show(h('span', { class: 'skeleton', role: 'status', 'aria-label': 'Loading product' }));
    getProduct(this.api, id).then(
      (product) => {
        if (generation !== this.generation) return;
        const price = formatPrice(product.priceCents, product.currency, localeOf(this));
        const { buy, add, status } = productActions(this, product, price);
        this.show(
          h('div', { class: 'row' }, h('span', { part: 'price', class: 'price' }, price), buy, add),
          status,
        );
      },
      (error: KithError) => {
        if (generation !== this.generation) return;
        this.show(unavailable(error));
      },
    );
  }
}

if (!customElements.get('kith-shop-button'))
  customElements.define('kith-shop-button', KithShopButton);
