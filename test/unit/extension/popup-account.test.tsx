// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import type { PopupDeps } from '../../../extension/entrypoints/popup/store';
import { KithError } from '../../../extension/lib/errors';
import {
  button,
  HOSTILE,
  fakeDeps as harnessDeps,
  mount,
  popupRoot,
  type Routes,
  settle,
  type,
} from './popup-harness';

/** These tests run with no current tab (nothing to turn on). */
const fakeDeps: typeof harnessDeps = (routes, over = {}) =>
  harnessDeps(routes, { currentTab: async () => null, ...over });

function meWith(settings: { readReceipts: boolean; groupAdds: 'friends' | 'nobody' }) {
  return {
    id: 'u-me',
    handle: 'me',
    displayName: 'Me',
    sendReceipts: settings.readReceipts,
    groupAdds: settings.groupAdds,
    settings,
  };
}

const baseRoutes: Routes = {
  'groups.list': () => [],
  'friends.list': () => [],
  'groups.requests': () => [],
  'auth.me': () => meWith({ readReceipts: true, groupAdds: 'friends' }),
};

async function openAccount(deps: PopupDeps) {
  await mount(deps);
  button('Account').click();
  await settle();
}

describe('popup account and privacy', () => {
  it('shows my privacy settings and changes them', async () => {
    const { deps, calls } = fakeDeps({
      ...baseRoutes,
      'auth.update': (input) => {
        const change = input as { readReceipts?: boolean; groupAdds?: 'friends' | 'nobody' };
        return meWith({
          readReceipts: change.readReceipts ?? true,
          groupAdds: change.groupAdds ?? 'friends',
        });
      },
    });
    await openAccount(deps);
    const receipts = popupRoot().querySelector<HTMLInputElement>('input[name=readReceipts]')!;
    expect(receipts.checked).toBe(true);
    const radios = [...popupRoot().querySelectorAll<HTMLInputElement>('input[name=groupAdds]')];
    expect(radios.map((r) => [r.value, r.checked])).toEqual([
      ['friends', true],
      ['nobody', false],
    ]);

    receipts.click();
    await settle();
    expect(calls.filter((c) => c.path === 'auth.update').map((c) => c.input)).toEqual([
      { readReceipts: false },
    ]);
    expect(popupRoot().querySelector<HTMLInputElement>('input[name=readReceipts]')!.checked).toBe(
      false,
    );
    expect(popupRoot().querySelector('[role=status]')?.textContent).toContain(
      'Read receipts are off',
    );

    radios[1]!.click();
    await settle();
    expect(calls.filter((c) => c.path === 'auth.update').at(-1)?.input).toEqual({
      groupAdds: 'nobody',
    });
    expect(popupRoot().querySelector('[role=status]')?.textContent).toContain(
      'Nobody can add you to groups',
    );
  });

  it('downloads my data as a JSON file', async () => {
    const data = {
      format: 1,
      exportedAt: '2026-11-25T12:00:00.000Z',
      profile: {
        id: 'u-me',
        handle: 'me',
        displayName: 'Me',
        createdAt: '2026-11-01T00:00:00.000Z',
      },
      messages: [{ body: HOSTILE }],
    };
    const { deps, download } = fakeDeps({ ...baseRoutes, 'account.export': () => data });
    await openAccount(deps);
    button('Download my data').click();
    await settle();
    expect(download).toHaveBeenCalledTimes(1);
    const [filename, text, mime] = download.mock.calls[0]!;
    expect(filename).toBe('kith-data-me-2026-11-25.json');
    expect(mime).toBe('application/json');
    expect(JSON.parse(text as string)).toEqual(data);
    expect(popupRoot().querySelector('[role=status]')?.textContent).toContain('downloading');
  });

  it('logs out everywhere only after a confirmation, then shows the sign-in form', async () => {
    const { deps, calls, signOut } = fakeDeps({
      ...baseRoutes,
      'auth.logoutAll': () => ({ ok: true, sessionsEnded: 3 }),
    });
    await openAccount(deps);
    button('Log out everywhere').click();
    await settle();
    expect(calls.some((c) => c.path === 'auth.logoutAll')).toBe(false);
    button('No').click();
    await settle();
    button('Log out everywhere').click();
    await settle();
    button('Yes, log out everywhere').click();
    await settle();
    expect(calls.filter((c) => c.path === 'auth.logoutAll')).toHaveLength(1);
    expect(signOut).toHaveBeenCalledTimes(1);
    expect(popupRoot().querySelector('form.sign-in')).not.toBeNull();
    expect(popupRoot().querySelector('[role=status]')?.textContent).toContain(
      'signed out on every device',
    );
  });

  it('deletes the account only with the password, after a warning, and says why when refused', async () => {
    let attempts = 0;
    const { deps, calls, signOut } = fakeDeps({
      ...baseRoutes,
      'account.delete': (input) => {
        attempts += 1;
        if ((input as { password: string }).password !== 'right password')
          throw new KithError(
            'FORBIDDEN',
            'That is not your password, so your account was not deleted. Type your current password to confirm.',
          );
        return { ok: true, groupsLeft: 2, groupsArchived: 0 };
      },
    });
    await openAccount(deps);
    expect(popupRoot().querySelector('input[name=deletePassword]')).toBeNull();
    button('Delete account…').click();
    await settle();
    expect(popupRoot().querySelector('.warning')?.textContent).toMatch(
      /cannot be undone.*Deleted user/s,
    );
    const form = popupRoot().querySelector<HTMLFormElement>('form.delete-account')!;
    const password = form.querySelector<HTMLInputElement>('input[name=deletePassword]')!;
    expect(password.type).toBe('password');

    form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await settle();
    expect(attempts).toBe(0);
    expect(popupRoot().querySelector('[role=alert]')?.textContent).toContain('Type your password');

    type(password, 'wrong password');
    form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await settle();
    expect(popupRoot().querySelector('[role=alert]')?.textContent).toContain(
      'account was not deleted',
    );
    expect(signOut).not.toHaveBeenCalled();
    expect(popupRoot().querySelector('form.sign-in')).toBeNull();

    type(
      popupRoot().querySelector<HTMLInputElement>('input[name=deletePassword]')!,
      'right password',
    );
    popupRoot()
      .querySelector<HTMLFormElement>('form.delete-account')!
      .dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await settle();
    expect(calls.filter((c) => c.path === 'account.delete').map((c) => c.input)).toEqual([
      { password: 'wrong password' },
      { password: 'right password' },
    ]);
    expect(signOut).toHaveBeenCalledTimes(1);
    expect(popupRoot().querySelector('form.sign-in')).not.toBeNull();
    expect(popupRoot().querySelector('[role=status]')?.textContent).toContain('account is deleted');
  });
});

