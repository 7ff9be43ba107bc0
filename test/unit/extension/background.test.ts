import { describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { notificationId } from '../../../extension/background/notifications';
import { scriptId } from '../../../extension/background/sites';
import type { SessionState, SyncEvent } from '../../../extension/lib/protocol';
import { befriend, callerFor, signUp, type TestUser } from '../../fixtures/deps';
import { newProfile, storeSession, until, useBackgrounds, useKith } from './harness';

const kith = useKith();
const background = useBackgrounds();

const PASSWORD = 'correct horse battery';
const badge = () => fakeBrowser.action.getBadgeText({});
const notifications = async () =>
  fakeBrowser.notifications.getAll() as Promise<Record<string, { title: string; message: string }>>;

describe('session', () => {
  it('creating an account keeps the session in extension storage, not the page', async () => {
    const bg = background(newProfile());
    const handle = `new_${Date.now().toString(36)}`.slice(0, 24);
    const state = await bg.service.handle('session.signIn', {
      handle,
      password: PASSWORD,
      register: true,
      displayName: 'Newcomer',
      serverUrl: `${kith.url}/`,
    });
    expect(state).toMatchObject({ serverUrl: kith.url, user: { handle, displayName: 'Newcomer' } });
    const stored = await fakeBrowser.storage.local.get(['kith.token', 'kith.serverUrl']);
    expect(stored['kith.token']).toEqual(expect.any(String));
    expect(stored['kith.serverUrl']).toBe(kith.url);
    // The token is never part of what the UI is told.
    expect(JSON.stringify(state)).not.toContain(String(stored['kith.token']));
    expect(bg.posts.filter((p) => p.type === 'session.changed')).toEqual([]);

    // A restarted worker is still signed in.
    const again = background(newProfile());
    expect((await again.service.handle('session.get', undefined)).user?.handle).toBe(handle);
  });

  it('a wrong password shows the server’s words', async () => {
    const ana = await signUp(kith.deps, 'ana');
    const bg = background(newProfile());
    await expect(
      bg.service.handle('session.signIn', {
        handle: ana.handle,
        password: 'not it at all',
        serverUrl: kith.url,
      }),
    ).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: 'Wrong handle or password.' });
    expect((await bg.service.handle('session.get', undefined)).user).toBeNull();
  });

  it('an unreachable server says which address it tried and what to do', async () => {
    const bg = background(newProfile());
    await expect(
      bg.service.handle('session.signIn', {
        handle: 'someone',
        password: PASSWORD,
        serverUrl: 'http://127.0.0.1:9',
      }),
    ).rejects.toMatchObject({
      code: 'OFFLINE',
      message: expect.stringMatching(
        /Cannot reach the Kith server at http:\/\/127\.0\.0\.1:9\. Check your connection/,
      ),
    });
  });

  it('signing out forgets the token, the cache and the badge', async () => {
    const { ben, group, ana } = await pairWithGroup();
    await ana.api.messages.send({ groupId: group.id, clientId: 'signout-test-01', body: 'hi' });
    await storeSession(ben, kith.url);
    const bg = background(newProfile());
    await bg.service.ready;
    await until('the badge', async () => (await badge()) === '1');
    bg.service.setPopupOpen(true);
    const state = await bg.service.handle('session.signOut', undefined);
    expect(state.user).toBeNull();
    expect(await badge()).toBe('');
    expect(await bg.service.cache.groups()).toEqual([]);
    expect((await fakeBrowser.storage.local.get(['kith.token']))['kith.token']).toBeUndefined();
    expect(bg.posts.at(-1)).toMatchObject({ type: 'session.changed', tabId: undefined });
    // The server ended the session too.
    const asBen = await callerFor(kith.deps, ben.token);
    await expect(asBen.auth.me()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('a session the server no longer accepts signs the extension out and says so', async () => {
    const cat = await signUp(kith.deps, 'cat');
    await storeSession(cat, kith.url);
    const bg = background(newProfile());
    await bg.service.ready;
    await bg.service.handle('view.presence', { visible: true }, { tabId: 5 });
    await cat.api.auth.logout();
    await expect(
      bg.service.handle('api.call', { path: 'friends.list', type: 'query' }, { tabId: 5 }),
    ).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: expect.stringMatching(/Sign in again/),
    });
    const state = await bg.service.handle('session.get', undefined);
    expect(state.user).toBeNull();
    const told = bg.posts.filter((p) => p.type === 'session.changed' && p.tabId === 5);
    expect(told.length).toBeGreaterThan(0);
    expect((told.at(-1)!.data as SessionState).user).toBeNull();
  });
});

