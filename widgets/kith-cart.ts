import { getProduct, type KithError, type Product } from './api';
import {
  allCarts,
  type Cart,
  clearCart,
  itemCount,
  MAX_QUANTITY,
  onCartChange,
  refreshCart,
  setQuantity,
} from './cart-store';
import { startCheckout } from './checkout';
import { formatPrice, localeOf } from './format';
import css from './kith-cart.css?inline';
import { h, KithElement } from './kith-element';

/**
 * `<kith-cart>`: the one cart every Kith element on the page fills, kept across page loads. A
 * button with the item count opens a drawer with quantities and one checkout per brand (a
 * checkout sells one brand's products). Attributes: `brand` (show only this brand's cart),
 * `floating` (pinned to the corner, hidden while empty; what Add to cart inserts when the page
 * has no cart of its own), `lang`.
 */
export class KithCart extends KithElement {
  static override observedAttributes = ['brand', 'floating', 'lang'];
  private open = false;
  /** Checkout status per brand, kept across re-renders. */
  private notes = new Map<string, { text: string; error: boolean }>();
  private busy = new Set<string>();
  /** Said at the top of the drawer (products dropped from the cart). */
  private notice = '';

  constructor() {
    super(css);
  }

  override connectedCallback() {
    super.connectedCallback();
    onCartChange(() => this.queueRender(), this.signal);
  }

  private carts(): Cart[] {
    const brand = this.getAttribute('brand');
    return allCarts().filter((c) => !brand || c.brandId === brand);
  }

  private setOpen(open: boolean) {
    this.open = open;
    if (open) this.refresh();
    this.queueRender();
    queueMicrotask(() => queueMicrotask(() => this.focusKey(open ? 'close' : 'toggle')));
  }

  /** Prices, titles and stock as the shop has them now; lines no longer for sale are dropped. */
  private async refresh() {
    for (const cart of this.carts()) {
      const fresh = new Map<string, Product | null>();
      await Promise.all(
        cart.lines.map((line) =>
          getProduct(cart.api, line.productId).then(
            (product) => fresh.set(line.productId, product),
            (error: KithError) => {
              if (error.code === 'NOT_FOUND') fresh.set(line.productId, null);
            },
          ),
        ),
      );
      const dropped = refreshCart(cart.brandId, (id) => fresh.get(id));
      if (dropped.length) {
        this.notice = `No longer available, so removed from your cart: ${dropped.join(', ')}.`;
        this.queueRender();
      }
    }
  }

  private focusKey(key: string) {
    (this.base.querySelector(`[data-k="${key}"]`) as HTMLElement | null)?.focus();
  }

