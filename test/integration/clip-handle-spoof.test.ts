import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../server/deps';
import { type FakeProfiles, startFakeProfiles } from '../fakes/profiles';
import { ownChannel } from '../fixtures/channels';
import { openTestDatabase, type TestDatabase } from '../fixtures/db';
import { makeDeps, signUp } from '../fixtures/deps';

/**
 * TikTok serves a video at `/@anyone/video/<id>`: the handle in a link is whatever the person
 * pasting it typed. A brand (or creator) naming its own channel in a link to someone else's
 * video must not make that video its own.
 */
describe('a clip link naming the wrong TikTok channel', () => {
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

  it("does not show a brand's tag on another creator's clip", async () => {
    const brandOwner = await signUp(deps, 'brand');
    const brand = await brandOwner.api.brands.create({
      name: 'Spoofer',
      slug: `spoof-${process.pid}`,
    });
    const product = await brandOwner.api.products.create({
      brandId: brand.id,
      title: 'Bottle',
      priceCents: 1000,
      currency: 'USD',
      affiliateBps: 1000,
    });
    await ownChannel(profiles, brandOwner, 'https://www.tiktok.com/@spoofbrand', brand.id);
    // The video is the creator's; its page says so whatever handle the link carries.
    const id = '7312345678901234567';
    for (const handle of ['spoofbrand', 'realcreator', '_'])
      profiles.setClipOwner('tiktok', `/@${handle}/video/${id}`, 'realcreator');

    const tagged = await brandOwner.api.shop.tag({
      brandId: brand.id,
      url: `https://www.tiktok.com/@SpoofBrand/video/${id}`,
      productId: product.id,
    });
    expect(tagged.shown).toBe(false);
    const anon = await (await import('../fixtures/deps')).callerFor(deps);
    const seen = await anon.shop.forClip({
      url: `https://www.tiktok.com/@realcreator/video/${id}`,
    });
    expect(seen.products).toEqual([]);
  });

  it("does not let a creator tag another creator's clip as their own", async () => {
    const brandOwner = await signUp(deps, 'brand');
    const brand = await brandOwner.api.brands.create({ name: 'Aff', slug: `aff-${process.pid}` });
    const product = await brandOwner.api.products.create({
      brandId: brand.id,
      title: 'Cap',
      priceCents: 1500,
      currency: 'USD',
      affiliateBps: 1000,
    });
    const creator = await signUp(deps, 'creator');
    await ownChannel(profiles, creator, 'https://www.tiktok.com/@sneaky');
    const id = '7312345678901234999';
    for (const handle of ['sneaky', 'honest', '_'])
      profiles.setClipOwner('tiktok', `/@${handle}/video/${id}`, 'honest');
    await expect(
      creator.api.shop.tag({
        url: `https://www.tiktok.com/@sneaky/video/${id}`,
        productId: product.id,
      }),
    ).rejects.toThrow(/verified owner/);
  });
});
