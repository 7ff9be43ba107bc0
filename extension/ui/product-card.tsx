import { useEffect, useRef, useState } from 'preact/hooks';
import type { GroupSummary, OutboxEntry } from '../lib/protocol';
import type { ClipInfo } from '../sites/types';
import type { KithClient } from './client';
import { CloseButton } from './close-button';
import {
  errorText,
  formatPrice,
  newClientId,
  openInNewTab,
  type ShopProduct,
  safeImage,
  shopMutate,
} from './shop-api';
import { type UserLine, UserLineText } from './user-line';

/** Where a purchase came from: the clip on screen, and the group it was shared in. */
export interface PurchaseSource {
  url?: string;
  groupId?: string;
}

type BuyState =
  | { kind: 'idle' }
  | { kind: 'buying' }
  | { kind: 'opened' }
  | { kind: 'blocked'; url: string }
  | { kind: 'error'; text: string };

type Notice = { ok: boolean; text: UserLine; groupId?: string } | null;

/**
 * A product share on its way, like a chat line: `pending` while it waits in the outbox (shown
 * as sending when online, queued when offline), `sent` once the server stored it, `failed` when
 * the server refused it. `inOutbox`: the background still keeps the item (a refusal after
 * waiting stays there until retried or discarded; one refused on the first try is dropped).
 */
type ShareState =
  | { phase: 'idle' }
  | {
      phase: 'pending' | 'sent' | 'failed';
      clientId: string;
      groupId: string;
      name: string;
      inOutbox: boolean;
      error?: string;
    };

/** What the outbox says about a share in flight; null when it says nothing new. */
export function shareFromOutbox(share: ShareState, entries: OutboxEntry[]): ShareState | null {
  if (share.phase === 'idle' || share.phase === 'sent') return null;
  if (share.phase === 'failed' && !share.inOutbox) return null;
  const entry = entries.find((e) => e.clientId === share.clientId);
  if (entry) {
    if (entry.status === 'failed')
      return { ...share, phase: 'failed', inOutbox: true, error: entry.error ?? 'Refused' };
    return { ...share, phase: 'pending', inOutbox: true, error: undefined };
  }
  // Gone from the outbox after we saw it there: acknowledged (or discarded, if it had failed).
  if (!share.inOutbox) return null;
  return share.phase === 'pending'
    ? { ...share, phase: 'sent', inOutbox: false }
    : { phase: 'idle' };
}

/** Buy: makes the order (prices come from the server) and opens Stripe Checkout in a new tab. */
function BuyButton({ product, source }: { product: ShopProduct; source: PurchaseSource }) {
  const [state, setState] = useState<BuyState>({ kind: 'idle' });
  // One attempt per card: pressing Buy again reuses the same order and Checkout Session.
  const [clientId] = useState(() => newClientId('buy'));
  const buy = async () => {
    if (state.kind === 'buying') return;
    setState({ kind: 'buying' });
    try {
      const { checkoutUrl } = await shopMutate('checkout.create', {
        items: [{ productId: product.id, quantity: 1 }],
        source: {
          ...(source.url ? { url: source.url } : {}),
          ...(source.groupId ? { groupId: source.groupId } : {}),
        },
        clientId,
      });
      setState(
        openInNewTab(checkoutUrl) ? { kind: 'opened' } : { kind: 'blocked', url: checkoutUrl },
      );
    } catch (error) {
      setState({ kind: 'error', text: errorText(error) });
    }
  };
  return (
    <>
      <button
        type="button"
        class="kith-primary kith-buy"
        disabled={!product.canBuy || state.kind === 'buying'}
        title={product.canBuy ? undefined : (product.reason ?? 'Not for sale right now')}
        onClick={buy}
      >
        {state.kind === 'buying'
          ? 'Opening checkout…'
          : product.canBuy
            ? 'Buy'
            : product.reasonCode === 'sold_out'
              ? 'Sold out'
              : 'Unavailable'}
      </button>
      {!product.canBuy && product.reason && (
        <p class="kith-notice kith-buy-reason" data-reason={product.reasonCode ?? undefined}>
          {product.reason}
        </p>
      )}
      {state.kind === 'opened' && (
        <p class="kith-notice is-ok" role="status">
          Checkout opened in a new tab. Your order shows in Kith's Orders once it's paid.
        </p>
      )}
      {state.kind === 'blocked' && (
        <p class="kith-notice" role="status">
          <a class="kith-link" href={state.url} target="_blank" rel="noopener noreferrer">
            Continue to checkout
          </a>
        </p>
      )}
      {state.kind === 'error' && (
        <p class="kith-notice is-error" role="alert">
          Could not start checkout: {state.text}
        </p>
      )}
    </>
  );
}

