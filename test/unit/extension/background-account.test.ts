import { describe, expect, it } from 'vitest';
import { befriend, callerFor, signUp } from '../../fixtures/deps';
import { storeSession, until, useBackgrounds, useKith } from './harness';

const kith = useKith();
const background = useBackgrounds();

describe('account actions from the popup, through the background', () => {
  it('log out everywhere runs on the server (it is not one of the background’s own calls), then signing out here works', async () => {
    const ana = await signUp(kith.deps, 'bgall');
    const anon = await callerFor(kith.deps);
    const other = await anon.auth.login({ handle: ana.handle, password: 'correct horse battery' });
    await storeSession(ana, kith.url);
    const bg = background();
    await bg.service.ready;
    const result = await bg.service.handle('api.call', {
      path: 'auth.logoutAll',
      type: 'mutation',
    });
    expect(result).toEqual({ ok: true, sessionsEnded: 2 });
    for (const token of [ana.token, other.token])
      await expect((await callerFor(kith.deps, token)).auth.me()).rejects.toMatchObject({
        code: 'UNAUTHORIZED',
      });
    const state = await bg.service.handle('session.signOut', undefined);
    expect(state.user).toBeNull();
    // Plain logout stays the background's own.
    await expect(
      bg.service.handle('api.call', { path: 'auth.logout', type: 'mutation' }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('settings, export, requests and deletion go through to the server', async () => {
    const ana = await signUp(kith.deps, 'bgdel');
    const bo = await signUp(kith.deps, 'bgmid');
    const cy = await signUp(kith.deps, 'bgask');
    await befriend(ana, bo);
    await befriend(bo, cy);
    const request = await cy.api.groups.openDirect({ userId: ana.id });
    await storeSession(ana, kith.url);
    const bg = background();
    await bg.service.ready;
    const call = (path: string, type: 'query' | 'mutation', input?: unknown) =>
      bg.service.handle('api.call', { path, type, input });

    expect(await call('auth.update', 'mutation', { groupAdds: 'nobody' })).toMatchObject({
      settings: { groupAdds: 'nobody' },
    });
    expect(await call('groups.requests', 'query')).toEqual([
      expect.objectContaining({ groupId: request.id }),
    ]);
    await call('groups.declineRequest', 'mutation', { groupId: request.id });
    const data = (await call('account.export', 'query')) as { profile: { id: string } };
    expect(data.profile.id).toBe(ana.id);
    await expect(
      call('account.delete', 'mutation', { password: 'wrong password here' }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    // Still signed in after a refusal.
    expect((await bg.service.handle('session.get', undefined)).user?.id).toBe(ana.id);
    expect(
      await call('account.delete', 'mutation', { password: 'correct horse battery' }),
    ).toMatchObject({ ok: true });
    await until('the account is gone', async () => {
      const caller = await callerFor(kith.deps, ana.token);
      return caller.auth.me().then(
        () => false,
        () => true,
      );
    });
  });
});
