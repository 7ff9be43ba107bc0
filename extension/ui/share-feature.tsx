import { computed, signal as createSignal, effect } from '@preact/signals';
import type { ApiOutputs } from './client';
import { formatMoment } from './moment';
import type { OverlayFeature } from './overlay-feature';
import type { Overlay } from './overlay-state';
import { joinUserNames, type UserLine, UserLineText } from './user-line';

/** How many people and groups the row of recent ones shows. */
export const RECENT_TARGETS = 5;

/**
 * Somewhere a clip can go: a group or direct thread (`g:<groupId>`), or a friend with no direct
 * thread yet (`u:<userId>`; sharing opens one).
 */
export interface ShareTarget {
  key: string;
  name: string;
  /** "3 members", "@handle". */
  detail: string;
  kind: 'group' | 'direct' | 'person';
  groupId: string | null;
  userId: string | null;
  /** Lower-case words the search box matches. */
  search: string;
}

type Friend = ApiOutputs['friends.list'][number];

/**
 * Every place a share can go, latest activity first (the group list's order), then friends
 * with no direct thread yet, by name. A friend with a direct thread is that thread.
 */
export function shareTargets(groups: Overlay['groups']['groups']['value'], friends: Friend[]) {
  const out: ShareTarget[] = groups.map((g) => ({
    key: `g:${g.id}`,
    name: g.name,
    detail:
      g.kind === 'direct'
        ? g.peer
          ? `@${g.peer.handle}`
          : ''
        : `${g.memberCount} ${g.memberCount === 1 ? 'member' : 'members'}`,
    kind: g.kind === 'direct' ? 'direct' : 'group',
    groupId: g.id,
    userId: g.peer?.id ?? null,
    search: `${g.name} ${g.peer?.handle ?? ''}`.toLowerCase(),
  }));
  const withThread = new Set(groups.filter((g) => g.kind === 'direct').map((g) => g.peer?.id));
  for (const f of friends) {
    if (withThread.has(f.id)) continue;
    out.push({
      key: `u:${f.id}`,
      name: f.displayName || f.handle,
      detail: `@${f.handle}`,
      kind: 'person',
      groupId: null,
      userId: f.id,
      search: `${f.displayName} ${f.handle}`.toLowerCase(),
    });
  }
  return out;
}

/** The recent row: the last ones shared to first, then the latest activity; at most `n`. */
export function recentTargets(all: ShareTarget[], lastUsed: string[], n = RECENT_TARGETS) {
  const byKey = new Map(all.map((t) => [t.key, t]));
  const first = lastUsed.map((k) => byKey.get(k)).filter((t): t is ShareTarget => !!t);
  const rest = all.filter((t) => t.kind !== 'person' && !lastUsed.includes(t.key));
  return [...first, ...rest].slice(0, n);
}

type ShareState =
  | { kind: 'idle' }
  | { kind: 'sending' }
  | { kind: 'done'; text: UserLine; groupId: string; queued: boolean }
  | { kind: 'error'; text: string };

