import { createTRPCClient, httpLink } from '@trpc/client';
import type { AppRouter } from '../../server/router';
import { KithError } from '../lib/errors';
import { DEFAULT_SERVER_URL, normalizeServerUrl } from '../lib/hosts';
import type { InviteOutcome, SessionUser } from '../lib/protocol';
import { anonymousClient, describeError } from './socket';

/** The part of `browser.storage.local` the session uses (fakeBrowser's in tests). */
export interface KeyValueStorage {
  get(keys: string[]): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
  remove(keys: string[]): Promise<void>;
}

export interface StoredSession {
  serverUrl: string;
  /** The bearer token; never leaves the background. */
  token: string | null;
  user: SessionUser | null;
}

export interface SignInInput {
  handle: string;
  password: string;
  register?: boolean;
  displayName?: string;
  serverUrl?: string;
  /** Sign-up only: an invite code or link, which makes the new account friends with its maker. */
  inviteCode?: string;
}

const KEYS = { serverUrl: 'kith.serverUrl', token: 'kith.token', user: 'kith.user' } as const;

/**
 * Where device tokens live: one per server and handle (`"<server> <handle>"`), kept across
 * sign-outs, since they are what shows the server this browser signed in to the account before.
 */
const DEVICE_TOKENS = 'kith.deviceTokens';
/** Accounts whose device token one browser keeps; the oldest are forgotten past this. */
const MAX_DEVICE_TOKENS = 50;

function deviceKey(serverUrl: string, handle: string): string {
  return `${serverUrl} ${handle.trim().toLowerCase()}`;
}

function isUser(value: unknown): value is SessionUser {
  const u = value as Partial<SessionUser> | null;
  return (
    !!u &&
    typeof u.id === 'string' &&
    typeof u.handle === 'string' &&
    typeof u.displayName === 'string'
  );
}

/**
 * Who is signed in, on which server: kept in extension storage (`storage.local`), so a
 * restarted worker or browser is still signed in. Only the background reads the token.
 */
export class Session {
  private current: StoredSession = { serverUrl: DEFAULT_SERVER_URL, token: null, user: null };
  private readonly listeners = new Set<(session: StoredSession) => void>();

  constructor(private readonly deps: { storage: KeyValueStorage; fetch?: typeof fetch }) {}

  get value(): StoredSession {
    return this.current;
  }

  get signedIn(): boolean {
    return this.current.token !== null && this.current.user !== null;
  }

