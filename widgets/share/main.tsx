import { signal, useSignal } from '@preact/signals';
import { render } from 'preact';
import { api, clientId, errorText, token } from '../console/api';
import { type InviteOutcome, SignIn } from '../console/sign-in';
import { useLoad } from '../console/use-load';
import '../console/console.css';

/**
 * The server's own pages for people without the extension at hand:
 *   /share?url=…&title=…   share a page or clip to Kith groups (<kith-share-button>'s fallback)
 *   /invite/<code>         accept a friend's invite
 */
const root = document.getElementById('app')!;
const mode = root.dataset.mode;
const params = new URLSearchParams(location.search);

function Share() {
  const url = params.get('url') ?? '';
  const title = params.get('title') ?? '';
  const groups = useLoad(() => api.groups.list.query(), [token.value]);
  const chosen = useSignal<string[]>([]);
  const note = useSignal('');
  const error = useSignal('');
  const done = useSignal('');
  const busy = useSignal(false);

  async function share(event: Event) {
    event.preventDefault();
    busy.value = true;
    error.value = '';
    try {
      const result = await api.clips.share.mutate({
        groupIds: chosen.value,
        url,
        ...(title ? { title: title.slice(0, 300) } : {}),
        ...(note.value.trim() ? { note: note.value.trim() } : {}),
        clientId: clientId(),
      });
      done.value = `Shared to ${result.messages.length} ${result.messages.length === 1 ? 'group' : 'groups'}.`;
    } catch (e) {
      error.value = errorText(e);
    } finally {
      busy.value = false;
    }
  }

  const list = (groups.data ?? []) as { id: string; name: string; kind: string }[];
  return (
    <form class="card narrow" onSubmit={share} aria-labelledby="share-title">
      <h1 id="share-title">Share to Kith</h1>
      <p class="break">
        <strong>{title || url}</strong>
        {title && (
          <>
            <br />
            <span class="muted small">{url}</span>
          </>
        )}
      </p>
      {done.value ? (
        <p class="ok" role="status">
          {done.value} You can close this tab.
        </p>
      ) : (
        <>
          <fieldset class="choices">
            <legend>Groups</legend>
            {list.map((g) => (
              <label key={g.id} class="choice">
                <input
                  type="checkbox"
                  checked={chosen.value.includes(g.id)}
                  onChange={(e) => {
                    const on = (e.currentTarget as HTMLInputElement).checked;
                    chosen.value = on
                      ? [...chosen.value, g.id]
                      : chosen.value.filter((id) => id !== g.id);
                  }}
                />
                <bdi class="user-text">{g.name}</bdi>
              </label>
            ))}
            {list.length === 0 && !groups.loading && (
              <p class="muted">
                You are in no groups yet. Add friends and make a group in the Kith extension.
              </p>
            )}
          </fieldset>
          <label>
            Note <span class="muted">(optional)</span>
            <textarea
              rows={2}
              maxLength={1000}
              value={note.value}
              onInput={(e) => (note.value = (e.currentTarget as HTMLTextAreaElement).value)}
            />
          </label>
          {(error.value || groups.error) && (
            <p class="error" role="alert">
              {error.value || groups.error}
            </p>
          )}
          <button class="primary" type="submit" disabled={busy.value || chosen.value.length === 0}>
            Share
          </button>
        </>
      )}
    </form>
  );
}

/** What signing up through the invite did (kept across the switch to the signed-in view). */
const signUpOutcome = signal<InviteOutcome | null>(null);

const WHY_NOT: Record<'unknown' | 'expired' | 'used', string> = {
  unknown: 'the invite code does not exist',
  expired: 'the invite has expired',
  used: 'the invite had already been used',
};

/** The inviter's name is isolated (`<bdi>`), so a right-to-left override in it stays inside. */
function OutcomeText({ outcome }: { outcome: InviteOutcome }) {
  return outcome.accepted ? (
    <>
      Your account is ready, and you and <bdi class="user-text">{outcome.friend.displayName}</bdi>{' '}
      are friends now. Get the extension to chat beside your videos.
    </>
  ) : (
    <>
      Your account is ready, but you are not friends yet: {WHY_NOT[outcome.reason]}. Ask for a new
      link, or add them by handle in the extension.
    </>
  );
}

function Invite() {
  const code = root.dataset.code ?? '';
  const error = useSignal('');
  const done = useSignal('');
  const outcome = signUpOutcome.value;
  if (outcome) {
    return (
      <div class="card narrow">
        <p class={outcome.accepted ? 'ok' : 'error'} role="status" id="invite-outcome">
          <OutcomeText outcome={outcome} />
        </p>
      </div>
    );
  }
  async function accept() {
    error.value = '';
    try {
      await api.friends.acceptInvite.mutate({ code });
      done.value = 'You are friends now. Make a group together in the Kith extension.';
    } catch (e) {
      error.value = errorText(e);
    }
  }
  return (
    <div class="card narrow">
      <h1>You are invited to Kith</h1>
      <p>
        Invite code <code>{code}</code>. Accept it here, or paste it in the extension’s Friends tab.
      </p>
      {done.value ? (
        <p class="ok" role="status">
          {done.value}
        </p>
      ) : (
        <button type="button" class="primary" onClick={accept}>
          Accept invite
        </button>
      )}
      {error.value && (
        <p class="error" role="alert">
          {error.value}
        </p>
      )}
    </div>
  );
}

function Page() {
  const intro =
    mode === 'invite'
      ? 'Create your account to accept the invite, or sign in if you already have one.'
      : 'Sign in to share this with your groups.';
  return (
    <main class="center">
      {!token.value ? (
        mode === 'invite' ? (
          <SignIn
            intro={intro}
            inviteCode={root.dataset.code ?? ''}
            onInvite={(outcome) => {
              signUpOutcome.value = outcome;
            }}
          />
        ) : (
          <SignIn intro={intro} />
        )
      ) : mode === 'invite' ? (
        <Invite />
      ) : (
        <Share />
      )}
    </main>
  );
}

render(<Page />, root);
