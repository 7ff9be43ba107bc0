import { useEffect } from 'preact/hooks';
import { cannotDock, dockStateText, type ElementFacts } from '../../../lib/dock-report';
import type { PopupStore } from '../store';

const host = (origin: string) => new URL(origin).hostname;

const size = (f: ElementFacts) =>
  `${f.element}, ${Math.round(f.width)}×${Math.round(f.height)} (${f.display}, ${f.position})`;

/** What the overlay found on this tab: the state, the fields an adapter reads, and the actions. */
function DockCard({ store }: { store: PopupStore }) {
  const report = store.dock.value;
  const busy = store.busy.value;
  if (report === undefined) return null;
  if (report === null) {
    return (
      <div class="card dock-report">
        <h2>What Kith found here</h2>
        <p class="muted">
          Kith has not reported from this tab yet. If the page was open before Kith was installed or
          turned on, reload it.
        </p>
      </div>
    );
  }
  const problem = cannotDock(report);
  const rows: [string, string][] = [
    ['Adapter', report.adapter ?? 'none'],
    ['Clip', report.clip ? `${report.clip.site} ${report.clip.clipId}` : 'not found'],
    ['Author', report.author ?? 'not found'],
    [
      'Video',
      report.video
        ? `${size(report.video)}, ${report.video.playing ? 'playing' : 'paused'}`
        : 'not found',
    ],
    ['Anchor', report.anchor ? size(report.anchor) : 'none'],
    [
      'Docked on',
      report.dock
        ? `${{ anchor: 'the anchor', ancestor: 'a wrapper of the video’s size', video: 'the video itself' }[report.dock.source]} (${report.dock.element})`
        : 'nothing',
    ],
  ];
  return (
    <div class={`card dock-report${problem ? ' is-problem' : ''}`}>
      <h2>What Kith found here</h2>
      <p class={problem ? 'error' : undefined} role={problem ? 'alert' : 'status'}>
        {dockStateText(report.state)}
      </p>
      <dl class="dock-facts">
        {rows.map(([name, value]) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      <div class="row-buttons">
        <button
          type="button"
          class={problem ? 'primary' : undefined}
          disabled={busy === 'dock'}
          onClick={() => store.retryDock()}
        >
          Try again
        </button>
        <button type="button" disabled={busy !== null} onClick={() => store.copyDockReport()}>
          Copy report
        </button>
      </div>
      {problem && (
        <p class="muted small">
          If the site changed its layout, copy the report into a bug report: it names the clip id,
          the author and the page's elements Kith looked at, nothing else from the page.
        </p>
      )}
    </div>
  );
}

export function SitePanel({ store }: { store: PopupStore }) {
  const state = store.siteState.value;
  const others = store.sites.value.filter((s) => s.origin !== store.tab.value?.origin);
  const busy = store.busy.value;
  useEffect(() => {
    void store.loadDock();
  }, []);
  return (
    <div class="stack">
      <div class="card">
        {state.kind === 'none' && (
          <p>
            Kith runs on web pages. Open a page with a video, then come back here to turn it on.
          </p>
        )}
        {state.kind === 'builtIn' && (
          <p>
            Kith is always on for <strong>{host(state.origin)}</strong>. Play a video and click the
            Kith button beside it to share or chat.
          </p>
        )}
        {state.kind === 'on' && (
          <>
            <p>
              Kith is on for <strong>{host(state.origin)}</strong>.
            </p>
            <button
              type="button"
              disabled={busy !== null}
              onClick={() => store.disableSite(state.origin)}
            >
              Turn off for this site
            </button>
          </>
        )}
        {state.kind === 'off' && (
          <>
            <p>
              Kith can chat beside any video on <strong>{host(state.origin)}</strong>. Your browser
              will ask to allow it on this site only.
            </p>
            <button
              type="button"
              class="primary"
              disabled={busy === 'site'}
              onClick={() => store.enableSite()}
            >
              Turn on Kith for this site
            </button>
          </>
        )}
      </div>
      {(state.kind === 'builtIn' || state.kind === 'on') && <DockCard store={store} />}
      {others.length > 0 && (
        <div class="card">
          <h2>Also on for</h2>
          <ul class="list">
            {others.map((s) => (
              <li key={s.origin} class="row">
                <span class="name">{host(s.origin)}</span>
                <button
                  type="button"
                  class="small"
                  disabled={busy !== null}
                  onClick={() => store.disableSite(s.origin)}
                >
                  Turn off
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