describe('popup message requests', () => {
  const request = (over: Record<string, unknown> = {}) => ({
    groupId: 'g-req',
    from: { id: 'u-ana', handle: 'ana', displayName: HOSTILE },
    mutualFriends: 2,
    messageCount: 1,
    firstMessage: { kind: 'text', body: 'Hi, we met at Bo’s', clip: null, createdAt: '' },
    createdAt: '2026-11-25T10:00:00.000Z',
    ...over,
  });

  it('lists requests above the groups, names as text, with accept and decline', async () => {
    let pending = [
      request(),
      request({ groupId: 'g-2', from: { id: 'u-2', handle: 'bo', displayName: 'Bo' } }),
    ];
    let groups: unknown[] = [];
    const { deps, calls } = fakeDeps({
      ...baseRoutes,
      'groups.requests': () => pending,
      'groups.list': () => groups,
      'groups.acceptRequest': (input) => {
        pending = pending.filter((r) => r.groupId !== (input as { groupId: string }).groupId);
        groups = [
          { id: 'g-req', name: 'ana', kind: 'direct', muted: false, unread: 1, lastMessage: null },
        ];
        return { id: 'g-req' };
      },
      'groups.declineRequest': (input) => {
        pending = pending.filter((r) => r.groupId !== (input as { groupId: string }).groupId);
        return { ok: true, groupId: (input as { groupId: string }).groupId };
      },
    });
    await mount(deps);
    const rows = [...popupRoot().querySelectorAll('li.request')];
    expect(rows).toHaveLength(2);
    expect(rows[0]?.textContent).toContain(HOSTILE);
    expect(rows[0]?.textContent).toContain('2 friends in common');
    expect(rows[0]?.textContent).toContain('Hi, we met at Bo’s');
    expect(popupRoot().querySelector('img[src=x]')).toBeNull();

    button(/^Accept$/).click();
    await settle();
    expect(calls.find((c) => c.path === 'groups.acceptRequest')?.input).toEqual({
      groupId: 'g-req',
    });
    expect(popupRoot().querySelectorAll('li.request')).toHaveLength(1);
    expect(popupRoot().querySelectorAll('button.row.group')).toHaveLength(1);
    expect(popupRoot().querySelector('[role=status]')?.textContent).toContain(
      'You can now message',
    );

    button('Decline').click();
    await settle();
    expect(calls.find((c) => c.path === 'groups.declineRequest')?.input).toEqual({
      groupId: 'g-2',
    });
    expect(popupRoot().querySelector('.requests')).toBeNull();
    expect(popupRoot().querySelector('[role=status]')?.textContent).toContain('Declined');
  });

  it('shows nothing when no request waits', async () => {
    const { deps } = fakeDeps(baseRoutes);
    await mount(deps);
    expect(popupRoot().querySelector('.requests')).toBeNull();
  });
});

describe('a sender who deleted their account', () => {
  it('is shown as "Deleted user" in threads and notifications', async () => {
    const { senderName } = await import('../../../extension/ui/names');
    const { describeMessage } = await import('../../../extension/background/notifications');
    expect(senderName(null)).toBe('Deleted user');
    expect(senderName({ handle: 'ana', displayName: 'Ana' })).toBe('Ana');
    expect(senderName({ handle: 'ana', displayName: '' })).toBe('ana');
    const note = describeMessage(
      {
        id: 'm1',
        groupId: 'g1',
        seq: 1,
        clientId: 'c1',
        kind: 'text',
        sender: null,
        body: 'still here',
        clip: null,
        atSeconds: null,
        productId: null,
        replyTo: null,
        createdAt: '2026-11-25T10:00:00.000Z',
        editedAt: null,
        deletedAt: null,
        reactions: [],
      },
      { name: 'Club', kind: 'group', unread: 1 },
    );
    expect(JSON.stringify(note)).toContain('Deleted user');
  });
});
