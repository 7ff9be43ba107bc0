import type { FunctionComponent } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { CloseButton } from './close-button';
import { trapFocus } from './keyboard';
import type { OverlayFeature } from './overlay-feature';
import type { FeatureId, Overlay } from './overlay-state';
import { placeButton, placePanel } from './placement';

export interface MountedFeature {
  id: FeatureId;
  label: string;
  View: FunctionComponent;
}

function useViewport() {
  const [size, setSize] = useState(() => ({ width: innerWidth, height: innerHeight }));
  useEffect(() => {
    const control = new AbortController();
    const update = () => setSize({ width: innerWidth, height: innerHeight });
    addEventListener('resize', update, { signal: control.signal });
    document.addEventListener('fullscreenchange', update, { signal: control.signal });
    return () => control.abort();
  }, []);
  return size;
}

function KithMark() {
  return (
    <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false">
      <path
        d="M4 5.5A2.5 2.5 0 0 1 6.5 3h11A2.5 2.5 0 0 1 20 5.5v8a2.5 2.5 0 0 1-2.5 2.5H10l-4.2 3.6c-.5.4-1.3.1-1.3-.6V16A2.5 2.5 0 0 1 4 13.5z"
        fill="currentColor"
      />
      <circle cx="9" cy="9.6" r="1.3" fill="var(--kith-accent-ink)" />
      <circle cx="15" cy="9.6" r="1.3" fill="var(--kith-accent-ink)" />
    </svg>
  );
}

function Panel({
  overlay,
  features,
  onClose,
}: {
  overlay: Overlay;
  features: MountedFeature[];
  onClose: () => void;
}) {
  const viewport = useViewport();
  const ref = useRef<HTMLElement>(null);
  const place = placePanel(overlay.box.value, viewport);
  const session = overlay.session.session.value;
  const clip = overlay.clip.current.value?.clip;
  const active = features.find((f) => f.id === overlay.tab.value) ?? features[0]!;

  useEffect(() => {
    const panel = ref.current;
    if (!panel) return;
    const control = new AbortController();
    trapFocus(panel, onClose, control.signal);
    // Focus moves into the panel when it opens, onto the selected tab.
    (
      panel.querySelector<HTMLElement>('[role="tab"][aria-selected="true"]') ??
      panel.querySelector<HTMLElement>('button, textarea')
    )?.focus();
    return () => control.abort();
  }, []);

  const onTabKey = (event: KeyboardEvent) => {
    const i = features.findIndex((f) => f.id === active.id);
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (!step) return;
    event.preventDefault();
    const next = features[(i + step + features.length) % features.length]!;
    overlay.tab.value = next.id;
    ref.current?.querySelector<HTMLElement>(`#kith-tab-${next.id}`)?.focus();
  };

  let body: preact.ComponentChildren;
  if (overlay.session.unreachable.value && !session)
    body = (
      <p class="kith-empty">
        Kith can't reach its background. If you just updated the extension, reload this page.
      </p>
    );
  else if (!session) body = <p class="kith-empty">Connecting…</p>;
  else if (!session.user)
    body = (
      <p class="kith-empty">
        Sign in to Kith from the Kith button in your browser's toolbar to share clips and chat with
        your friends.
      </p>
    );
  else {
    const View = active.View;
    body = (
      <>
        <div class="kith-tabs" role="tablist" aria-label="Kith" onKeyDown={onTabKey}>
          {features.map((f) => (
            <button
              key={f.id}
              type="button"
              role="tab"
              id={`kith-tab-${f.id}`}
              aria-selected={f.id === active.id}
              aria-controls="kith-tabpanel"
              tabIndex={f.id === active.id ? 0 : -1}
              onClick={() => {
                overlay.tab.value = f.id;
              }}
            >
              {f.label}
            </button>
          ))}
        </div>
        <div
          class="kith-tabpanel"
          id="kith-tabpanel"
          role="tabpanel"
          aria-labelledby={`kith-tab-${active.id}`}
        >
          <View />
        </div>
      </>
    );
  }

  return (
    <section
      ref={ref}
      class="kith-panel"
      role="dialog"
      aria-modal="true"
      aria-label="Kith"
      style={{
        top: `${place.top}px`,
        left: `${place.left}px`,
        width: `${place.width}px`,
        height: `${place.height}px`,
      }}
    >
      <header class="kith-header">
        <div class="kith-title">
          <span class="kith-brand">Kith</span>
          <span class="kith-clip-title">{clip?.title || 'This clip'}</span>
        </div>
        {session?.user && session.connection !== 'online' && (
          <span class="kith-badge is-offline" title="Messages you send now go out when you're back">
            {session.connection === 'connecting' ? 'Connecting' : 'Offline'}
          </span>
        )}
        <CloseButton label="Close Kith" size={18} onClick={onClose} />
      </header>
      {body}
    </section>
  );
}

