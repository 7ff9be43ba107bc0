import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchSitePage, PageFetchError } from '../../server/channels/fetch-page';
import { type FakeProfiles, startFakeProfiles } from '../fakes/profiles';
import { ownChannel } from '../fixtures/channels';
import { makeBrand, openShop, type Shop } from '../fixtures/commerce';
import { engines } from '../fixtures/db';
import { signUp } from '../fixtures/deps';

const count = async (shop: Shop, table: 'channel_claims' | 'clip_channels') =>
  Number(
    (
      await shop.database.db.execute<{ n: number }>(
        sql`select count(*)::int as n from ${sql.identifier(table)}`,
      )
    ).rows[0]?.n,
  );

describe.each(engines)('verified channels on %s', (engine) => {
  let shop: Shop;
  let profiles: FakeProfiles;

  beforeAll(async () => {
    shop = await openShop(engine);
    profiles = await startFakeProfiles();
    profiles.use(shop.deps);
  });
  afterAll(async () => {
    await shop?.close();
    await profiles?.close();
  });

  it('a creator claims their TikTok by profile link, puts the code in the bio and is verified', async () => {
    const ana = await signUp(shop.deps, 'ana');
    const claim = await ana.api.channels.claim({ url: 'https://www.tiktok.com/@Ana.Makes' });
    expect(claim).toMatchObject({ site: 'tiktok', handle: 'ana.makes', state: 'pending' });
    expect(claim.code).toMatch(/^kith-[a-z2-9]{10}$/);
    // Claiming again answers the same claim.
    expect((await ana.api.channels.claim({ url: 'tiktok.com/@ana.makes' })).claimId).toBe(
      claim.claimId,
    );

    // No code in the bio yet: still pending.
    profiles.setBio('tiktok', 'ana.makes', 'I make things');
    await expect(ana.api.channels.verify({ claimId: claim.claimId })).rejects.toMatchObject({
      code: 'PRECONDITION_FAILED',
      message: expect.stringContaining(claim.code),
    });
    expect((await ana.api.channels.mine()).map((c) => c.state)).toEqual(['pending']);

    profiles.setBio('tiktok', 'ana.makes', `I make things ${claim.code}`);
    const verified = await ana.api.channels.verify({ claimId: claim.claimId });
    expect(verified).toMatchObject({ claimId: claim.claimId, state: 'verified' });
    expect(await ana.api.channels.mine()).toEqual([
      expect.objectContaining({ claimId: claim.claimId, handle: 'ana.makes', state: 'verified' }),
    ]);
    // The claim is in Ana's data export, with its code.
    const exported = await ana.api.account.export();
    expect(exported.channels).toEqual([
      expect.objectContaining({
        site: 'tiktok',
        handle: 'ana.makes',
        code: claim.code,
        state: 'verified',
      }),
    ]);
  });

  it('claims a channel from a clip link: TikTok names it, a YouTube Short is read from its page', async () => {
    const ben = await signUp(shop.deps, 'ben');
    const fromTikTok = await ben.api.channels.claim({
      url: 'https://www.tiktok.com/@ben_bakes/video/7300000000000000042',
    });
    expect(fromTikTok).toMatchObject({ site: 'tiktok', handle: 'ben_bakes' });

    profiles.setClipOwner('youtube', '/shorts/bEnBaKeS123', 'BenBakesYT');
    const fromShort = await ben.api.channels.claim({
      url: 'https://youtube.com/shorts/bEnBaKeS123',
    });
    expect(fromShort).toMatchObject({ site: 'youtube', handle: 'benbakesyt' });

    profiles.setClipOwner('instagram', '/reel/BenReel1/', 'ben.grams');
    const fromReel = await ben.api.channels.claim({
      url: 'https://www.instagram.com/reel/BenReel1/',
    });
    expect(fromReel).toMatchObject({ site: 'instagram', handle: 'ben.grams' });
    const fromProfile = await ben.api.channels.claim({
      url: 'https://www.instagram.com/ben.grams/',
    });
    expect(fromProfile.claimId).toBe(fromReel.claimId);
  });

  it('refuses links that name no channel, and a brand the caller does not own, changing nothing', async () => {
    const cy = await signUp(shop.deps, 'cy');
    const rival = await signUp(shop.deps, 'rival');
    const rivalBrand = await makeBrand(shop, rival, { selling: false });
    const before = await count(shop, 'channel_claims');
    for (const url of [
      'https://example.com/@cy',
      'not a link at all',
      'https://www.instagram.com/explore/',
      'https://www.tiktok.com/@bad handle!',
      // A Short whose page cannot be read (nothing served for it).
      'https://www.youtube.com/shorts/zzzzzzzzzzz',
    ]) {
      await expect(cy.api.channels.claim({ url }), url).rejects.toMatchObject({
        code: 'BAD_REQUEST',
      });
    }
    await expect(
      cy.api.channels.claim({ url: 'https://www.tiktok.com/@cy', brandId: rivalBrand.id }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await count(shop, 'channel_claims')).toBe(before);
  });

  it('a channel has one verified owner; a newer claim replaces it only once the old code is gone', async () => {
    const old = await signUp(shop.deps, 'old');
    const next = await signUp(shop.deps, 'next');
    const first = await ownChannel(profiles, old, 'https://www.youtube.com/@SharedChan');
    expect(first.state).toBe('verified');

    const claim = await next.api.channels.claim({ url: 'https://www.youtube.com/@sharedchan' });
    // Both codes in the bio: the old owner has not let go.
    profiles.setBio('youtube', 'sharedchan', `${first.code} and ${claim.code}`);
    await expect(next.api.channels.verify({ claimId: claim.claimId })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    expect((await old.api.channels.mine())[0]?.state).toBe('verified');
    expect((await next.api.channels.mine())[0]?.state).toBe('pending');

    profiles.setBio('youtube', 'sharedchan', `new owner ${claim.code}`);
    expect((await next.api.channels.verify({ claimId: claim.claimId })).state).toBe('verified');
    expect((await old.api.channels.mine())[0]?.state).toBe('pending');
    const verified = await shop.database.db.execute<{ n: number }>(
      sql`select count(*)::int as n from channel_claims
          where site = 'youtube' and handle = 'sharedchan' and state = 'verified'`,
    );
    expect(Number(verified.rows[0]?.n)).toBe(1);
  });

  it('a stranger cannot verify or see someone else’s claim', async () => {
    const owner = await signUp(shop.deps, 'own');
    const stranger = await signUp(shop.deps, 'str');
    const claim = await owner.api.channels.claim({ url: 'https://www.tiktok.com/@owns_this' });
    profiles.setBio('tiktok', 'owns_this', claim.code);
    await expect(stranger.api.channels.verify({ claimId: claim.claimId })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(await stranger.api.channels.mine()).toEqual([]);
    expect((await owner.api.channels.mine())[0]?.state).toBe('pending');
  });

  it('a claim for a brand shows the brand', async () => {
    const maker = await signUp(shop.deps, 'maker');
    const brand = await makeBrand(shop, maker, { name: 'Maker Co', selling: false });
    const verified = await ownChannel(profiles, maker, 'https://www.tiktok.com/@makerco', brand.id);
    expect(verified).toMatchObject({ state: 'verified', brandId: brand.id, brandName: 'Maker Co' });
  });

  it('a profile page that redirects off the site is not read, and the claim stays pending', async () => {
    const dee = await signUp(shop.deps, 'dee');
    const claim = await dee.api.channels.claim({ url: 'https://www.tiktok.com/@dee_redirects' });
    profiles.route('tiktok', '/@dee_redirects', (_req, res) => {
      res.writeHead(302, { location: `http://localhost:1/tiktok/@dee_redirects?${claim.code}` });
      res.end();
    });
    await expect(dee.api.channels.verify({ claimId: claim.claimId })).rejects.toMatchObject({
      code: 'PRECONDITION_FAILED',
      message: expect.stringContaining('redirected off'),
    });
    expect((await dee.api.channels.mine())[0]?.state).toBe('pending');
  });
});

describe('the page fetcher', () => {
  let profiles: FakeProfiles;
  beforeAll(async () => {
    profiles = await startFakeProfiles();
  });
  afterAll(() => profiles?.close());

  it('follows a redirect within the site and reads the page', async () => {
    profiles.setBio('tiktok', 'target', 'hello there');
    profiles.route('tiktok', '/@moved', (_req, res) => {
      res.writeHead(301, { location: '/tiktok/@target' });
      res.end();
    });
    const page = await fetchSitePage('tiktok', '/@moved', { base: profiles.url });
    expect(page).toContain('hello there');
  });

  it('refuses a redirect to another host', async () => {
    profiles.route('youtube', '/@away', (_req, res) => {
      res.writeHead(302, { location: 'http://127.0.0.2:9/youtube/@away' });
      res.end();
    });
    await expect(fetchSitePage('youtube', '/@away', { base: profiles.url })).rejects.toThrow(
      /redirected off its own hosts/,
    );
  });

  it('gives up on a page that does not answer in time', async () => {
    profiles.route('instagram', '/slow/', () => {
      // Never answers.
    });
    const started = Date.now();
    const failure = fetchSitePage('instagram', '/slow/', { base: profiles.url, timeoutMs: 300 });
    await expect(failure).rejects.toThrow(PageFetchError);
    await expect(failure).rejects.toThrow(/within 300 ms/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('refuses a page larger than the limit, declared or streamed', async () => {
    profiles.route('tiktok', '/@huge', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      // Streamed in chunks with no length given: the reader must stop counting past the limit.
      const chunk = 'x'.repeat(16 * 1024);
      let sent = 0;
      const send = () => {
        while (sent < 64 && res.write(chunk)) sent++;
        if (sent < 64) res.once('drain', send);
        else res.end();
      };
      send();
    });
    await expect(
      fetchSitePage('tiktok', '/@huge', { base: profiles.url, maxBytes: 100 * 1024 }),
    ).rejects.toThrow(/larger than 102400 bytes/);
    profiles.route('tiktok', '/@declared', (_req, res) => {
      res.writeHead(200, { 'content-length': String(200 * 1024) });
      res.end('y'.repeat(200 * 1024));
    });
    await expect(
      fetchSitePage('tiktok', '/@declared', { base: profiles.url, maxBytes: 100 * 1024 }),
    ).rejects.toThrow(/larger than/);
    // Under the limit it reads whole.
    profiles.setBio('tiktok', 'small', 'tiny bio');
    await expect(
      fetchSitePage('tiktok', '/@small', { base: profiles.url, maxBytes: 100 * 1024 }),
    ).resolves.toContain('tiny bio');
  });

  it('without a base it asks the site itself, over https, on the site’s host', async () => {
    const { siteUrl } = await import('../../server/channels/fetch-page');
    expect(siteUrl('tiktok', '/@a').toString()).toBe('https://www.tiktok.com/@a');
    expect(siteUrl('instagram', '/a/').toString()).toBe('https://www.instagram.com/a/');
    expect(siteUrl('youtube', '/@a', 'http://127.0.0.1:5/').toString()).toBe(
      'http://127.0.0.1:5/youtube/@a',
    );
  });
});
