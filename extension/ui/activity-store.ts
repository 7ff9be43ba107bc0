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
 * Who in my groups talked about the clip on screen, reloaded when the clip or the user changes
 * and when a message about this clip arrives. Merely watching a clip tells the server nothing:
 * the answer comes from the background's local clip index (messages it already holds). Once
 * the user opens the overlay on the clip (`open`), the server is asked as well
 * (`clips.activity`), which also counts messages older than the local cache holds; from then on
 * reloads for that clip ask the server. Stops when `signal` aborts.
 */
export function watchActivity(
  client: KithClient,
  clip: ReadonlySignal<CurrentClip | null>,
  session: ReadonlySignal<SessionState | null>,
  signal: AbortSignal,
  open?: ReadonlySignal<boolean>,
): ActivityStore {
  const activity = createSignal<ClipActivity | null>(null);
  let generation = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** The user acted on the clip on screen: the server may be asked about it. */
  let acted = false;

  const reload = () => {
    const mine = ++generation;
    const target = clip.peek()?.clip;
    if (!target || !session.peek()?.user) {
      activity.value = null;
      return;
    }
    const keep = (result: ClipActivity) => {
      if (mine === generation && !signal.aborted) activity.value = result;
    };
    // Activity is a nicety: on failure keep what we had rather than show an error for it.
    const ignore = () => undefined;
    if (acted) client.query('clips.activity', { url: target.url }).then(keep, ignore);
    else client.localActivity(target).then(keep, ignore);
  };

  let key = '';
  const stop = effect(() => {
    const next = `${clip.value?.clip.url ?? ''}|${session.value?.user?.id ?? ''}`;
    const opened = open?.value ?? false;
    if (next === key) {
      if (opened && !acted) {
        acted = true;
        reload();
      }
      return;
    }
    key = next;
    acted = opened;
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
