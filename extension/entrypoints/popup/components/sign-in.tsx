import { useSignal } from '@preact/signals';
import { DEFAULT_SERVER_URL } from '../../../lib/hosts';
import type { PopupStore } from '../store';
import { PrivacyNotice } from './privacy-notice';

export function SignIn({ store }: { store: PopupStore }) {
  const register = useSignal(false);
  const handle = useSignal('');
  const password = useSignal('');
  const displayName = useSignal('');
  const inviteCode = useSignal('');
  const serverUrl = useSignal(store.session.value?.serverUrl ?? DEFAULT_SERVER_URL);
  const showServer = useSignal(serverUrl.value !== DEFAULT_SERVER_URL);
  const busy = store.busy.value === 'signIn';
  const error = store.signInError.value;

  const submit = async (event: Event) => {
    event.preventDefault();
    const ok = await store.signIn({
      handle: handle.value,
      password: password.value,
      register: register.value,
      displayName: displayName.value,
      serverUrl: serverUrl.value,
      inviteCode: inviteCode.value,
    });
    if (ok) password.value = '';
  };

  return (
    <>
      <PrivacyNotice serverUrl={serverUrl.value} />
      <form
        class="card sign-in"
        onSubmit={submit}
        aria-describedby={error ? 'sign-in-error' : undefined}
      >
        <div class="switch" role="tablist" aria-label="Account">
          <button
            type="button"
            role="tab"
            aria-selected={!register.value}
            class={!register.value ? 'active' : ''}
            onClick={() => {
              register.value = false;
            }}
          >
            Sign in
          </button>
          <button
            type="button"
            role="tab"
            aria-selected={register.value}
            class={register.value ? 'active' : ''}
            onClick={() => {
              register.value = true;
            }}
          >
            Create account
          </button>
        </div>
        <p class="muted">
          {register.value
            ? 'Pick a handle your friends will know you by.'
            : 'Watch short videos with your real-life friends.'}
        </p>
        <label>
          Handle
          <input
            name="handle"
            autocomplete="username"
            autocapitalize="off"
            spellcheck={false}
            required
            minLength={3}
            maxLength={24}
            pattern="[A-Za-z0-9_]{3,24}"
            title="3–24 letters, digits or _"
            value={handle.value}
            onInput={(e) => {
              handle.value = e.currentTarget.value;
            }}
          />
        </label>
        {register.value && (
          <label>
            Display name <span class="muted">(optional)</span>
            <input
              name="displayName"
              autocomplete="nickname"
              maxLength={60}
              value={displayName.value}
              onInput={(e) => {
                displayName.value = e.currentTarget.value;
              }}
            />
          </label>
        )}
        {register.value && (
          <label>
            Invite code or link <span class="muted">(optional)</span>
            <input
              name="inviteCode"
              autocapitalize="off"
              spellcheck={false}
              maxLength={300}
              value={inviteCode.value}
              onInput={(e) => {
                inviteCode.value = e.currentTarget.value;
              }}
            />
          </label>
        )}
        <label>
          Password
          <input
            name="password"
            type="password"
            autocomplete={register.value ? 'new-password' : 'current-password'}
            required
            minLength={register.value ? 8 : 1}
            value={password.value}
            onInput={(e) => {
              password.value = e.currentTarget.value;
            }}
          />
        </label>
        {showServer.value ? (
          <label>
            Server
            <input
              name="serverUrl"
              type="text"
              inputMode="url"
              autocapitalize="off"
              spellcheck={false}
              placeholder={DEFAULT_SERVER_URL}
              value={serverUrl.value}
              onInput={(e) => {
                serverUrl.value = e.currentTarget.value;
              }}
            />
          </label>
        ) : (
          <p class="muted small">
            Server: {serverUrl.value}{' '}
            <button
              type="button"
              class="link"
              onClick={() => {
                showServer.value = true;
              }}
            >
              Change
            </button>
          </p>
        )}
        {error && (
          <p class="error" id="sign-in-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'One moment…' : register.value ? 'Create account' : 'Sign in'}
        </button>
      </form>
    </>
  );
}
