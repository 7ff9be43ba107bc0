import { useSignal } from '@preact/signals';
import { api, type Brand, errorText, money, type Order } from './api';
import { Alert, Table } from './parts';
import { useLoad } from './use-load';

const STATUSES = ['pending', 'paid', 'shipped', 'expired', 'failed', 'refunded'] as const;
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

/** The address on one line per part, as a label would carry it. */
function addressLines(order: Order): string[] {
  const s = order.shipping;
  if (!s) return [];
  const a = s.address;
  return [
    s.name,
    a.line1,
    a.line2,
    [a.postalCode, a.city].filter(Boolean).join(' '),
    a.state,
    a.country,
  ].filter((part): part is string => Boolean(part));
}

const CSV_COLUMNS = [
  'order',
  'created',
  'status',
  'email',
  'name',
  'address',
  'items',
  'total',
  'currency',
  'carrier',
  'tracking',
] as const;

/** A CSV field: quoted, and a leading = + - @ defused so a spreadsheet never runs it. */
function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${safe.replace(/"/g, '""')}"`;
}

/** The orders shown, as CSV (one row per order). */
export function ordersCsv(orders: Order[]): string {
  const rows = orders.map((o) =>
    [
      o.id,
      o.createdAt,
      o.status,
      o.email ?? '',
      o.shipping?.name ?? '',
      addressLines(o)
        .slice(o.shipping?.name ? 1 : 0)
        .join(', '),
      o.items.map((i) => `${i.title} x ${i.quantity}`).join('; '),
      (o.totalCents / 100).toFixed(2),
      o.currency,
      o.tracking?.carrier ?? '',
      o.tracking?.number ?? '',
    ].map(csvField),
  );
  return [CSV_COLUMNS.join(','), ...rows.map((r) => r.join(','))].join('\r\n');
}

function downloadCsv(brand: Brand, orders: Order[], status: string) {
  const blob = new Blob([ordersCsv(orders)], { type: 'text/csv;charset=utf-8' });
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = `${brand.slug}-orders${status ? `-${status}` : ''}.csv`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

/** "Mark shipped" for one paid order: carrier and tracking number. */
function ShipForm({ order, onShipped }: { order: Order; onShipped: () => void }) {
  const carrier = useSignal('');
  const number = useSignal('');
  const busy = useSignal(false);
  const error = useSignal('');
  const submit = async (e: Event) => {
    e.preventDefault();
    busy.value = true;
    error.value = '';
    try {
      await api.orders.markShipped.mutate({
        orderId: order.id,
        carrier: carrier.value,
        trackingNumber: number.value,
      });
      onShipped();
    } catch (err) {
      error.value = errorText(err);
    } finally {
      busy.value = false;
    }
  };
  return (
    <form class="ship-form" onSubmit={submit} aria-label={`Mark order ${order.id} shipped`}>
      <label>
        Carrier
        <input
          name="carrier"
          required
          maxLength={40}
          list="kith-carriers"
          value={carrier.value}
          onInput={(e) => (carrier.value = (e.currentTarget as HTMLInputElement).value)}
        />
      </label>
      <label>
        Tracking number
        <input
          name="tracking"
          required
          maxLength={40}
          value={number.value}
          onInput={(e) => (number.value = (e.currentTarget as HTMLInputElement).value)}
        />
      </label>
      <button type="submit" disabled={busy.value}>
        Mark shipped
      </button>
      <Alert text={error.value} />
    </form>
  );
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
          <button
            type="button"
            class="secondary"
            disabled={list.length === 0}
            onClick={() => downloadCsv(brand, list, status.value)}
          >
            Export CSV
          </button>
        </div>
      </div>
      <datalist id="kith-carriers">
        {['UPS', 'USPS', 'FedEx', 'DHL', 'Royal Mail'].map((c) => (
          <option key={c} value={c} />
        ))}
      </datalist>
      {orders.error && <p class="error">{orders.error}</p>}
      {list.length === 0 && !orders.loading && <p class="muted">No orders yet.</p>}
      {list.length > 0 && (
        <Table columns={['Date', 'Status', 'Items', 'Total', 'Ship to', 'Came from']} actions>
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
              <td class="split">
                <div>{money(o.split.totalCents, o.currency)}</div>
                <div class="muted small">
                  Kith fee −{money(o.split.platformFeeCents, o.currency)}
                </div>
                {o.creator && (
                  <div class="muted small creator-share">
                    Creator <bdi>@{o.creator.handle}</bdi> −
                    {money(o.split.creatorCents, o.currency)}
                  </div>
                )}
                <div class="small brand-share">You get {money(o.split.brandCents, o.currency)}</div>
              </td>
              <td class="break ship-to">
                {o.email && <div class="email">{o.email}</div>}
                {addressLines(o).map((line, n) => (
                  <div key={n} class="user-text" dir="auto">
                    {line}
                  </div>
                ))}
                {o.tracking && (
                  <div class="tracking">
                    {o.tracking.url ? (
                      <a href={o.tracking.url} target="_blank" rel="noopener noreferrer">
                        {`${o.tracking.carrier} ${o.tracking.number}`}
                      </a>
                    ) : (
                      `${o.tracking.carrier} ${o.tracking.number}`
                    )}
                  </div>
                )}
              </td>
              <td class="break attribution">{attribution(o)}</td>
              <td>{o.status === 'paid' && <ShipForm order={o} onShipped={orders.reload} />}</td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}
