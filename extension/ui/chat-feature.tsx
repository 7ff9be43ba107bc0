import { signal as createSignal, effect } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import { Reactions, timeAgo } from './message-parts';
import { formatMoment } from './moment';
import type { OverlayFeature } from './overlay-feature';
import { ProductMessageCard } from './product-card';
import type { ShopProduct } from './shop-api';
import { openThread, type Thread, type ThreadItem } from './thread-store';

const STATE_TEXT: Record<ThreadItem['state'], string> = {
  sent: '',
  sending: 'Sending…',
  queued: "Offline — sends when you're back",
  failed: 'Not sent',
};

/** Chat tab: the chosen group's thread about this clip, live, with messages at a moment. */
export const chatFeature: OverlayFeature = {
  id: 'chat',
  label: 'Chat',
  mount(overlay, signal) {
    const thread = createSignal<Thread | null>(null);
    const draft = createSignal('');
    const withMoment = createSignal(true);
    let threadKey = '';
    let threadControl: AbortController | null = null;
    const visible = () => overlay.open.value && overlay.tab.value === 'chat';

    // Opens the thread when the Chat tab is first shown for a group and clip; a thread that is
    // open stays live while the panel is closed, and is dropped when the clip or group changes.
    const stopThread = effect(() => {
      const groupId = overlay.chatGroupId.value;
      const clip = overlay.clip.current.value?.clip;
      const userId = overlay.session.session.value?.user?.id;
      const key = groupId && clip && userId ? `${groupId}|${clip.url}|${userId}` : '';
      if (key === threadKey && thread.peek()) return;
      if (key !== threadKey) {
        threadControl?.abort();
        threadControl = null;
        thread.value = null;
        threadKey = key;
      }
      if (!key || !visible() || !groupId || !clip) return;
      threadControl = new AbortController();
      thread.value = openThread(
        overlay.client,
        { groupId, clip },
        overlay.session.session,
        threadControl.signal,
      );
    });

    // The background does not notify about the thread the user is looking at.
    let focused: string | null = null;
    const stopFocus = effect(() => {
      const groupId = visible() ? overlay.chatGroupId.value : null;
      if (groupId === focused) return;
      focused = groupId;
      overlay.client.focus(groupId).catch(() => {});
    });
    // What is on screen is read: the read position follows the newest message shown, so the
    // dock's count and the toolbar badge drop as the user reads.
    const marked = new Map<string, number>();
    const stopRead = effect(() => {
      const groupId = visible() ? overlay.chatGroupId.value : null;
      const items = thread.value?.items.value ?? [];
      if (!groupId) return;
      const newest = items.reduce((n, i) => Math.max(n, i.seq ?? 0), 0);
      const group = overlay.groups.groups.peek().find((g) => g.id === groupId);
      const known = Math.max(marked.get(groupId) ?? 0, group?.lastReadSeq ?? 0);
      if (newest <= known) return;
      marked.set(groupId, newest);
      overlay.client.mutate('messages.markRead', { groupId, seq: newest }).then(
        () => overlay.activity.reload(),
        () => marked.delete(groupId),
      );
    });
    signal.addEventListener('abort', () => {
      stopRead();
      stopThread();
      stopFocus();
      threadControl?.abort();
      if (focused) overlay.client.focus(null).catch(() => {});
    });

    // Products shared in the thread, fetched once each (a failed fetch shows a plain line).
    const products = createSignal<ReadonlyMap<string, ShopProduct | 'missing'>>(new Map());
    const asked = new Set<string>();
    const productFor = (productId: string) => {
      if (!asked.has(productId)) {
        asked.add(productId);
        overlay.client.query('products.get', { productId }).then(
          (product) => {
            if (!signal.aborted) products.value = new Map(products.peek()).set(productId, product);
          },
          () => {
            if (!signal.aborted)
              products.value = new Map(products.peek()).set(productId, 'missing');
          },
        );
      }
      return products.value.get(productId);
    };

    function ProductLine({ productId }: { productId: string }) {
      const product = productFor(productId);
      const groupId = overlay.chatGroupId.value;
      if (product === 'missing')
        return <p class="kith-msg-shared">shared a product that is no longer on sale</p>;
      if (!product || !groupId) return <p class="kith-msg-shared">shared a product…</p>;
      return (
        <ProductMessageCard
          product={product}
          groupId={groupId}
          clipUrl={overlay.clip.current.value?.clip.url}
        />
      );
    }

    const send = () => {
      const current = thread.peek();
      const text = draft.peek().trim();
      if (!current || !text) return;
      draft.value = '';
      void current.send(text, withMoment.peek() ? Math.floor(overlay.time.peek()) : null);
    };

    function Message({ item }: { item: ThreadItem }) {
      const shared = item.kind === 'clip';
      return (
        <li
          class={`kith-msg${item.mine ? ' is-mine' : ''}${item.state !== 'sent' ? ` is-${item.state}` : ''}`}
        >
          <div class="kith-msg-meta">
            <span class="kith-msg-name" dir="auto">
              {item.mine ? 'You' : item.senderName}
            </span>
            {item.atSeconds !== null && (
              <button
                type="button"
                class="kith-moment"
                title={`Jump to ${formatMoment(item.atSeconds)}`}
                onClick={() => overlay.seek(item.atSeconds!)}
              >
                {formatMoment(item.atSeconds)}
              </button>
            )}
            <time class="kith-muted" dateTime={item.createdAt}>
              {timeAgo(item.createdAt)}
            </time>
          </div>
          {item.deleted ? (
            <p class="kith-msg-body is-deleted">Message deleted</p>
          ) : (
            <>
              {shared && <p class="kith-msg-shared">shared this clip</p>}
              {item.body && (
                <p class="kith-msg-body" dir="auto">
                  {item.body}
                </p>
              )}
              {item.productId && <ProductLine productId={item.productId} />}
              {item.editedAt && <span class="kith-muted kith-edited">edited</span>}
              <Reactions item={item} />
            </>
          )}
          {item.state !== 'sent' && (
            <p class="kith-msg-state">
              <span>{item.error ? `Not sent: ${item.error}` : STATE_TEXT[item.state]}</span>
              {item.state === 'failed' && item.clientId && (
                <>
                  <button
                    type="button"
                    class="kith-link"
                    onClick={() => thread.peek()?.retry(item.clientId)}
                  >
                    Retry
                  </button>
                  <button
                    type="button"
                    class="kith-link"
                    onClick={() => thread.peek()?.discard(item.clientId)}
                  >
                    Discard
                  </button>
                </>
              )}
            </p>
          )}
        </li>
      );
    }

    return function ChatTab() {
      const groups = overlay.groups.groups.value;
      const groupId = overlay.chatGroupId.value;
      const current = thread.value;
      const items = current?.items.value ?? [];
      const list = useRef<HTMLOListElement>(null);
      const lastCount = useRef(0);
      useEffect(() => {
        const el = list.current;
        if (!el) return;
        const nearBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
        if (items.length !== lastCount.current && (nearBottom || lastCount.current === 0))
          el.scrollTop = el.scrollHeight;
        lastCount.current = items.length;
      });
      if (groups.length === 0)
        return (
          <p class="kith-empty">
            Make a group from the Kith button in your browser's toolbar to chat about clips.
          </p>
        );
      return (
        <div class="kith-chat">
          <label class="kith-field kith-inline">
            <span class="kith-label">Group</span>
            <select
              value={groupId ?? ''}
              onChange={(e) => {
                overlay.chatGroupId.value = e.currentTarget.value || null;
              }}
            >
              {groups.map((g) => (
                <option key={g.id} value={g.id}>
                  {g.name}
                </option>
              ))}
            </select>
          </label>
          <ol
            class="kith-thread"
            ref={list}
            aria-live="polite"
            aria-label="Messages about this clip"
          >
            {current?.status.value === 'loading' && <li class="kith-empty">Loading…</li>}
            {current?.status.value === 'error' && (
              <li class="kith-notice is-error" role="alert">
                <span>{current.error.value}</span>
                <button type="button" class="kith-link" onClick={() => current.reload()}>
                  Retry
                </button>
              </li>
            )}
            {current?.status.value === 'ready' && items.length === 0 && (
              <li class="kith-empty">No one has said anything about this clip here yet.</li>
            )}
            {items.map((item) => (
              <Message key={item.key} item={item} />
            ))}
          </ol>
          <form
            class="kith-composer"
            onSubmit={(e) => {
              e.preventDefault();
              send();
            }}
          >
            <textarea
              rows={1}
              maxLength={4000}
              aria-label="Message"
              placeholder="Say something about this moment"
              value={draft.value}
              onInput={(e) => {
                draft.value = e.currentTarget.value;
              }}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
                  e.preventDefault();
                  send();
                }
              }}
            />
            <div class="kith-row">
              <button
                type="button"
                class="kith-chip"
                aria-pressed={withMoment.value}
                title="Attach the video's current moment"
                onClick={() => {
                  withMoment.value = !withMoment.peek();
                }}
              >
                at {formatMoment(overlay.time.value)}
              </button>
              <button type="submit" class="kith-primary" disabled={!current || !draft.value.trim()}>
                Send
              </button>
            </div>
          </form>
        </div>
      );
    };
  },
};
