import { useEffect, useRef, useState } from 'preact/hooks';
import { clipInput } from '../background/outbox';
import type { GroupSummary } from '../lib/protocol';
import type { ClipInfo } from '../sites/types';
import {
  errorText,
  formatPrice,
  newClientId,
  openInNewTab,
  type ShopProduct,
  safeImage,
  shopApi,
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

/** Buy: makes the order (prices come from the server) and opens Stripe Checkout in a new tab. */
function BuyButton({ product, source }: { product: ShopProduct; source: PurchaseSource }) {
  const [state, setState] = useState<BuyState>({ kind: 'idle' });
  // One attempt per card: pressing Buy again reuses the same order and Checkout Session.
  const [clientId] = useState(() => newClientId('buy'));
  const buy = async () => {
    if (state.kind === 'buying') return;
    setState({ kind: 'buying' });
    try {
      const { checkoutUrl } = await shopApi().checkout.create.mutate({
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
        title={product.canBuy ? undefined : 'Not for sale right now'}
        onClick={buy}
      >
        {state.kind === 'buying' ? 'Opening checkout…' : product.canBuy ? 'Buy' : 'Unavailable'}
      </button>
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
  onClose,
  onOpenChat,
}: {
  product: ShopProduct;
  clip: ClipInfo | null;
  groups: GroupSummary[];
  signedIn: boolean;
  onClose: () => void;
  onOpenChat: (groupId: string) => void;
}) {
  const shareable = groups.filter((g) => g.kind !== 'brand');
  const [mode, setMode] = useState<'none' | 'share' | 'ask'>('none');
  const [groupId, setGroupId] = useState(shareable[0]?.id ?? '');
  const [question, setQuestion] = useState('');
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<Notice>(null);
  const root = useRef<HTMLElement>(null);

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

  const share = async (event: Event) => {
    event.preventDefault();
    const target = groupId || shareable[0]?.id;
    if (!target || busy) return;
    setBusy(true);
    try {
      await shopApi().messages.send.mutate({
        groupId: target,
        clientId: newClientId('pm'),
        productId: product.id,
        ...(clip ? { clip: clipInput(clip) } : {}),
      });
      const name = shareable.find((g) => g.id === target)?.name ?? 'the group';
      setNotice({ ok: true, text: ['Shared to ', { user: name }, '.'], groupId: target });
      setMode('none');
    } catch (error) {
      setNotice({ ok: false, text: [`Could not share: ${errorText(error)}`] });
    } finally {
      setBusy(false);
    }
  };

  const ask = async (event: Event) => {
    event.preventDefault();
    const body = question.trim();
    if (!body || busy) return;
    setBusy(true);
    try {
      await shopApi().brands.ask.mutate({
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
      <button
        type="button"
        class="kith-close kith-product-close"
        aria-label="Close"
        onClick={onClose}
      >
        <svg viewBox="0 0 24 24" width="14" height="14" aria-hidden="true" focusable="false">
          <path
            d="M6 6l12 12M18 6L6 18"
            stroke="currentColor"
            stroke-width="2"
            stroke-linecap="round"
          />
        </svg>
      </button>
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