describe('api.call', () => {
  it('runs queries and mutations with the user’s token', async () => {
    const { ana, ben } = await pairWithGroup();
    await storeSession(ana, kith.url);
    const bg = background(newProfile());
    const friends = (await bg.service.handle('api.call', {
      path: 'friends.list',
      type: 'query',
    })) as { id: string }[];
    expect(friends.map((f) => f.id)).toEqual([ben.id]);
    const invite = (await bg.service.handle('api.call', {
      path: 'friends.createInvite',
      type: 'mutation',
      input: {},
    })) as {
      code: string;
    };
    expect(invite.code).toMatch(/^[A-Z0-9]{6,20}$/);
  });

  it('passes on the server’s error message and code', async () => {
    const ana = await signUp(kith.deps, 'ana');
    await storeSession(ana, kith.url);
    const bg = background(newProfile());
    await expect(
      bg.service.handle('api.call', {
        path: 'friends.acceptInvite',
        type: 'mutation',
        input: { code: 'NOPE' },
      }),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('Invite codes are 6–20'),
    });
    await expect(
      bg.service.handle('api.call', {
        path: 'friends.acceptInvite',
        type: 'mutation',
        input: { code: 'ABCDEFGHJK' },
      }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/ask for a new one/),
    });
  });

  it('keeps the session and the stream to itself', async () => {
    const bg = background(newProfile());
    for (const path of ['auth.login', 'auth.register', 'sync.events', 'nonsense', '../x']) {
      await expect(
        bg.service.handle('api.call', { path, type: 'mutation', input: {} }),
      ).rejects.toMatchObject({
        code: 'BAD_REQUEST',
      });
    }
  });

  it('signed out, it says to sign in first (public procedures still work)', async () => {
    await fakeBrowser.storage.local.set({ 'kith.serverUrl': kith.url });
    const bg = background(newProfile());
    await expect(
      bg.service.handle('api.call', { path: 'groups.list', type: 'query' }),
    ).rejects.toMatchObject({
      code: 'NOT_SIGNED_IN',
      message: expect.stringMatching(/Sign in/),
    });
    const clip = await bg.service.handle('api.call', {
      path: 'clips.resolve',
      type: 'query',
      input: { url: 'https://youtube.com/shorts/aqz-KE-bpKQ?feature=share' },
    });
    expect(clip).toMatchObject({ site: 'youtube', clipId: 'aqz-KE-bpKQ' });
  });

  it('offline, the group list comes from the cache', async () => {
    const { ana } = await pairWithGroup();
    await storeSession(ana, kith.url);
    const bg = background(newProfile());
    const online = (await bg.service.handle('api.call', {
      path: 'groups.list',
      type: 'query',
    })) as unknown[];
    await kith.goOffline();
    try {
      const offline = await bg.service.handle('api.call', { path: 'groups.list', type: 'query' });
      expect(offline).toEqual(online);
      expect(bg.service.state().connection).toBe('offline');
      expect(bg.service.state().error).toMatch(/Cannot reach the Kith server/);
      await expect(
        bg.service.handle('api.call', { path: 'friends.list', type: 'query' }),
      ).rejects.toMatchObject({
        code: 'OFFLINE',
      });
    } finally {
      await kith.goOnline();
    }
  });
});

