import { useSignal } from '@preact/signals';
import { useEffect, useMemo, useRef } from 'preact/hooks';
import { ClipCard, Reactions, timeAgo } from '../../../ui/message-parts';
import { formatMoment } from '../../../ui/moment';
import { openThread, type Thread, type ThreadItem } from '../../../ui/thread-store';
import type { GroupDetail, PopupStore } from '../store';

const STATE_TEXT: Record<ThreadItem['state'], string> = {
  sent: '',
  sending: 'Sending…',
  queued: "Offline — sends when you're back",
  failed: 'Not sent',
};

function Message({
  store,
  thread,
  groupId,
  item,
}: {
  store: PopupStore;
  thread: Thread;
  groupId: string;
  item: ThreadItem;
}) {
  return (
    <li class={`msg${item.mine ? ' mine' : ''}${item.state !== 'sent' ? ` ${item.state}` : ''}`}>
      <div class="msg-meta">
        <span class="msg-name">
          <bdi>{item.mine ? 'You' : item.senderName}</bdi>
        </span>
        {item.atSeconds !== null && item.kind !== 'clip' && (
          <span class="msg-moment">at {formatMoment(item.atSeconds)}</span>
        )}
        <time class="muted small" dateTime={item.createdAt}>
          {timeAgo(item.createdAt)}
        </time>
      </div>
      {item.deleted ? (
        <p class="msg-body deleted">Message deleted</p>
      ) : (
        <>
          {item.kind === 'clip' && item.clip && (
            <ClipCard
              clip={item.clip}
              atSeconds={item.atSeconds}
              onOpen={() => store.openClip(item.clip!.url, groupId, item.atSeconds)}
            />
          )}
          {item.body && (
            <p class="msg-body" dir="auto">
              {item.body}
            </p>
          )}
          {item.productId && !item.body && <p class="muted small">shared a product</p>}
          {item.editedAt && <span class="muted small">edited</span>}
          <Reactions item={item} />
        </>
      )}
      {item.state !== 'sent' && (
        <p class="msg-state">
          <span>{item.error ? `Not sent: ${item.error}` : STATE_TEXT[item.state]}</span>
          {item.state === 'failed' && (
            <>
              <button type="button" class="link" onClick={() => thread.retry(item.clientId)}>
                Retry
              </button>
              <button type="button" class="link" onClick={() => thread.discard(item.clientId)}>
                Discard
              </button>
            </>
          )}
        </p>
      )}
    </li>
  );
}

/**
 * An inbox thread: its latest messages, live (new ones, edits, deletes, reactions), with
 * shared clips as cards, and a composer to reply. Runs on the overlay's thread store.
 */
export function Conversation({
  store,
  group,
  title,
}: {
  store: PopupStore;
  group: GroupDetail;
  /** What the thread is called (a direct thread: the other person). */
  title: string;
}) {
  const client = store.client;
  const draft = useSignal('');
  const thread = useMemo(() => {
    if (!client) return null;
    const control = new AbortController();
    return {
      control,
      thread: openThread(client, { groupId: group.id }, store.session, control.signal),
    };
  }, [client, group.id]);
  useEffect(() => () => thread?.control.abort(), [thread]);
  // The background does not notify about the thread on screen.
  useEffect(() => {
    if (!client) return;
    client.focus(group.id).catch(() => undefined);
    return () => void client.focus(null).catch(() => undefined);
  }, [client, group.id]);

  const items = thread?.thread.items.value ?? [];
  const status = thread?.thread.status.value;
  const newest = items.reduce((n, i) => Math.max(n, i.seq ?? 0), 0);
  const marked = useRef(group.lastReadSeq);
  useEffect(() => {
    if (newest > marked.current) {
      marked.current = newest;
      void store.markRead(group.id, newest);
    }
  }, [newest, group.id]);

  const list = useRef<HTMLOListElement>(null);
  useEffect(() => {
    const el = list.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [items.length]);

  if (!thread) return null;
  const send = () => {
    const text = draft.value.trim();
    if (!text) return;
    draft.value = '';
    void thread.thread.send(text, null);
  };
  return (
    <div class="card conversation">
      <ol class="thread" ref={list} aria-live="polite" aria-label={`Messages in ${title}`}>
        {status === 'loading' && <li class="muted">Loading…</li>}
        {status === 'error' && (
          <li class="error" role="alert">
            {thread.thread.error.value}{' '}
            <button type="button" class="link" onClick={() => thread.thread.reload()}>
              Retry
            </button>
          </li>
        )}
        {status === 'ready' && items.length === 0 && (
          <li class="muted">No messages yet. Say hello, or share a clip from any video.</li>
        )}
        {items.map((item) => (
          <Message
            key={item.key}
            store={store}
            thread={thread.thread}
            groupId={group.id}
            item={item}
          />
        ))}
      </ol>
      <form
        class="composer"
        onSubmit={(e) => {
          e.preventDefault();
          send();
        }}
      >
        <textarea
          rows={2}
          maxLength={4000}
          aria-label="Reply"
          placeholder={`Message ${title}`}
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
        <button type="submit" class="primary" disabled={!draft.value.trim()}>
          Send
        </button>
      </form>
    </div>
  );
}