  onChange(listener: (session: StoredSession) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async load(): Promise<StoredSession> {
    const stored = await this.deps.storage.get(Object.values(KEYS));
    const serverUrl = stored[KEYS.serverUrl];
    const token = stored[KEYS.token];
    const user = stored[KEYS.user];
    this.current = {
      serverUrl: typeof serverUrl === 'string' && serverUrl ? serverUrl : DEFAULT_SERVER_URL,
      token: typeof token === 'string' && token && isUser(user) ? token : null,
      user: typeof token === 'string' && token && isUser(user) ? user : null,
    };
    return this.current;
  }

  /** Signs in (or, with `register`, creates the account) and remembers the token. */
  async signIn(input: SignInInput): Promise<StoredSession & { invite?: InviteOutcome }> {
    let serverUrl: string;
    try {
      serverUrl = normalizeServerUrl(input.serverUrl ?? this.current.serverUrl);
    } catch (error) {
      throw new KithError('BAD_REQUEST', (error as Error).message);
    }
    const handle = input.handle?.trim() ?? '';
    if (!handle || !input.password) {
      throw new KithError('BAD_REQUEST', 'Enter your handle and your password.');
    }
    const api = anonymousClient(serverUrl, this.deps.fetch);
    const deviceToken = input.register ? undefined : await this.deviceToken(serverUrl, handle);
    let answer: {
      token: string;
      deviceToken?: string;
      user: SessionUser;
      invite?: InviteOutcome;
    };
    try {
      answer = input.register
        ? await api.auth.register.mutate({
            handle,
            password: input.password,
            ...(input.displayName?.trim() ? { displayName: input.displayName.trim() } : {}),
            ...(input.inviteCode?.trim() ? { inviteCode: input.inviteCode.trim() } : {}),
          })
        : await api.auth.login.mutate({
            handle,
            password: input.password,
            ...(deviceToken ? { deviceToken } : {}),
          });
    } catch (error) {
      throw describeError(error, serverUrl);
    }
    const user: SessionUser = {
      id: answer.user.id,
      handle: answer.user.handle,
      displayName: answer.user.displayName,
    };
    if (answer.deviceToken) await this.keepDeviceToken(serverUrl, user.handle, answer.deviceToken);
    await this.save({ serverUrl, token: answer.token, user });
    return answer.invite ? { ...this.current, invite: answer.invite } : this.current;
  }

  /** The device token this browser holds for an account on a server, if any. */
  async deviceToken(serverUrl: string, handle: string): Promise<string | undefined> {
    const tokens = await this.deviceTokens();
    return tokens[deviceKey(serverUrl, handle)];
  }

  /**
   * Keeps the device token the server handed out (sign-in, sign-up, password change) for the
   * signed-in account, or for `serverUrl` and `handle` when given.
   */
  async keepDeviceToken(
    serverUrl = this.current.serverUrl,
    handle = this.current.user?.handle ?? '',
    token?: unknown,
  ): Promise<void> {
    if (typeof token !== 'string' || !token || token.length > 200 || !handle) return;
    const tokens = await this.deviceTokens();
    const key = deviceKey(serverUrl, handle);
    delete tokens[key];
    tokens[key] = token;
    const keys = Object.keys(tokens);
    for (const old of keys.slice(0, Math.max(0, keys.length - MAX_DEVICE_TOKENS)))
      delete tokens[old];
    await this.deps.storage.set({ [DEVICE_TOKENS]: tokens });
  }

  private async deviceTokens(): Promise<Record<string, string>> {
    const stored = (await this.deps.storage.get([DEVICE_TOKENS]))[DEVICE_TOKENS];
    const tokens: Record<string, string> = {};
    if (stored && typeof stored === 'object') {
      for (const [key, value] of Object.entries(stored)) {
        if (typeof value === 'string') tokens[key] = value;
      }
    }
    return tokens;
  }

  /** Ends the session on the server (best effort: offline still signs out here) and forgets it. */
  async signOut(): Promise<StoredSession> {
    const { token, serverUrl } = this.current;
    if (token) {
      const api = createTRPCClient<AppRouter>({
        links: [
          httpLink({
            url: `${serverUrl}/trpc`,
            headers: { authorization: `Bearer ${token}` },
            ...(this.deps.fetch ? { fetch: this.deps.fetch } : {}),
          }),
        ],
      });
      await api.auth.logout
        .mutate(undefined, { signal: AbortSignal.timeout(3000) })
        .catch(() => null);
    }
    await this.save({ serverUrl, token: null, user: null });
    return this.current;
  }

  /** The server no longer accepts our token (expired or signed out elsewhere). */
  async expire(): Promise<void> {
    if (!this.current.token) return;
    await this.save({ serverUrl: this.current.serverUrl, token: null, user: null });
  }

  /** Keeps the user's profile current (e.g. after they change their display name). */
  async setUser(user: SessionUser): Promise<void> {
    if (!this.current.token || this.current.user?.id !== user.id) return;
    await this.save({ ...this.current, user });
  }

  private async save(next: StoredSession) {
    this.current = next;
    if (next.token && next.user) {
      await this.deps.storage.set({
        [KEYS.serverUrl]: next.serverUrl,
        [KEYS.token]: next.token,
        [KEYS.user]: next.user,
      });
    } else {
      await this.deps.storage.set({ [KEYS.serverUrl]: next.serverUrl });
      await this.deps.storage.remove([KEYS.token, KEYS.user]);
    }
    for (const listener of [...this.listeners]) listener(next);
  }
}
