import { signal as createSignal, effect } from '@preact/signals';
import { formatMoment } from './moment';
import type { OverlayFeature } from './overlay-feature';
import { joinUserNames, type UserLine, UserLineText } from './user-line';

type ShareState =
  | { kind: 'idle' }
  | { kind: 'sending' }
  | { kind: 'done'; text: UserLine; groupId: string; queued: boolean }
  | { kind: 'error'; text: string };

/** Share tab: pick groups, add a note, optionally "at 0:42", and send the clip to them. */
export const shareFeature: OverlayFeature = {
  id: 'share',
  label: 'Share',
  mount(overlay, signal) {
    const selected = createSignal<ReadonlySet<string>>(new Set());
    const note = createSignal('');
    const withMoment = createSignal(false);
    /** The moment is frozen when the toggle is switched on, not when Share is pressed. */
    const moment = createSignal(0);
    const state = createSignal<ShareState>({ kind: 'idle' });

    /** What Share sends: a link the page handed over, else the clip on screen. */
    const target = () => overlay.shareTarget.value ?? overlay.clip.current.value?.clip ?? null;

    // A new clip is a new share: drop the confirmation and the moment of the last one.
    let lastUrl: string | undefined;
    const stop = effect(() => {
      const url = target()?.url;
      if (url === lastUrl) return;
      lastUrl = url;
      state.value = { kind: 'idle' };
      withMoment.value = false;
    });
    signal.addEventListener('abort', stop);

    const toggle = (groupId: string) => {
      const next = new Set(selected.peek());
      if (next.has(groupId)) next.delete(groupId);
      else next.add(groupId);
      selected.value = next;
      if (state.peek().kind !== 'sending') state.value = { kind: 'idle' };
    };

    const submit = async (event: Event) => {
      event.preventDefault();
      const link = overlay.shareTarget.peek();
      const clip = link ?? overlay.clip.current.peek()?.clip;
      const groupIds = [...selected.peek()];
      if (!clip || groupIds.length === 0 || state.peek().kind === 'sending') return;
      const trimmed = note.peek().trim();
      state.value = { kind: 'sending' };
      try {
        const { queued } = await overlay.client.share({
          groupIds,
          clip,
          ...(trimmed ? { note: trimmed } : {}),
          ...(withMoment.peek() && !link ? { atSeconds: Math.floor(moment.peek()) } : {}),
        });
        if (signal.aborted) return;
        const names = joinUserNames(
          groupIds.map(
            (id) => overlay.groups.groups.peek().find((g) => g.id === id)?.name ?? 'a group',
          ),
        );
        state.value = {
          kind: 'done',
          queued,
          groupId: groupIds[0]!,
          text: queued
            ? ["You're offline. Kith will share this to ", ...names, " as soon as you're back."]
            : ['Shared to ', ...names, '.'],
        };
        selected.value = new Set();
        note.value = '';
        withMoment.value = false;
      } catch (error) {
        if (signal.aborted) return;
        state.value = {
          kind: 'error',
          text: `Could not share: ${error instanceof Error ? error.message : String(error)}`,
        };
      }
    };

    return function ShareTab() {
      const groups = overlay.groups.groups.value;
      const current = state.value;
      const chosen = selected.value;
      if (overlay.groups.status.value === 'loading' && groups.length === 0)
        return <p class="kith-empty">Loading your groups…</p>;
      if (groups.length === 0)
        return (
          <p class="kith-empty">
            You have no groups yet. Make one from the Kith button in your browser's toolbar, then
            share clips to it here.
          </p>
        );
      const link = overlay.shareTarget.value;
      const onScreen = overlay.clip.current.value?.clip;
      return (
        <form class="kith-share" onSubmit={submit}>
          {link && (
            <p class="kith-share-link">
              <span class="kith-label">From this page</span>
              <span class="kith-share-link-title" dir="auto">
                {link.title ?? link.url}
              </span>
              {onScreen && (
                <button
                  type="button"
                  class="kith-link"
                  onClick={() => {
                    overlay.shareTarget.value = null;
                  }}
                >
                  Share the video instead
                </button>
              )}
            </p>
          )}
          <fieldset class="kith-groups">
            <legend>Share to</legend>
            {groups.map((g) => (
              <label key={g.id} class={`kith-group${chosen.has(g.id) ? ' is-on' : ''}`}>
                <input
                  type="checkbox"
                  checked={chosen.has(g.id)}
                  onChange={() => toggle(g.id)}
                  name="group"
                  value={g.id}
                />
                <span class="kith-avatar" aria-hidden="true">
                  {(g.name.trim()[0] ?? '?').toUpperCase()}
                </span>
                <span class="kith-group-name" dir="auto">
                  {g.name}
                </span>
                {g.kind !== 'direct' && (
                  <span class="kith-muted">
                    {g.memberCount} {g.memberCount === 1 ? 'member' : 'members'}
                  </span>
                )}
              </label>
            ))}
          </fieldset>
          <label class="kith-field">
            <span class="kith-label">Note (optional)</span>
            <textarea
              rows={2}
              maxLength={1000}
              placeholder="Say why they'll love it"
              value={note.value}
              onInput={(e) => {
                note.value = e.currentTarget.value;
              }}
            />
          </label>
          <div class="kith-row">
            {!link && (
              <button
                type="button"
                class="kith-chip"
                aria-pressed={withMoment.value}
                onClick={() => {
                  if (!withMoment.peek()) moment.value = overlay.time.peek();
                  withMoment.value = !withMoment.peek();
                }}
              >
                at {formatMoment(withMoment.value ? moment.value : overlay.time.value)}
              </button>
            )}
            <button
              type="submit"
              class="kith-primary"
              disabled={chosen.size === 0 || current.kind === 'sending'}
            >
              {current.kind === 'sending'
                ? 'Sharing…'
                : chosen.size > 1
                  ? `Share to ${chosen.size} groups`
                  : 'Share'}
            </button>
          </div>
          {current.kind === 'done' && (
            <div class={`kith-notice${current.queued ? ' is-queued' : ' is-ok'}`} role="status">
              <span>
                <UserLineText line={current.text} />
              </span>
              <button
                type="button"
                class="kith-link"
                onClick={() => {
                  overlay.chatGroupId.value = current.groupId;
                  overlay.tab.value = 'chat';
                }}
              >
                Open chat
              </button>
            </div>
          )}
          {current.kind === 'error' && (
            <div class="kith-notice is-error" role="alert">
              {current.text}
            </div>
          )}
        </form>
      );
    };
  },
};
