import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { DEFAULT_SERVER_URL, normalizeServerUrl } from '../../../lib/hosts';

/** Set once the person has read and dismissed the notice. */
const SEEN_KEY = 'kith.privacyNoticeSeen';

/** The server's privacy page (`/privacy`, PRIVACY.md), for the address typed so far. */
export function privacyPageUrl(typedServer: string): string {
  let origin = DEFAULT_SERVER_URL;
  try {
    origin = normalizeServerUrl(typedServer);
  } catch {
    // Still being typed: the default server's notice says the same.
  }
  return `${origin}/privacy`;
}

/**
 * A first-run notice before sign-up: what Kith sends and to whom, with a link to the server's
 * privacy page. Dismissed for good with "Got it" (kept in extension storage).
 */
export function PrivacyNotice({ serverUrl }: { serverUrl: string }) {
  const seen = useSignal<boolean | null>(null);
  useEffect(() => {
    void browser.storage.local.get(SEEN_KEY).then(
      (stored) => {
        seen.value = stored[SEEN_KEY] === true;
      },
      () => {
        seen.value = false;
      },
    );
  }, []);
  if (seen.value !== false) return null;
  return (
    <section class="card privacy-notice" data-testid="privacy-notice" aria-label="Privacy">
      <p class="small">
        Kith sends your account details, the messages you write and the clips you watch and share to
        the Kith server you sign in to, and to no one else. You can download or delete your data at
        any time from Account.{' '}
        <a href={privacyPageUrl(serverUrl)} target="_blank" rel="noopener noreferrer">
          Read the privacy notice
        </a>
      </p>
      <button
        type="button"
        onClick={() => {
          seen.value = true;
          void browser.storage.local.set({ [SEEN_KEY]: true });
        }}
      >
        Got it
      </button>
    </section>
  );
}