  protected render() {
    // Whatever had focus is found again by its key in the new DOM.
    const focused = (this.shadowRoot?.activeElement as HTMLElement | null)?.dataset.k;
    const carts = this.carts();
    const count = itemCount(carts);
    const locale = localeOf(this);
    const price = (cents: number, currency: string) => formatPrice(cents, currency, locale);

    const toggle = h(
      'button',
      {
        type: 'button',
        part: 'toggle',
        class: 'btn toggle',
        'data-k': 'toggle',
        'aria-expanded': String(this.open),
        'aria-controls': 'kith-cart-drawer',
        'aria-label': `Cart, ${count} ${count === 1 ? 'item' : 'items'}`,
        onclick: () => this.setOpen(!this.open),
      },
      // The space keeps the visible words ("Cart 2") inside the name ("Cart, 2 items").
      'Cart ',
      h('span', { part: 'count', class: 'count', 'aria-hidden': 'true' }, count),
    );
    if (this.hasAttribute('floating') && count === 0 && !this.open) toggle.hidden = true;

    const nodes: Node[] = [toggle];
    if (this.open) {
      const sections = carts.map((cart) => {
        const total = cart.lines.reduce((sum, l) => sum + l.priceCents * l.quantity, 0);
        const currency = cart.lines[0]!.currency;
        const note = this.notes.get(cart.brandId);
        const busy = this.busy.has(cart.brandId);
        return h(
          'section',
          { 'aria-label': cart.brandName },
          h('h3', null, cart.brandName),
          h(
            'ul',
            null,
            cart.lines.map((line) => {
              const set = (n: number) => setQuantity(cart.brandId, line.productId, n);
              const key = (what: string) => `${what}-${line.productId}`;
              const max = Math.min(MAX_QUANTITY, line.stock ?? MAX_QUANTITY);
              return h(
                'li',
                { part: 'line' },
                line.imageUrl
                  ? h('img', { class: 'thumb', src: line.imageUrl, alt: '', loading: 'lazy' })
                  : h('span', { class: 'thumb' }),
                h(
                  'div',
                  null,
                  h('div', { class: 'name' }, line.title),
                  h('div', { class: 'muted' }, price(line.priceCents, line.currency)),
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'link focus',
                      'data-k': key('remove'),
                      'aria-label': `Remove ${line.title}`,
                      onclick: () => set(0),
                    },
                    'Remove',
                  ),
                ),
                h(
                  'div',
                  { class: 'qty', role: 'group', 'aria-label': `Quantity of ${line.title}` },
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'btn',
                      'data-k': key('less'),
                      'aria-label': `One less ${line.title}`,
                      onclick: () => set(line.quantity - 1),
                    },
                    '−',
                  ),
                  h('output', { 'aria-live': 'polite' }, line.quantity),
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'btn',
                      'data-k': key('more'),
                      'aria-label': `One more ${line.title}`,
                      disabled: line.quantity >= max,
                      onclick: () => set(line.quantity + 1),
                    },
                    '+',
                  ),
                ),
              );
            }),
          ),
          h(
            'div',
            { class: 'total' },
            h('span', null, 'Subtotal'),
            h('span', { part: 'total' }, price(total, currency)),
          ),
          h(
            'button',
            {
              type: 'button',
              part: 'button checkout',
              class: 'btn primary',
              'data-k': `checkout-${cart.brandId}`,
              'aria-busy': busy ? 'true' : null,
              onclick: () => this.checkout(cart),
            },
            carts.length > 1 ? `Check out ${cart.brandName}` : 'Check out',
          ),
          h(
            'p',
            { part: 'message', class: `msg${note?.error ? ' error' : ''}`, role: 'status' },
            note?.text,
          ),
        );
      });
      nodes.push(
        h(
          'div',
          {
            part: 'drawer',
            class: 'drawer',
            id: 'kith-cart-drawer',
            role: 'dialog',
            'aria-labelledby': 'kith-cart-title',
            onkeydown: (e: KeyboardEvent) => e.key === 'Escape' && this.setOpen(false),
          },
          h(
            'div',
            { class: 'head' },
            h('h2', { id: 'kith-cart-title' }, 'Your cart'),
            h(
              'button',
              {
                type: 'button',
                class: 'btn close',
                'data-k': 'close',
                'aria-label': 'Close cart',
                onclick: () => this.setOpen(false),
              },
              '×',
            ),
          ),
          h('p', { part: 'notice', class: 'msg', role: 'status' }, this.notice),
          sections.length ? sections : h('p', { class: 'muted' }, 'Your cart is empty.'),
        ),
      );
    }
    this.show(...nodes);
    if (focused) this.focusKey(focused);
  }

  private async checkout(cart: Cart) {
    if (this.busy.has(cart.brandId)) return;
    this.busy.add(cart.brandId);
    this.notes.set(cart.brandId, { text: 'Starting checkout…', error: false });
    this.queueRender();
    try {
      await startCheckout(
        this,
        cart.api,
        cart.lines.map((l) => ({ productId: l.productId, quantity: l.quantity })),
      );
      // The order holds these items now; paying happens on Stripe's page.
      this.notes.delete(cart.brandId);
      clearCart(cart.brandId);
    } catch (error) {
      this.notes.set(cart.brandId, { text: (error as KithError).message, error: true });
    } finally {
      this.busy.delete(cart.brandId);
      this.queueRender();
    }
  }
}

if (!customElements.get('kith-cart')) customElements.define('kith-cart', KithCart);