/**
 * Share tab, a share sheet: a row of recent people and groups (the last ones shared to chosen
 * already), a search box for everyone else (groups, direct threads, friends); a note, optionally
 * "at 0:42". Sharing to a friend with no direct thread yet opens one.
 */
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
    const query = createSignal('');
    const friends = createSignal<Friend[]>([]);
    const lastUsed = createSignal<string[]>([]);
    const userId = () => overlay.session.session.peek()?.user?.id ?? null;
    const targets = computed(() => shareTargets(overlay.groups.groups.value, friends.value));

    // Friends and the last ones shared to are read when the Share tab is first shown (not on
    // every page: merely watching asks nothing), and again for another user.
    let loadedFor: string | null = null;
    const stopLoad = effect(() => {
      const me = overlay.session.session.value?.user?.id ?? null;
      if (!overlay.open.value || overlay.tab.value !== 'share' || !me || me === loadedFor) return;
      loadedFor = me;
      overlay.client.query('friends.list').then(
        (list) => {
          if (!signal.aborted && loadedFor === me) friends.value = list;
        },
        () => undefined,
      );
      overlay.client.lastShare(me).then(
        (keys) => {
          if (signal.aborted || loadedFor !== me) return;
          lastUsed.value = keys;
          if (selected.peek().size === 0 && state.peek().kind === 'idle') preselect();
        },
        () => undefined,
      );
    });
    signal.addEventListener('abort', stopLoad);

    /** The last ones shared to, chosen again for a new share. */
    const preselect = () => {
      const known = new Set(targets.peek().map((t) => t.key));
      selected.value = new Set(lastUsed.peek().filter((k) => known.has(k)));
    };

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
      preselect();
    });
    signal.addEventListener('abort', stop);

    const toggle = (key: string) => {
      const next = new Set(selected.peek());
      if (next.has(key)) next.delete(key);
      else next.add(key);
      selected.value = next;
      if (state.peek().kind !== 'sending') state.value = { kind: 'idle' };
    };

    const submit = async (event: Event) => {
      event.preventDefault();
      const link = overlay.shareTarget.peek();
      const clip = link ?? overlay.clip.current.peek()?.clip;
      const keys = [...selected.peek()];
      if (!clip || keys.length === 0 || state.peek().kind === 'sending') return;
      const trimmed = note.peek().trim();
      const chosen = keys
        .map((k) => targets.peek().find((t) => t.key === k))
        .filter((t): t is ShareTarget => !!t);
      state.value = { kind: 'sending' };
      try {
        // A friend with no direct thread yet: open one first (the server checks the friendship).
        const groupIds = await Promise.all(
          chosen.map(async (t) =>
            t.groupId
              ? t.groupId
              : (await overlay.client.mutate('groups.openDirect', { userId: t.userId })).id,
          ),
        );
        if (chosen.some((t) => !t.groupId)) overlay.groups.reload();
        const me = userId();
        if (me) {
          const used = groupIds.map((id) => `g:${id}`);
          lastUsed.value = used;
          overlay.client.rememberShare(me, used).catch(() => undefined);
        }
        const { queued } = await overlay.client.share({
          groupIds,
          clip,
          ...(trimmed ? { note: trimmed } : {}),
          ...(withMoment.peek() && !link ? { atSeconds: Math.floor(moment.peek()) } : {}),
        });
        if (signal.aborted) return;
        const names = joinUserNames(chosen.map((t) => t.name));
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

    function Target({ target }: { target: ShareTarget }) {
      const on = selected.value.has(target.key);
      return (
        <label class={`kith-group${on ? ' is-on' : ''}`}>
          <input
            type="checkbox"
            checked={on}
            onChange={() => toggle(target.key)}
            name="target"
            value={target.key}
          />
          <span class="kith-avatar" aria-hidden="true">
            {(target.name.trim()[0] ?? '?').toUpperCase()}
          </span>
          <span class="kith-group-name" dir="auto">
            {target.name}
          </span>
          {target.detail && <span class="kith-muted">{target.detail}</span>}
        </label>
      );
    }

    return function ShareTab() {
      const all = targets.value;
      const current = state.value;
      const chosen = selected.value;
      if (overlay.groups.status.value === 'loading' && all.length === 0)
        return <p class="kith-empty">Loading your groups…</p>;
      if (all.length === 0)
        return (
          <p class="kith-empty">
            You have no friends or groups on Kith yet. Add a friend from the Kith button in your
            browser's toolbar, then share clips to them here.
          </p>
        );
      const recent = recentTargets(all, lastUsed.value);
      const inRecent = new Set(recent.map((t) => t.key));
      const words = query.value.trim().toLowerCase();
      const rest = all.filter((t) => !inRecent.has(t.key) && (!words || t.search.includes(words)));
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
            <div class="kith-recent">
              {recent.map((t) => (
                <Target key={t.key} target={t} />
              ))}
            </div>
            {all.length > recent.length && (
              <>
                <label class="kith-field kith-search">
                  <span class="kith-label">Search people and groups</span>
                  <input
                    type="search"
                    value={query.value}
                    placeholder="Name or @handle"
                    onInput={(e) => {
                      query.value = e.currentTarget.value;
                    }}
                  />
                </label>
                <div class="kith-rest">
                  {rest.map((t) => (
                    <Target key={t.key} target={t} />
                  ))}
                  {rest.length === 0 && <p class="kith-muted">No one else matches.</p>}
                </div>
              </>
            )}
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
                  ? `Share to ${chosen.size}`
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
