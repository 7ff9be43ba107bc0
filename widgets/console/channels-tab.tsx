import { useSignal } from '@preact/signals';
import { api, type Brand, errorText } from './api';
import { Alert, Table } from './parts';
import { useLoad } from './use-load';

const SITES: Record<string, string> = {
  tiktok: 'TikTok',
  youtube: 'YouTube',
  instagram: 'Instagram',
};

/**
 * Channels: verify the brand's own TikTok, YouTube or Instagram channel (its tags then show on
 * its clips), and ask creators to show the brand's products in their clips.
 */
export function ChannelsTab({ brand }: { brand: Brand }) {
  const claims = useLoad(() => api.channels.mine.query(), [brand.id]);
  const requests = useLoad(() => api.shop.tagRequests.query(), [brand.id]);
  const products = useLoad(() => api.products.list.query({ brandId: brand.id }), [brand.id]);
  const error = useSignal('');
  const done = useSignal('');
  const busy = useSignal<string | null>(null);

  async function run(label: string, work: () => Promise<string>) {
    busy.value = label;
    error.value = '';
    done.value = '';
    try {
      done.value = await work();
      claims.reload();
      requests.reload();
    } catch (e) {
      error.value = errorText(e);
    } finally {
      busy.value = null;
    }
  }

  const mine = (claims.data ?? []).filter((c) => c.brandId === brand.id);
  const outgoing = (requests.data?.outgoing ?? []).filter((r) => r.product.brandId === brand.id);
  const list = products.data ?? [];
  return (
    <section aria-labelledby="channels-title">
      <h1 id="channels-title">Channels</h1>
      <p class="muted">
        A product tagged in a clip shows to viewers only with the consent of the clip’s channel: the
        channel is {brand.name}’s own (verified here), or its owner tagged the product or accepted
        your request.
      </p>

      <form
        class="card"
        aria-label="Claim a channel"
        onSubmit={(event) => {
          event.preventDefault();
          const form = new FormData(event.currentTarget as HTMLFormElement);
          void run('claim', async () => {
            const claim = await api.channels.claim.mutate({
              url: String(form.get('url') ?? ''),
              brandId: brand.id,
            });
            return `Now put ${claim.code} in the bio of @${claim.handle}, then press Verify.`;
          });
        }}
      >
        <h2>Verify {brand.name}’s channel</h2>
        <ol class="steps">
          <li>Paste a link to the channel’s profile (or one of its clips) and claim it.</li>
          <li>Put the code Kith gives you anywhere in the channel’s public bio, and save.</li>
          <li>Press Verify: Kith reads the public profile and looks for the code.</li>
        </ol>
        <label class="wide">
          Profile or clip link
          <input name="url" required placeholder="https://www.tiktok.com/@yourbrand" />
        </label>
        <button class="primary" type="submit" disabled={busy.value === 'claim'}>
          Claim channel
        </button>
      </form>
      <Alert text={error.value} />
      {done.value && (
        <p class="ok" role="status">
          {done.value}
        </p>
      )}
      {claims.error && <p class="error">{claims.error}</p>}
      {mine.length > 0 && (
        <Table columns={['Channel', 'Site', 'Code for the bio', 'State']} actions>
          {mine.map((c) => (
            <tr key={c.claimId}>
              <td class="user-text">@{c.handle}</td>
              <td>{SITES[c.site] ?? c.site}</td>
              <td>
                <code>{c.code}</code>
              </td>
              <td>{c.state === 'verified' ? 'Verified' : 'Waiting for the code in the bio'}</td>
              <td class="actions">
                {c.state === 'pending' && (
                  <button
                    type="button"
                    class="secondary"
                    disabled={busy.value === c.claimId}
                    onClick={() =>
                      run(c.claimId, async () => {
                        await api.channels.verify.mutate({ claimId: c.claimId });
                        return `@${c.handle} is verified as ${brand.name}’s.`;
                      })
                    }
                  >
                    Verify
                  </button>
                )}
              </td>
            </tr>
          ))}
        </Table>
      )}

      <form
        class="card"
        aria-label="Ask a creator to show a product"
        onSubmit={(event) => {
          event.preventDefault();
          const form = new FormData(event.currentTarget as HTMLFormElement);
          const at = String(form.get('at') ?? '').trim();
          void run('request', async () => {
            const request = await api.shop.requestTag.mutate({
              clipUrl: String(form.get('clipUrl') ?? ''),
              productId: String(form.get('productId') ?? ''),
              ...(at === '' ? {} : { atSeconds: Number(at) }),
            });
            return request.state === 'accepted'
              ? 'The clip is on your own channel: the product shows now.'
              : 'Asked. The product shows once the channel’s owner accepts.';
          });
        }}
      >
        <h2>Ask a creator</h2>
        <div class="grid">
          <label class="wide">
            Clip link
            <input name="clipUrl" required placeholder="https://www.tiktok.com/@creator/video/…" />
          </label>
          <label class="wide">
            Product
            <select name="productId" required>
              {list.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.title}
                </option>
              ))}
            </select>
          </label>
          <label>
            From second <span class="muted">(optional)</span>
            <input name="at" type="number" min={0} step="0.1" />
          </label>
        </div>
        <button class="primary" type="submit" disabled={busy.value === 'request' || !list.length}>
          Ask
        </button>
      </form>
      {outgoing.length > 0 && (
        <Table columns={['Clip', 'Product', 'Answer']}>
          {outgoing.map((r) => (
            <tr key={r.requestId}>
              <td class="break">
                <a href={r.clip.url} target="_blank" rel="noopener noreferrer">
                  {r.clip.url}
                </a>
              </td>
              <td class="user-text" dir="auto">
                {r.product.title}
              </td>
              <td>
                {r.state === 'pending'
                  ? 'Waiting'
                  : r.state === 'accepted'
                    ? 'Accepted'
                    : 'Declined'}
              </td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}
