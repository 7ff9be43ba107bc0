import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { api, type Brand, clientId, errorText, type Thread } from './api';
import { useLoad } from './use-load';

const who = (t: Thread) => t.customer?.displayName || t.customer?.handle || 'A customer';

/** The brand DM inbox: buyers' questions, one thread per customer, answered here. */
export function InboxTab({ brand }: { brand: Brand }) {
  const threads = useLoad(() => api.brands.threads.query({ brandId: brand.id }), [brand.id]);
  const open = useSignal<string | null>(null);
  const list = threads.data ?? [];
  const current = list.find((t) => t.groupId === open.value) ?? null;
  return (
    <section aria-labelledby="inbox-title">
      <div class="row between">
        <h1 id="inbox-title">Inbox</h1>
        <button type="button" class="secondary" onClick={threads.reload}>
          Refresh
        </button>
      </div>
      {threads.error && <p class="error">{threads.error}</p>}
      {list.length === 0 && !threads.loading && (
        <p class="muted">No questions yet. Buyers ask from the Kith overlay beside your clips.</p>
      )}
      {list.length > 0 && (
        <div class="inbox">
          <ul class="threads">
            {list.map((t) => (
              <li key={t.groupId}>
                <button
                  type="button"
                  class={`thread ${t.groupId === open.value ? 'active' : ''}`}
                  aria-current={t.groupId === open.value ? 'true' : undefined}
                  onClick={() => (open.value = t.groupId)}
                >
                  <strong class="user-text" dir="auto">
                    {who(t)}
                  </strong>
                  {t.unread > 0 && <span class="badge warn">{t.unread} new</span>}
                  <span class="muted small preview user-text" dir="auto">
                    {t.lastMessage?.body ?? ''}
                  </span>
                </button>
              </li>
            ))}
          </ul>
          {current ? (
            <Conversation key={current.groupId} thread={current} onRead={threads.reload} />
          ) : (
            <p class="muted">Choose a conversation.</p>
          )}
        </div>
      )}
    </section>
  );
}

function Conversation({ thread, onRead }: { thread: Thread; onRead(): void }) {
  const messages = useLoad(
    () => api.messages.list.query({ groupId: thread.groupId, limit: 100 }),
    [thread.groupId],
  );
  const draft = useSignal('');
  const error = useSignal('');
  const list = messages.data?.messages ?? [];
  const last = list.at(-1)?.seq;

  // Marks read once per newest message.
  useEffect(() => {
    if (last && thread.unread > 0)
      api.messages.markRead.mutate({ groupId: thread.groupId, seq: last }).then(onRead, () => {});
  }, [last]);

  async function send(event: Event) {
    event.preventDefault();
    if (!draft.value.trim()) return;
    error.value = '';
    try {
      await api.messages.send.mutate({
        groupId: thread.groupId,
        clientId: clientId(),
        body: draft.value.trim(),
      });
      draft.value = '';
      messages.reload();
    } catch (e) {
      error.value = errorText(e);
    }
  }

  return (
    <section class="conversation" aria-label={`Conversation with ${who(thread)}`}>
      <ol class="messages">
        {list.map((m) => (
          <li key={m.id} class={m.sender?.id === thread.customer?.id ? 'them' : 'me'}>
            <span class="muted small user-text" dir="auto">
              {m.sender ? m.sender.displayName : 'Deleted user'}
            </span>
            <div class="user-text" dir="auto">
              {m.deletedAt
                ? 'Message deleted'
                : m.body || (m.productId ? 'Asked about a product' : '')}
            </div>
          </li>
        ))}
      </ol>
      <form class="row" onSubmit={send}>
        <label class="grow">
          <span class="sr">Reply</span>
          <input
            value={draft.value}
            maxLength={4000}
            placeholder="Reply…"
            onInput={(e) => (draft.value = (e.currentTarget as HTMLInputElement).value)}
          />
        </label>
        <button class="primary" type="submit">
          Send
        </button>
      </form>
      {error.value && <p class="error">{error.value}</p>}
    </section>
  );
}
