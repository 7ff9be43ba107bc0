import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../server/deps';
import { type FakeProfiles, startFakeProfiles } from '../fakes/profiles';
import { openTestDatabase, type TestDatabase } from '../fixtures/db';
import { makeDeps, signUp } from '../fixtures/deps';

/**
 * `channels.verify`, and claiming, tagging or asking about a clip whose channel is not known,
 * make the server read a video site's page. One user must not be able to make it read pages
 * without end (each verify is a fetch, each new clip link another).
 */
describe('pages read for one user are limited', () => {
  let db: TestDatabase;
  let deps: Deps;
  let profiles: FakeProfiles;

  beforeAll(async () => {
    db = await openTestDatabase('pglite');
    deps = makeDeps(db.db, { limits: { pageFetches: 3, pageFetchWindowSeconds: 600 } });
    profiles = await startFakeProfiles();
    profiles.use(deps);
  });
  afterAll(async () => {
    await profiles.close();
    await db.close();
  });

  it('refuses verify past the limit without reading the page, and counts per user', async () => {
    const eager = await signUp(deps, 'eager');
    const claim = await eager.api.channels.claim({ url: 'https://www.tiktok.com/@eagerone' });
    profiles.setBio('tiktok', 'eagerone', 'no code yet');
    for (let i = 0; i < 3; i++) {
      await expect(eager.api.channels.verify({ claimId: claim.claimId })).rejects.toMatchObject({
        code: 'PRECONDITION_FAILED',
      });
    }
    const before = profiles.requests.length;
    await expect(eager.api.channels.verify({ claimId: claim.claimId })).rejects.toMatchObject({
      code: 'TOO_MANY_REQUESTS',
    });
    // Claims of clips whose page would have to be read are counted too.
    await expect(
      eager.api.channels.claim({ url: 'https://www.youtube.com/shorts/aBcDeFgHiJk' }),
    ).rejects.toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    expect(profiles.requests.length).toBe(before);

    const other = await signUp(deps, 'other');
    const theirs = await other.api.channels.claim({ url: 'https://www.tiktok.com/@otherone' });
    profiles.setBio('tiktok', 'otherone', theirs.code);
    expect((await other.api.channels.verify({ claimId: theirs.claimId })).state).toBe('verified');
  });
});
