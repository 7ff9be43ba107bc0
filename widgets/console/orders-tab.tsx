import { useSignal } from '@preact/signals';
import { api, type Brand, money, type Order } from './api';
import { Table } from './parts';
import { useLoad } from './use-load';

const STATUSES = ['pending', 'paid', 'expired', 'failed', 'refunded'] as const;
type Status = (typeof STATUSES)[number];

const when = (iso: string) =>
  new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function attribution(order: Order): string {
  const parts: string[] = [];
  if (order.source.widget) parts.push(`Widget on ${order.source.widget}`);
  if (order.source.url) parts.push(`Clip ${order.source.url}`);
  if (order.source.groupId) parts.push('Shared in a Kith group');
  return parts.join(' · ') || 'Direct';
}

/** The brand's orders: status, items, totals and what brought each sale. */
export function OrdersTab({ brand }: { brand: Brand }) {
  const status = useSignal<Status | ''>('');
  const orders = useLoad(
    () =>
      api.brands.orders.query({
        brandId: brand.id,
        ...(status.value ? { status: status.value } : {}),
      }),
    [brand.id, status.value],
  );
  const list = orders.data?.orders ?? [];
  return (
    <section aria-labelledby="orders-title">
      <div class="row between">
        <h1 id="orders-title">Orders</h1>
        <div class="row">
          <label class="inline">
            Status{' '}
            <select
              value={status.value}
              onChange={(e) =>
                (status.value = (e.currentTarget as HTMLSelectElement).value as Status)
              }
            >
              <option value="">All</option>
              {STATUSES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </label>
          <button type="button" class="secondary" onClick={orders.reload}>
            Refresh
          </button>
        </div>
      </div>
      {orders.error && <p class="error">{orders.error}</p>}
      {list.length === 0 && !orders.loading && <p class="muted">No orders yet.</p>}
      {list.length > 0 && (
        <Table columns={['Date', 'Status', 'Items', 'Total', 'Came from']}>
          {list.map((o) => (
            <tr key={o.id} data-order={o.id}>
              <td>{when(o.createdAt)}</td>
              <td>
                <span class={`badge ${o.status}`} data-status={o.status}>
                  {o.status}
                </span>
              </td>
              <td>
                {o.items.map((i) => (
                  <div key={i.productId} class="user-text">
                    <span dir="auto">{i.title}</span> × {i.quantity}
                  </div>
                ))}
              </td>
              <td>{money(o.totalCents, o.currency)}</td>
              <td class="break attribution">{attribution(o)}</td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}