/** The product's picture, title, brand and price, as text (never HTML). */
function ProductSummary({ product }: { product: ShopProduct }) {
  const image = safeImage(product.imageUrl);
  const [broken, setBroken] = useState(false);
  return (
    <div class="kith-product-head">
      {image && !broken ? (
        <img
          class="kith-product-img"
          src={image}
          alt=""
          referrerpolicy="no-referrer"
          onError={() => setBroken(true)}
        />
      ) : (
        <span class="kith-product-img is-empty" aria-hidden="true">
          {(product.title.trim()[0] ?? '?').toUpperCase()}
        </span>
      )}
      <div class="kith-product-text">
        <p class="kith-product-title" dir="auto">
          {product.title}
        </p>
        <p class="kith-muted kith-product-brand" dir="auto">
          {product.brand.name}
        </p>
        <p class="kith-product-price">{formatPrice(product.priceCents, product.currency)}</p>
      </div>
    </div>
  );
}

/** A product shared in a chat: what it is, and Buy (credited to the group it was shared in). */
export function ProductMessageCard({
  product,
  groupId,
  clipUrl,
}: {
  product: ShopProduct;
  groupId: string;
  clipUrl?: string | undefined;
}) {
  return (
    <div class="kith-product is-message">
      <ProductSummary product={product} />
      <BuyButton product={product} source={{ groupId, ...(clipUrl ? { url: clipUrl } : {}) }} />
    </div>
  );
}

/**
 * A product opened from the shop strip: Buy, Share to group (a product message in that group's
 * chat about this clip) and Ask the brand (a question in the user's thread with the brand).
 */
export function ProductCard({
  product,
  clip,
  groups,
  signedIn,
  online,
  client,
  onClose,
  onOpenChat,
}: {
  product: ShopProduct;
  clip: ClipInfo | null;
  groups: GroupSummary[];
  signedIn: boolean;
  /** Whether the background reaches the server now (a waiting share reads as queued if not). */
  online: boolean;
  /** The background: product shares go through its outbox, like chat messages. */
  client: KithClient;
  onClose: () => void;
  onOpenChat: (groupId: string) => void;
}) {
  const shareable = groups.filter((g) => g.kind !== 'brand');
  const [mode, setMode] = useState<'none' | 'share' | 'ask'>('none');
  const [groupId, setGroupId] = useState(shareable[0]?.id ?? '');
  const [question, setQuestion] = useState('');
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<Notice>(null);
  const [shareState, setShareStateNow] = useState<ShareState>({ phase: 'idle' });
  const current = useRef<ShareState>(shareState);
  const setShare = (next: ShareState) => {
    current.current = next;
    setShareStateNow(next);
  };
  const root = useRef<HTMLElement>(null);

  // The background announces every change of the outbox: follow our share through it.
  useEffect(() => {
    const stop = new AbortController();
    client.onOutboxChanged((entries) => {
      const next = shareFromOutbox(current.current, entries);
      if (next) setShare(next);
    }, stop.signal);
    return () => stop.abort();
  }, [client]);

  // Escape closes the card (and stays out of the site's own shortcuts).
  useEffect(() => {
    const el = root.current;
    if (!el) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Escape') return;
      event.stopPropagation();
      onClose();
    };
    el.addEventListener('keydown', onKey);
    return () => el.removeEventListener('keydown', onKey);
  }, [onClose]);

  /** Queues the share in the outbox under a clientId named here, so a retry is the same item. */
  const sendShare = async (target: { clientId: string; groupId: string; name: string }) => {
    setShare({ ...target, phase: 'pending', inOutbox: false });
    setBusy(true);
    try {
      const { queued } = await client.send({
        clientId: target.clientId,
        groupId: target.groupId,
        body: '',
        productId: product.id,
        ...(clip ? { clip } : {}),
      });
      const now = current.current;
      if (!queued && now.phase !== 'idle' && now.clientId === target.clientId)
        setShare({ ...target, phase: 'sent', inOutbox: false });
      setMode('none');
    } catch (error) {
      // Refused on the first try: the background dropped it; the server's words say why.
      if (current.current.phase !== 'idle')
        setShare({ ...target, phase: 'failed', inOutbox: false, error: errorText(error) });
    } finally {
      setBusy(false);
    }
  };

  const share = (event: Event) => {
    event.preventDefault();
    const groupIdNow = groupId || shareable[0]?.id;
    if (!groupIdNow || busy) return;
    const name = shareable.find((g) => g.id === groupIdNow)?.name ?? 'the group';
    void sendShare({ clientId: newClientId('pm'), groupId: groupIdNow, name });
  };

  const retryShare = () => {
    const now = current.current;
    if (now.phase !== 'failed' || busy) return;
    if (!now.inOutbox) {
      void sendShare({ clientId: now.clientId, groupId: now.groupId, name: now.name });
      return;
    }
    setShare({ ...now, phase: 'pending', error: undefined });
    client.retry(now.clientId).catch((error: unknown) => {
      setShare({ ...now, phase: 'failed', error: errorText(error) });
    });
  };

  const discardShare = () => {
    const now = current.current;
    if (now.phase === 'idle') return;
    setShare({ phase: 'idle' });
    if (now.inOutbox) client.discard(now.clientId).catch(() => {});
  };

  const ask = async (event: Event) => {
    event.preventDefault();
    const body = question.trim();
    if (!body || busy) return;
    setBusy(true);
    try {
      await shopMutate('brands.ask', {
        brandId: product.brandId,
        body,
        productId: product.id,
        clientId: newClientId('ask'),
      });
      setQuestion('');
      setMode('none');
      setNotice({
        ok: true,
        text: [
          'Sent to ',
          { user: product.brand.name },
          '. Their answer arrives in your chat with ',
          { user: product.brand.name },
          '.',
        ],
      });
    } catch (error) {
      setNotice({ ok: false, text: [`Could not send: ${errorText(error)}`] });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section ref={root} class="kith-product is-open" role="dialog" aria-label={product.title}>
      <CloseButton label="Close" extraClass="kith-product-close" onClick={onClose} />
      <ProductSummary product={product} />
      {product.description && (
        <p class="kith-product-desc" dir="auto">
          {product.description}
        </p>
      )}
      <BuyButton product={product} source={clip ? { url: clip.url } : {}} />
      {signedIn && (
        <div class="kith-row kith-product-actions">
          <button
            type="button"
            class="kith-chip"
            aria-pressed={mode === 'share'}
            disabled={shareable.length === 0}
            title={shareable.length === 0 ? 'Make a group first' : undefined}
            onClick={() => setMode(mode === 'share' ? 'none' : 'share')}
          >
            Share to group
          </button>
          <button
            type="button"
            class="kith-chip"
            aria-pressed={mode === 'ask'}
            onClick={() => setMode(mode === 'ask' ? 'none' : 'ask')}
          >
            Ask the brand
          </button>
        </div>
      )}
      {mode === 'share' && (
        <form class="kith-row kith-product-form" onSubmit={share}>
          <select
            aria-label="Group"
            value={groupId}
            onChange={(e) => setGroupId(e.currentTarget.value)}
          >
            {shareable.map((g) => (
              <option key={g.id} value={g.id}>
                {g.name}
              </option>
            ))}
          </select>
          <button type="submit" class="kith-primary" disabled={busy}>
            {busy ? 'Sharing…' : 'Share'}
          </button>
        </form>
      )}
      {mode === 'ask' && (
        <form class="kith-product-form" onSubmit={ask}>
          <textarea
            rows={2}
            maxLength={4000}
            aria-label={`Question for ${product.brand.name}`}
            placeholder={`Ask ${product.brand.name} about ${product.title}`}
            value={question}
            onInput={(e) => setQuestion(e.currentTarget.value)}
          />
          <div class="kith-row">
            <button type="submit" class="kith-primary" disabled={busy || !question.trim()}>
              {busy ? 'Sending…' : 'Send question'}
            </button>
          </div>
        </form>
      )}
      {shareState.phase !== 'idle' && (
        <ShareStatus
          share={shareState}
          online={online}
          busy={busy}
          onRetry={retryShare}
          onDiscard={discardShare}
          onOpenChat={onOpenChat}
        />
      )}
      {notice && (
        <p
          class={`kith-notice ${notice.ok ? 'is-ok' : 'is-error'}`}
          role={notice.ok ? 'status' : 'alert'}
        >
          <span>
            <UserLineText line={notice.text} />
          </span>
          {notice.groupId && (
            <button type="button" class="kith-link" onClick={() => onOpenChat(notice.groupId!)}>
              Open chat
            </button>
          )}
        </p>
      )}
    </section>
  );
}

