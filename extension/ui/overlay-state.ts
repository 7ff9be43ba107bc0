import {
  computed,
  signal as createSignal,
  effect,
  type ReadonlySignal,
  type Signal,
} from '@preact/signals';
import type { ClipInfo, SiteAdapter } from '../sites/types';
import { type ActivityStore, watchActivity } from './activity-store';
import { type Box, watchAnchorBox } from './anchor-rect';
import type { KithClient } from './client';
import { type ClipTracker, type TrackOptions, trackClip } from './clip-tracker';
import type { DockTarget } from './dock-target';
import { type GroupsStore, watchGroups } from './groups-store';
import { type SessionStore, watchSession } from './session-store';
import { type Theme, watchSiteTheme } from './site-theme';

export type FeatureId = 'share' | 'chat' | 'friends';

/** Everything an overlay feature can read or drive, for the clip on screen. */
export interface Overlay {
  client: KithClient;
  doc: Document;
  clip: ClipTracker;
  session: SessionStore;
  groups: GroupsStore;
  activity: ActivityStore;
  /** Where the button docks for the current clip (the anchor, a wrapper, or the video). */
  dock: ReadonlySignal<DockTarget | null>;
  /** The box of `dock` in the viewport. */
  box: ReadonlySignal<Box | null>;
  theme: ReadonlySignal<Theme | null>;
  open: Signal<boolean>;
  tab: Signal<FeatureId>;
  /** The group the Chat tab shows. */
  chatGroupId: Signal<string | null>;
  /**
   * A link the page handed over to share (its `<kith-share-button>`), shared instead of the
   * clip on screen until it is shared or the panel closes.
   */
  shareTarget: Signal<ClipInfo | null>;
  /** The current video's playback position in seconds (updated while it plays). */
  time: ReadonlySignal<number>;
  /** Jumps the current video to a moment (clicking "0:42" in the chat). */
  seek(seconds: number): void;
}

export interface OverlayDeps {
  client: KithClient;
  adapterFor: (url: URL) => SiteAdapter | null | undefined;
  doc?: Document;
  track?: TrackOptions;
}

/** The overlay's shared state and stores; every listener stops when `signal` aborts. */
export function createOverlay(deps: OverlayDeps, signal: AbortSignal): Overlay {
  const doc = deps.doc ?? document;
  const clip = trackClip(deps.adapterFor, doc, signal, deps.track);
  const session = watchSession(deps.client, signal);
  const groups = watchGroups(deps.client, session.session, signal);
  const subject = computed(() => {
    const found = clip.current.value;
    return found ? { anchor: found.anchor, video: found.video } : null;
  });
  const dock = watchAnchorBox(subject, signal);
  const box = computed(() => dock.value?.box ?? null);
  const theme = watchSiteTheme(doc, clip.current, signal);
  const time = createSignal(0);
  const open = createSignal(false);
  // Viewing asks the local index; opening the overlay on a clip may ask the server.
  const activity = watchActivity(deps.client, clip.current, session.session, signal, open);
  const tab = createSignal<FeatureId>('share');
  const chatGroupId = createSignal<string | null>(null);
  const shareTarget = createSignal<ClipInfo | null>(null);
  // A handed-over link is for this opening of the panel only.
  const stopTarget = effect(() => {
    if (!open.value) shareTarget.value = null;
  });

  // Playback position of whichever video is current.
  let videoListeners: AbortController | null = null;
  const stopTime = effect(() => {
    const video = clip.current.value?.video ?? null;
    videoListeners?.abort();
    videoListeners = new AbortController();
    if (!video) {
      time.value = 0;
      return;
    }
    const update = () => {
      time.value = video.currentTime || 0;
    };
    for (const type of ['timeupdate', 'seeked', 'loadedmetadata'])
      video.addEventListener(type, update, { signal: videoListeners.signal });
    update();
  });

  // The Chat tab defaults to the group that last talked about this clip, else the first group.
  const stopDefaultGroup = effect(() => {
    const list = groups.groups.value;
    const talked = activity.activity.value?.groups[0]?.groupId;
    const chosen = chatGroupId.peek();
    if (chosen && list.some((g) => g.id === chosen)) return;
    chatGroupId.value =
      (talked && list.some((g) => g.id === talked) ? talked : list[0]?.id) ?? null;
  });

  // Opening on a clip with unread messages lands on Chat, in the group they are in (unless a
  // page handed over a link to share).
  let wasOpen = false;
  const stopLanding = effect(() => {
    const isOpen = open.value;
    if (isOpen && !wasOpen && !shareTarget.peek()) {
      const waiting = activity.activity.peek()?.groups.find((g) => (g.unread ?? 0) > 0);
      if (waiting && groups.groups.peek().some((g) => g.id === waiting.groupId)) {
        chatGroupId.value = waiting.groupId;
        tab.value = 'chat';
      }
    }
    wasOpen = isOpen;
  });

  signal.addEventListener('abort', () => {
    stopLanding();
    stopTime();
    stopDefaultGroup();
    stopTarget();
    videoListeners?.abort();
  });

  return {
    client: deps.client,
    doc,
    clip,
    session,
    groups,
    activity,
    dock,
    box,
    theme,
    open,
    tab,
    chatGroupId,
    shareTarget,
    time,
    seek(seconds) {
      const video = clip.current.peek()?.video;
      if (!video) return;
      video.currentTime = seconds;
      time.value = seconds;
      if (video.paused) void video.play()?.catch(() => {});
    },
  };
}
