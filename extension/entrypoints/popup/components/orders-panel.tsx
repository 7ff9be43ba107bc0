import { Fragment } from 'preact';
import { formatPrice as money } from '../../../../shared/money';
import type { Order, PopupStore } from '../store';

const STATUS: Record<string, string> = {
  pending: 'Waiting for payment',
  paid: 'Paid',
  shipped: 'Shipped',
  expired: 'Expired',
  failed: 'Payment failed',
  refunded: 'Refunded',
};

/** Only web links open from the popup. */
function safeLink(url: string | null): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.toString() : null;
  } catch {
    return null;
  }
}

function OrderRow({ order }: { order: Order }) {
  const pay = safeLink(order.checkoutUrl);
  const track = safeLink(order.tracking?.url ?? null);
  return (
    <li class="row order">
      <span class="who">
        <span class="name">{order.brand.name || 'Order'}</span>
        <span class="muted small preview">
          {/* Each title isolated: an RTL override in one must not reverse the next. */}
          {order.items.map((i, n) => (
            <Fragment key={i.productId}>
              {n > 0 && ', '}
              {i.quantity > 1 && `${i.quantity} × `}
              <bdi>{i.title}</bdi>
            </Fragment>
          ))}
        </span>
        <span class="muted small">
          {new Date(order.createdAt).toLocaleDateString()} ·{' '}
          <span data-status={order.status}>{STATUS[order.status] ?? order.status}</span>
        </span>
        {order.tracking && (
          <span class="muted small tracking">
            {`${order.tracking.carrier} ${order.tracking.number}`}
            {track && (
              <>
                {' · '}
                <a href={track} target="_blank" rel="noopener noreferrer">
                  Track
                </a>
              </>
            )}
          </span>
        )}
      </span>
      <span class="actions">
        <strong>{money(order.totalCents, order.currency)}</strong>
        {pay && (
          <a class="button small primary" href={pay} target="_blank" rel="noopener noreferrer">
            Pay
          </a>
        )}
      </span>
    </li>
  );
}

export function OrdersPanel({ store }: { store: PopupStore }) {
  const orders = store.orders.value;
  return (
    <div class="card">
      <h2>Your orders</h2>
      {orders === null ? (
        <p class="muted">Loading…</p>
      ) : orders.length === 0 ? (
        <p class="muted">
          No orders yet. Products tagged in a clip can be bought from the Kith button beside the
          video.
        </p>
      ) : (
        <ul class="list">
          {orders.map((o) => (
            <OrderRow key={o.id} order={o} />
          ))}
        </ul>
      )}
    </div>
  );
}