/** The share's state under the card, in the chat's words for the same states. */
function ShareStatus({
  share,
  online,
  busy,
  onRetry,
  onDiscard,
  onOpenChat,
}: {
  share: Exclude<ShareState, { phase: 'idle' }>;
  online: boolean;
  busy: boolean;
  onRetry: () => void;
  onDiscard: () => void;
  onOpenChat: (groupId: string) => void;
}) {
  const name = { user: share.name };
  if (share.phase === 'failed')
    return (
      <p class="kith-notice is-error kith-share-state is-failed" role="alert">
        <span>
          <UserLineText line={['Not shared to ', name, `: ${share.error ?? 'Refused'}`]} />
        </span>
        <button type="button" class="kith-link" disabled={busy} onClick={onRetry}>
          Retry
        </button>
        <button type="button" class="kith-link" onClick={onDiscard}>
          Discard
        </button>
      </p>
    );
  const line: UserLine =
    share.phase === 'sent'
      ? ['Shared to ', name, '.']
      : online
        ? ['Sharing to ', name, '…']
        : ['Offline — shares to ', name, " when you're back."];
  const state = share.phase === 'sent' ? 'is-sent' : online ? 'is-sending' : 'is-queued';
  return (
    <p
      class={`kith-notice kith-share-state ${state}${share.phase === 'sent' ? ' is-ok' : ''}`}
      role="status"
    >
      <span>
        <UserLineText line={line} />
      </span>
      {share.phase === 'sent' && (
        <button type="button" class="kith-link" onClick={() => onOpenChat(share.groupId)}>
          Open chat
        </button>
      )}
    </p>
  );
}
