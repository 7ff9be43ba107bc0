import { useSignal } from '@preact/signals';
import { siteName } from '../channel-actions';
import type { ChannelClaim, PopupStore, TagRequest } from '../store';

const moment = (seconds: number | null) =>
  seconds === null
    ? ''
    : ` from ${Math.floor(seconds / 60)}:${String(Math.floor(seconds % 60)).padStart(2, '0')}`;

/** A pending claim: the three steps, with the code to copy and the button that checks the bio. */
function ClaimSteps({ store, claim }: { store: PopupStore; claim: ChannelClaim }) {
  const busy = store.busy.value === `verify:${claim.claimId}`;
  return (
    <ol class="claim-steps small">
      <li>
        Copy this code: <code>{claim.code}</code>{' '}
        <button
          type="button"
          class="small"
          aria-label={`Copy the code for @${claim.handle}`}
          onClick={() => store.copyCode(claim)}
        >
          Copy
        </button>
      </li>
      <li>
        Paste it anywhere in the bio of <bdi>@{claim.handle}</bdi> on {siteName(claim.site)}, and
        save.
      </li>
      <li>
        <button
          type="button"
          class="primary small"
          disabled={busy}
          aria-label={`Verify @${claim.handle}`}
          onClick={() => store.verifyChannel(claim)}
        >
          {busy ? 'Checking…' : 'Verify'}
        </button>{' '}
        Kith reads your public profile and looks for the code.
      </li>
    </ol>
  );
}

function TagRequestRow({ store, request }: { store: PopupStore; request: TagRequest }) {
  const busy = store.busy.value === `tag:${request.requestId}`;
  return (
    <li class="row request">
      <span class="who">
        <span class="name">
          <bdi>{request.product.brand.name}</bdi> asks to show <bdi>{request.product.title}</bdi>
          {moment(request.atSeconds)}
        </span>
        <a class="small" href={request.clip.url} target="_blank" rel="noopener noreferrer">
          in your clip
        </a>
        <span class="muted small">
          {request.state === 'pending'
            ? 'Waiting for your answer'
            : request.state === 'accepted'
              ? 'Accepted: it shows in the clip'
              : 'Declined'}
        </span>
      </span>
      <span class="actions">
        {request.state !== 'accepted' && (
          <button
            type="button"
            class="primary small"
            disabled={busy}
            aria-label={`Accept ${request.product.title}`}
            onClick={() => store.respondTag(request, true)}
          >
            Accept
          </button>
        )}
        {request.state !== 'declined' && (
          <button
            type="button"
            class="small"
            disabled={busy}
            aria-label={`Decline ${request.product.title}`}
            onClick={() => store.respondTag(request, false)}
          >
            Decline
          </button>
        )}
      </span>
    </li>
  );
}

/**
 * The Account tab's channels: claim a TikTok, YouTube or Instagram channel by a link, follow
 * the steps to verify it, see the verified ones, and answer brands' requests to tag its clips.
 */
export function ChannelsCard({ store }: { store: PopupStore }) {
  const url = useSignal('');
  const claims = store.channels.value;
  const requests = store.tagRequests.value ?? [];
  const verified = claims?.filter((c) => c.state === 'verified') ?? [];
  const pending = claims?.filter((c) => c.state === 'pending') ?? [];
  return (
    <div class="card channels">
      <h2>Your channels</h2>
      <p class="small">
        Verify your TikTok, YouTube or Instagram channel to tag products on your own clips. Only
        products you or the channel’s owner agreed to show to viewers of your clips.
      </p>
      {claims === null ? (
        <p class="muted">Loading…</p>
      ) : (
        <>
          {verified.length > 0 && (
            <ul class="list" aria-label="Verified channels">
              {verified.map((c) => (
                <li key={c.claimId} class="row">
                  <span class="name">
                    <bdi>@{c.handle}</bdi> <span class="muted small">{siteName(c.site)}</span>
                    {c.brandName && (
                      <span class="muted small">
                        {' '}
                        for <bdi>{c.brandName}</bdi>
                      </span>
                    )}
                  </span>
                  <span class="badge ok">Verified</span>
                </li>
              ))}
            </ul>
          )}
          {pending.map((c) => (
            <div key={c.claimId} class="claim">
              <p class="name">
                <bdi>@{c.handle}</bdi>{' '}
                <span class="muted small">{siteName(c.site)} · not verified yet</span>
              </p>
              <ClaimSteps store={store} claim={c} />
            </div>
          ))}
        </>
      )}
      <form
        class="claim-form"
        onSubmit={async (e) => {
          e.preventDefault();
          if (await store.claimChannel(url.value)) url.value = '';
        }}
      >
        <label>
          Link to your profile or one of your clips
          <input
            type="url"
            name="channelUrl"
            inputMode="url"
            placeholder="https://www.tiktok.com/@you"
            required
            value={url.value}
            onInput={(e) => {
              url.value = e.currentTarget.value;
            }}
          />
        </label>
        <button type="submit" disabled={store.busy.value === 'claimChannel'}>
          Claim channel
        </button>
      </form>
      {requests.length > 0 && (
        <>
          <h3>Brands asking to tag your clips</h3>
          <ul class="list">
            {requests.map((r) => (
              <TagRequestRow key={r.requestId} store={store} request={r} />
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