async function pairWithGroup() {
  const ana = await signUp(kith.deps, 'ana');
  const ben = await signUp(kith.deps, 'ben');
  await befriend(ana, ben);
  const group = await ana.api.groups.create({ name: 'Roommates', memberIds: [ben.id] });
  return { ana, ben, group };
}

/** Ben's background, live (a tab shows the overlay), with his groups loaded. */
async function liveBackground(user: TestUser, tabId = 9) {
  await storeSession(user, kith.url);
  const bg = background(newProfile());
  await bg.service.ready;
  await bg.service.handle('view.presence', { visible: true }, { tabId });
  await until('the stream to be live', () =>
    bg.posts.some((p) => (p.data as SyncEvent | undefined)?.type === 'ready'),
  );
  await bg.service.refreshGroups();
  return bg;
}

const sends = new Map<string, number>();
async function say(user: TestUser, groupId: string, body: string) {
  const n = (sends.get(user.id) ?? 0) + 1;
  sends.set(user.id, n);
  return user.api.messages.send({
    groupId,
    clientId: `say-${user.handle}-${n}`.slice(0, 60).padEnd(8, 'x'),
    body,
  });
}

describe('badge and notifications', () => {
  it('a friend’s message raises the badge and a notification naming the group', async () => {
    const { ana, ben, group } = await pairWithGroup();
    const bg = await liveBackground(ben);
    await say(ana, group.id, 'movie tonight?');
    await until('the badge', async () => (await badge()) === '1');
    const shown = await until(
      'a notification',
      async () => (await notifications())[notificationId(group.id)],
    );
    expect(shown).toMatchObject({
      title: 'Roommates',
      message: expect.stringContaining('movie tonight?'),
    });
    // The overlay tab got the event too.
    expect(
      bg.posts.some((p) => p.tabId === 9 && (p.data as SyncEvent).type === 'message.created'),
    ).toBe(true);
  });

  it('my own messages raise neither', async () => {
    const { ben, group } = await pairWithGroup();
    const bg = await liveBackground(ben);
    await bg.service.handle('outbox.send', { groupId: group.id, body: 'from me' });
    await until('my message to come back', () =>
      bg.posts.some((p) => (p.data as SyncEvent).type === 'message.created'),
    );
    await bg.service.settled();
    expect(await badge()).toBe('');
    expect(await notifications()).toEqual({});
  });

  it('no notification for the thread on screen; it clears when the thread is opened', async () => {
    const { ana, ben, group } = await pairWithGroup();
    const bg = await liveBackground(ben);
    await say(ana, group.id, 'first');
    await until('a notification', async () => (await notifications())[notificationId(group.id)]);
    await bg.service.handle('view.focus', { groupId: group.id }, { tabId: 9 });
    expect(await notifications()).toEqual({});
    await say(ana, group.id, 'second, while you look');
    await until('the badge', async () => (await badge()) === '2');
    await bg.service.settled();
    expect(await notifications()).toEqual({});
    // Reading it (the overlay marks it read) clears the badge.
    const last = await bg.service.cache.recentMessages(group.id);
    await bg.service.handle(
      'api.call',
      {
        path: 'messages.markRead',
        type: 'mutation',
        input: { groupId: group.id, seq: last.at(-1)!.seq },
      },
      { tabId: 9 },
    );
    expect(await badge()).toBe('');
  });

  it('a thread left open in a tab the user switched away from does not silence notifications', async () => {
    const { ana, ben, group } = await pairWithGroup();
    const bg = await liveBackground(ben);
    bg.service.tabActivated(9, 1);
    await bg.service.handle('view.focus', { groupId: group.id }, { tabId: 9 });
    bg.service.tabActivated(12, 1);
    await say(ana, group.id, 'are you there?');
    await until('a notification', async () => (await notifications())[notificationId(group.id)]);
    await bg.service.handle('outbox.send', { groupId: group.id, body: 'back' }); // not notified
    bg.service.tabActivated(9, 1);
    bg.service.windowFocused(-1); // the user went to another application
    await fakeBrowser.notifications.clear(notificationId(group.id));
    await say(ana, group.id, 'hello?');
    await until('a notification', async () => (await notifications())[notificationId(group.id)]);
  });

  it('a muted group neither notifies nor counts toward the badge', async () => {
    const { ana, ben, group } = await pairWithGroup();
    const bg = await liveBackground(ben);
    await bg.service.handle('api.call', {
      path: 'groups.mute',
      type: 'mutation',
      input: { groupId: group.id, muted: true },
    });
    await say(ana, group.id, 'psst');
    await until('the message', () =>
      bg.posts.some((p) => (p.data as SyncEvent).type === 'message.created'),
    );
    await bg.service.settled();
    expect(await notifications()).toEqual({});
    expect(await badge()).toBe('');
    expect((await bg.service.cache.group(group.id))?.unread).toBe(1);
  });

  it('a worker started fresh shows the unread count from the server', async () => {
    const { ana, ben, group } = await pairWithGroup();
    await say(ana, group.id, 'one');
    await say(ana, group.id, 'two');
    await storeSession(ben, kith.url);
    background(newProfile());
    await until('the badge', async () => (await badge()) === '2');
  });
});

