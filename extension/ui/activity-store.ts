import { signal as createSignal, effect, type ReadonlySignal } from '@preact/signals';
import type { RouterOutputs, SessionState } from '../lib/protocol';
import type { CurrentClip } from '../sites/types';
import type { KithClient } from './client';
import { isAboutClip, messageOf } from './thread-store';

export type ClipActivity = RouterOutputs['clips']['activity'];

export interface ActivityStore {
  /** Who talked about the clip on screen, in which of my groups; null until known. */
  activity: ReadonlySignal<ClipActivity | null>;
  reload(): void;
}

/**
 * `clips.activity` for the clip on screen: reloaded when the clip or the user changes, and when
 * a message about this clip arrives. Stops when `signal` aborts.
 */
export function watchActivity(
  client: KithClient,
  clip: ReadonlySignal<CurrentClip | null>,
  session: ReadonlySignal<SessionState | null>,
  signal: AbortSignal,
): ActivityStore {
  const activity = createSignal<ClipActivity | null>(null);
  let generation = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const reload = () => {
    const mine = ++generation;
    const target = clip.peek()?.clip;
    if (!target || !session.peek()?.user) {
      activity.value = null;
      return;
    }
    client.query('clips.activity', { url: target.url }).then(
      (result) => {
        if (mine === generation && !signal.aborted) activity.value = result;
      },
      () => {
        // Activity is a nicety: keep what we had rather than show an error for it.
      },
    );
  };

  let key = '';
  const stop = effect(() => {
    const next = `${clip.value?.clip.url ?? ''}|${session.value?.user?.id ?? ''}`;
    if (next === key) return;
    key = next;
    activity.value = null;
    reload();
  });
  signal.addEventListener('abort', () => {
    stop();
    clearTimeout(timer);
  });

  client.onSyncEvent((event) => {
    const m = messageOf(event);
    const target = clip.peek()?.clip;
    if (!m || !target || !isAboutClip(m.clip, target)) return;
    clearTimeout(timer);
    timer = setTimeout(reload, 250);
  }, signal);

  return { activity, reload };
}