function TryAgain({ overlay }: { overlay: Overlay }) {
  const [dismissed, setDismissed] = useState(false);
  const status = overlay.clip.status.value;
  if (dismissed) return null;
  const looking = status === 'searching';
  return (
    <div class="kith-missing" role="status">
      <span class="kith-mark-small">
        <KithMark />
      </span>
      <span>{looking ? 'Looking for a video…' : "Kith can't find a video on this page."}</span>
      {!looking && (
        <button type="button" class="kith-link" onClick={() => overlay.clip.retry()}>
          Try again
        </button>
      )}
      <CloseButton label="Dismiss" onClick={() => setDismissed(true)} />
    </div>
  );
}

/** The whole overlay: the button docked on the video, and the panel when it is open. */
export function OverlayApp({
  overlay,
  features,
  extras = [],
}: {
  overlay: Overlay;
  features: MountedFeature[];
  /** What shows over the video beside the button, open or not (the shop strip). */
  extras?: FunctionComponent[];
}) {
  const viewport = useViewport();
  const button = useRef<HTMLButtonElement>(null);
  const status = overlay.clip.status.value;
  const open = overlay.open.value;
  // Once nothing was found, the notice stays while a "try again" looks (it says so).
  const [missed, setMissed] = useState(false);
  useEffect(() => {
    if (status === 'missing') setMissed(true);
    else if (status === 'found' || status === 'idle') setMissed(false);
  }, [status]);
  const box = overlay.box.value;
  const theme = overlay.theme.value;
  const activity = overlay.activity.activity.value;
  const talked = activity?.groups.reduce((n, g) => n + g.messageCount, 0) ?? 0;
  // The count is what waits for me, as on the toolbar badge: others' unread messages only.
  const unread = activity?.groups.reduce((n, g) => n + (g.unread ?? 0), 0) ?? 0;
  const spot = box && status === 'found' ? placeButton(box, viewport) : null;

  const close = () => {
    overlay.open.value = false;
    button.current?.focus();
  };

  // No clip here and nothing handed over: nothing to show.
  if (status === 'idle' && !open) return null;
  return (
    <div class="kith-root" data-theme={theme ?? undefined}>
      {(status === 'missing' || (missed && status === 'searching')) && !open && (
        <TryAgain overlay={overlay} />
      )}
      {spot && (
        <button
          ref={button}
          type="button"
          class={`kith-dock${open ? ' is-open' : ''}`}
          style={{ top: `${spot.top}px`, left: `${spot.left}px` }}
          aria-label={
            unread > 0
              ? `Kith: ${unread} unread ${unread === 1 ? 'message' : 'messages'} about this clip`
              : talked > 0
                ? `Kith: ${talked} ${talked === 1 ? 'message' : 'messages'} from your groups about this clip`
                : 'Kith: share this clip or chat about it'
          }
          aria-expanded={open}
          aria-haspopup="dialog"
          onClick={() => {
            overlay.open.value = !overlay.open.peek();
          }}
        >
          <KithMark />
          {unread > 0 && <span class="kith-count">{unread > 99 ? '99+' : unread}</span>}
        </button>
      )}
      {extras.map((Extra, i) => (
        <Extra key={i} />
      ))}
      {open && <Panel overlay={overlay} features={features} onClose={close} />}
    </div>
  );
}

/** Mounts each feature for this overlay (their listeners stop with `signal`). */
export function mountFeatures(
  overlay: Overlay,
  list: OverlayFeature[],
  signal: AbortSignal,
): MountedFeature[] {
  return list.map((f) => ({ id: f.id, label: f.label, View: f.mount(overlay, signal) }));
}