describe('turning Kith on for a site', () => {
  it('without the permission, it says what to click', async () => {
    const bg = background(newProfile());
    await expect(
      bg.service.handle('site.enable', { origin: 'https://vimeo.com' }),
    ).rejects.toMatchObject({
      code: 'PERMISSION',
      message: expect.stringMatching(/vimeo\.com.*Allow/),
    });
    expect(bg.scripting.registered.size).toBe(0);
  });

  it('with it, the overlay is registered there, started in the tab, and kept across restarts', async () => {
    const profile = newProfile();
    const bg = background(profile);
    bg.permissions.granted.add('https://vimeo.com/*');
    expect(
      await bg.service.handle('site.enable', { origin: 'https://vimeo.com', tabId: 4 }),
    ).toEqual({ enabled: true });
    expect([...bg.scripting.registered.values()]).toEqual([
      {
        id: scriptId('https://vimeo.com'),
        matches: ['https://vimeo.com/*'],
        js: ['content-scripts/overlay.js'],
        runAt: 'document_idle',
      },
    ]);
    expect(bg.scripting.injected).toEqual([{ tabId: 4, files: ['content-scripts/overlay.js'] }]);
    expect(await bg.service.handle('site.list', undefined)).toEqual([
      { origin: 'https://vimeo.com', builtIn: false, enabled: true },
    ]);

    // A new browser session: registrations are gone, the stored site is registered again.
    const again = background(profile, { permissions: bg.permissions });
    await again.service.ready;
    expect([...again.scripting.registered.keys()]).toEqual([scriptId('https://vimeo.com')]);

    // The user revoked the permission in the browser's settings: the site is forgotten.
    again.permissions.granted.clear();
    const third = background(profile, { permissions: again.permissions });
    await third.service.ready;
    expect(third.scripting.registered.size).toBe(0);
    expect(await third.service.handle('site.list', undefined)).toEqual([]);
  });

  it('turning it off unregisters the overlay and gives the permission back', async () => {
    const bg = background(newProfile());
    bg.permissions.granted.add('https://vimeo.com/*');
    await bg.service.handle('site.enable', { origin: 'https://vimeo.com' });
    expect(await bg.service.handle('site.disable', { origin: 'https://vimeo.com' })).toEqual({
      enabled: false,
    });
    expect(bg.scripting.registered.size).toBe(0);
    expect(bg.permissions.granted.size).toBe(0);
    expect(await bg.service.handle('site.list', undefined)).toEqual([]);
  });

  it('supported sites are always on; browser pages cannot be', async () => {
    const bg = background(newProfile());
    expect(await bg.service.handle('site.enable', { origin: 'https://www.tiktok.com' })).toEqual({
      enabled: true,
    });
    expect(bg.scripting.registered.size).toBe(0);
    await expect(
      bg.service.handle('site.enable', { origin: 'chrome://settings' }),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
  });
});
