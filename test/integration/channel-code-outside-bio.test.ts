import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../server/deps';
import { type FakeProfiles, startFakeProfiles } from '../fakes/profiles';
import { openTestDatabase, type TestDatabase } from '../fixtures/db';
import { makeDeps, signUp } from '../fixtures/deps';

/**
 * A claim is verified only by its code in the channel's bio: the same code anywhere else on
 * the profile page (a comment, another account's bio, a meta tag, an echoed query) proves
 * nothing about who controls the channel.
 */
describe('channels.verify reads the bio, not the whole page', () => {
  let db: TestDatabase;
  let deps: Deps;
  let profiles: FakeProfiles;

  beforeAll(async () => {
    db = await openTestDatabase('pglite');
    deps = makeDeps(db.db);
    profiles = await startFakeProfiles();
    profiles.use(deps);
  });
  afterAll(async () => {
    await profiles.close();
    await db.close();
  });

  const page = (res: import('node:http').ServerResponse, html: string) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html);
  };

  it('refuses a TikTok code that is only in a comment, a meta tag or another user', async () => {
    const attacker = await signUp(deps, 'atk');
    const claim = await attacker.api.channels.claim({
      url: 'https://www.tiktok.com/@victimcreator',
    });
    const data = {
      __DEFAULT_SCOPE__: {
        'webapp.user-detail': {
          userInfo: { user: { uniqueId: 'victimcreator', signature: 'Just my videos' } },
        },
        comments: [{ user: { uniqueId: 'someoneelse', signature: claim.code }, text: claim.code }],
      },
    };
    profiles.route('tiktok', '/@victimcreator', (_req, res) =>
      page(
        res,
        `<html><head><meta name="description" content="${claim.code}"></head><body>
<!-- ${claim.code} --><div class="comment">${claim.code}</div>
<script id="__UNIVERSAL_DATA_FOR_REHYDRATION__" type="application/json">${JSON.stringify(data)}</script>
</body></html>`,
      ),
    );
    await expect(attacker.api.channels.verify({ claimId: claim.claimId })).rejects.toThrow(
      /not in the bio/,
    );
    const [mine] = await attacker.api.channels.mine();
    expect(mine?.state).toBe('pending');
  });

  it('verifies once the code is in the bio itself', async () => {
    const owner = await signUp(deps, 'own');
    const claim = await owner.api.channels.claim({ url: 'https://www.tiktok.com/@realowner' });
    profiles.setBio('tiktok', 'realowner', `Hi! ${claim.code}`);
    const verified = await owner.api.channels.verify({ claimId: claim.claimId });
    expect(verified.state).toBe('verified');
  });

  it('refuses a YouTube or Instagram code outside the bio', async () => {
    const attacker = await signUp(deps, 'atk');
    const yt = await attacker.api.channels.claim({ url: 'https://www.youtube.com/@victimtube' });
    profiles.route('youtube', '/@victimtube', (_req, res) =>
      page(
        res,
        `<html><body><div id="comments">${yt.code}</div><script>var ytInitialData = ${JSON.stringify(
          {
            metadata: {
              channelMetadataRenderer: {
                description: 'Cooking',
                vanityChannelUrl: 'http://www.youtube.com/@victimtube',
              },
            },
            posts: [{ text: yt.code }],
          },
        )};</script></body></html>`,
      ),
    );
    await expect(attacker.api.channels.verify({ claimId: yt.claimId })).rejects.toThrow(
      /not in the bio/,
    );
    const ig = await attacker.api.channels.claim({ url: 'https://www.instagram.com/victimgram/' });
    profiles.route('instagram', '/victimgram/', (_req, res) =>
      page(
        res,
        `<html><head><meta property="og:description" content="${ig.code}"></head><body><script type="application/json">${JSON.stringify(
          { user: { username: 'victimgram', biography: 'Photos' }, edges: [{ text: ig.code }] },
        )}</script></body></html>`,
      ),
    );
    await expect(attacker.api.channels.verify({ claimId: ig.claimId })).rejects.toThrow(
      /not in the bio/,
    );
  });
});
