import type { PopupStore } from '../store';

const host = (origin: string) => new URL(origin).hostname;

export function SitePanel({ store }: { store: PopupStore }) {
  const state = store.siteState.value;
  const others = store.sites.value.filter((s) => s.origin !== store.tab.value?.origin);
  const busy = store.busy.value;
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
