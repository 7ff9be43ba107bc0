import { useSignal } from '@preact/signals';
import { api, deviceTokenFor, errorText, keepDeviceToken, type Outputs, setToken } from './api';
import { Alert } from './parts';

export type InviteOutcome = NonNullable<Outputs['auth']['register']['invite']>;

/**
 * Sign in or create an account; the console and the share page both start here. With
 * `inviteCode` (the invite page) it opens on sign-up, sends the code with it, and hands the
 * answer's `invite` to `onInvite` before the page moves on.
 */
export function SignIn({
  intro,
  inviteCode,
  onInvite,
}: {
  intro?: string;
  inviteCode?: string;
  onInvite?: (outcome: InviteOutcome) => void;
}) {
  const mode = useSignal<'login' | 'register'>(inviteCode ? 'register' : 'login');
  const error = useSignal('');
  const busy = useSignal(false);

  async function submit(event: Event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const handle = String(form.get('handle') ?? '');
    const password = String(form.get('password') ?? '');
    busy.value = true;
    error.value = '';
    try {
      const deviceToken = deviceTokenFor(handle);
      const result =
        mode.value === 'login'
          ? await api.auth.login.mutate({
              handle,
              password,
              ...(deviceToken ? { deviceToken } : {}),
            })
          : await api.auth.register.mutate({
              handle,
              password,
              displayName: String(form.get('displayName') ?? '') || undefined,
              ...(inviteCode ? { inviteCode } : {}),
            });
      const invite = (result as { invite?: InviteOutcome }).invite;
      if (invite) onInvite?.(invite);
      keepDeviceToken(result.user.handle, result.deviceToken);
      setToken(result.token);
    } catch (e) {
      error.value = errorText(e);
    } finally {
      busy.value = false;
    }
  }

  const registering = mode.value === 'register';
  return (
    <form class="card narrow" onSubmit={submit} aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">{registering ? 'Create your Kith account' : 'Sign in to Kith'}</h1>
      {intro && <p class="muted">{intro}</p>}
      <label>
        Handle
        <input name="handle" autoComplete="username" required minLength={3} maxLength={24} />
      </label>
      {registering && (
        <label>
          Display name <span class="muted">(optional)</span>
          <input name="displayName" autoComplete="name" maxLength={60} />
        </label>
      )}
      <label>
        Password
        <input
          name="password"
          type="password"
          autoComplete={registering ? 'new-password' : 'current-password'}
          required
          minLength={8}
        />
      </label>
      <Alert text={error.value} />
      <button class="primary" type="submit" disabled={busy.value}>
        {registering ? 'Create account' : 'Sign in'}
      </button>
      <p class="muted">
        {registering ? 'Already have an account?' : 'New to Kith?'}{' '}
        <button
          type="button"
          class="link"
          onClick={() => {
            mode.value = registering ? 'login' : 'register';
            error.value = '';
          }}
        >
          {registering ? 'Sign in' : 'Create an account'}
        </button>
      </p>
    </form>
  );
}
