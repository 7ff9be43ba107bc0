import type { KithError, Product } from './api';
import { addToCart, MAX_QUANTITY } from './cart-store';
import { startCheckout } from './checkout';
import { h, type KithElement } from './kith-element';

export interface ProductActions {
  buy: HTMLButtonElement;
  add: HTMLButtonElement;
  /** The inline status line: checkout errors, "Added to cart". */
  status: HTMLParagraphElement;
}

/**
 * Buy and Add to cart for one product, as the shop button and the product card show them.
 * Adding to the cart makes sure the page has a `<kith-cart>` to show it (the loader fetches its
 * code); a page may place its own `<kith-cart>` wherever it likes instead.
 */
export function productActions(el: KithElement, product: Product, price: string): ProductActions {
  const status = h('p', { part: 'message', class: 'msg', role: 'status', 'aria-live': 'polite' });
  const say = (text: string, error = false) => {
    status.className = error ? 'msg error' : 'msg';
    status.textContent = text;
  };
  const quantity = () =>
    Math.max(1, Math.min(MAX_QUANTITY, Number(el.getAttribute('quantity')) || 1));
  // Why Buy is off, before any click (older servers only said whether it was in stock).
  const blocked = product.purchasable === undefined ? !product.inStock : !product.purchasable;
  const soldOut = blocked;
  const reason = blocked ? (product.reason ?? 'Sold out') : '';
  const label = !blocked
    ? 'Buy now'
    : product.reasonCode === 'sold_out' || !product.reasonCode
      ? 'Sold out'
      : 'Unavailable';

  const buy = h(
    'button',
    {
      type: 'button',
      part: 'button buy',
      class: 'btn primary',
      disabled: soldOut,
      // The name starts with the visible words (WCAG 2.5.3: say "Buy now" and it is found).
      'aria-label': soldOut ? null : `Buy now: ${product.title}, ${price}`,
      title: reason || null,
      onclick: async () => {
        if (buy.getAttribute('aria-busy')) return;
        buy.setAttribute('aria-busy', 'true');
        say('Starting checkout…');
        try {
          await startCheckout(
            el,
            el.api,
            [{ productId: product.id, quantity: quantity() }],
            el.getAttribute('clip'),
            product.brand.allowedOrigins,
          );
          say('');
        } catch (error) {
          say((error as KithError).message, true);
        } finally {
          buy.removeAttribute('aria-busy');
        }
      },
    },
    label,
  );
  if (reason) {
    status.dataset.reason = product.reasonCode ?? 'sold_out';
    say(reason);
  }

  const add = h(
    'button',
    {
      type: 'button',
      part: 'button add',
      class: 'btn',
      disabled: soldOut,
      'aria-label': `Add to cart: ${product.title}`,
      onclick: () => {
        const cart = addToCart(el.api, product, quantity());
        const line = cart.lines.find((l) => l.productId === product.id);
        el.emit('kith:add-to-cart', {
          productId: product.id,
          brandId: product.brandId,
          quantity: line?.quantity ?? 0,
        });
        if (!document.querySelector('kith-cart'))
          document.body.append(h('kith-cart' as 'div', { floating: true }));
        say(line ? `Added to cart (${line.quantity} in cart).` : 'Your cart is full.', !line);
      },
    },
    'Add to cart',
  );
  return { buy, add, status };
}
