import { signal as createSignal, type ReadonlySignal } from '@preact/signals';
import type { SessionState } from '../lib/protocol';
import type { KithClient } from './client';

export interface SessionStore {
  /** Null until the background has answered (or while it cannot be reached). */
  session: ReadonlySignal<SessionState | null>;
  /** The background did not answer: the extension was updated or reloaded under this page. */
  unreachable: ReadonlySignal<boolean>;
}

/** Follows who is signed in and whether the socket is up. Stops when `signal` aborts. */
export function watchSession(
  client: KithClient,
  signal: AbortSignal,
  retryMs = 2000,
): SessionStore {
  const session = createSignal<SessionState | null>(null);
  const unreachable = createSignal(false);
  let attempts = 0;
  const load = () => {
    if (signal.aborted) return;
    client.session().then(
      (state) => {
        if (signal.aborted) return;
        session.value = state;
        unreachable.value = false;
      },
      () => {
        if (signal.aborted) return;
        // A service worker that is starting up can miss the first message; say so only after
        // a few tries, and keep trying.
        attempts += 1;
        if (attempts >= 3) unreachable.value = true;
        setTimeout(load, retryMs);
      },
    );
  };
  client.onSessionChanged((state) => {
    session.value = state;
    unreachable.value = false;
  }, signal);
  load();
  return { session, unreachable };
}
