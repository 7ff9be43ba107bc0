import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../server/trpc';
import { engines, openTestDatabase, type TestDatabase } from '../fixtures/db';
import { befriend, makeDeps, signUp, type TestUser } from '../fixtures/deps';
import { wireCall } from '../fixtures/wire';

const cid = () => `c_${randomUUID().replace(/-/g, '')}`;
const CLIP = 'https://www.youtube.com/shorts/pOiSoNeD123';

describe.each(engines)('what a group sees of a clip on %s', (engine) => {
  let database: TestDatabase;
  let deps: Deps;
  beforeAll(async () => {
    database = await openTestDatabase(engine);
    deps = makeDeps(database.db);
  });
  afterAll(() => database?.close());

  async function pair(prefix: string): Promise<[TestUser, TestUser, string]> {
    const a = await signUp(deps, `${prefix}a`);
    const b = await signUp(deps, `${prefix}b`);
    await befriend(a, b);
    const group = await a.api.groups.create({ name: prefix, memberIds: [b.id] });
    return [a, b, group.id];
  }

  it("a stranger's earlier share never sets the title or thumbnail my group sees", async () => {
    const [evil, , evilGroup] = await pair('evil');
    const url = `https://www.youtube.com/shorts/${randomUUID().slice(0, 11).replace(/-/g, 'x')}`;
    await evil.api.clips.share({
      groupIds: [evilGroup],
      url,
      title: 'FREE GIFT CARD at evil.example',
      thumbnailUrl: 'https://i.ytimg.com/vi/evil/hqdefault.jpg',
    });
    await evil.api.messages.send({
      groupId: evilGroup,
      clientId: cid(),
      body: 'also this',
      clip: { url, title: 'FREE GIFT CARD at evil.example' },
    });

    const [me, friend, myGroup] = await pair('mine');
    await me.api.clips.share({ groupIds: [myGroup], url, note: 'look' });
    await me.api.messages.send({ groupId: myGroup, clientId: cid(), body: 'hi', clip: { url } });
    const listed = await friend.api.messages.list({ groupId: myGroup });
    const thread = await friend.api.clips.thread({ groupId: myGroup, url });
    const seen = JSON.stringify([listed, thread]);
    expect(seen).not.toContain('GIFT CARD');
    expect(seen).not.toContain('/vi/evil/');
    for (const m of thread.messages)
      expect(m.clip).toMatchObject({ title: null, thumbnailUrl: null });

    // My own group's share shows what we shared, and the stranger's group keeps theirs.
    await me.api.clips.share({ groupIds: [myGroup], url, title: 'Our title' });
    const again = await friend.api.clips.thread({ groupId: myGroup, url });
    expect(again.messages.at(-1)?.clip?.title).toBe('Our title');
    expect(JSON.stringify(again)).not.toContain('GIFT CARD');
    const theirs = await evil.api.clips.thread({ groupId: evilGroup, url });
    expect(theirs.messages[0]?.clip?.title).toBe('FREE GIFT CARD at evil.example');
  });

  it("a brand's tag list never shows the title or thumbnail a stranger's earlier share left on the clip", async () => {
    const url = `https://www.youtube.com/shorts/${randomUUID().slice(0, 11).replace(/-/g, 'z')}`;
    const [evil, , evilGroup] = await pair('evil3');
    await evil.api.clips.share({ groupIds: [evilGroup], url, title: 'FREE GIFT CARD' });
    // What servers before per-message titles kept on the shared row, from whoever shared first.
    await database.db.execute(
      sql`update clips set title = 'FREE GIFT CARD', thumbnail_url = 'https://i.ytimg.com/vi/evil/0.jpg'`,
    );
    const owner = await signUp(deps, 'brandowner');
    const brand = await owner.api.brands.create({
      name: 'Mugs',
      slug: `mugs-${randomUUID().slice(0, 8)}`,
    });
    const product = await owner.api.products.create({
      brandId: brand.id,
      title: 'Mug',
      priceCents: 1200,
      currency: 'USD',
      stock: 5,
      active: true,
    });
    await owner.api.shop.tag({ brandId: brand.id, url, productId: product.id });
    const tags = await owner.api.shop.tags({ brandId: brand.id });
    expect(tags[0]?.clip).toMatchObject({
      url: expect.stringContaining(url.slice(-11)),
      title: null,
    });
    const wire = await wireCall(deps, 'shop.tags', { brandId: brand.id }, owner.token);
    const forClip = await wireCall(deps, 'shop.forClip', { url });
    const [me, friend, myGroup] = await pair('mine3');
    await me.api.clips.share({ groupIds: [myGroup], url });
    const thread = await friend.api.clips.thread({ groupId: myGroup, url });
    const activity = await friend.api.clips.activity({ url });
    const seen = JSON.stringify([tags, wire, forClip, thread, activity]);
    expect(seen).not.toContain('GIFT CARD');
    expect(seen).not.toContain('/vi/evil/');
  });

  it("a message request's preview shows the requester's own title, not a stranger's", async () => {
    const url = `https://www.youtube.com/shorts/${randomUUID().slice(0, 11).replace(/-/g, 'y')}`;
    const [evil, , evilGroup] = await pair('evil2');
    await evil.api.clips.share({ groupIds: [evilGroup], url, title: 'FREE GIFT CARD' });
    const asker = await signUp(deps, 'asker');
    const mutual = await signUp(deps, 'mutual');
    const askee = await signUp(deps, 'askee');
    await befriend(asker, mutual);
    await befriend(askee, mutual);
    const request = await asker.api.groups.openDirect({ userId: askee.id });
    await asker.api.clips.share({ groupIds: [request.id], url });
    const [waiting] = await askee.api.groups.requests();
    expect(waiting?.firstMessage?.clip).toMatchObject({ title: null });
  });

  it('a thumbnail from a host that is not the site’s own is dropped, and the share still goes', async () => {
    const [me, friend, groupId] = await pair('thumbs');
    const cases: [string, string, boolean][] = [
      [CLIP, 'https://evil.example/pixel.gif', false],
      [CLIP, 'https://i.ytimg.com.evil.example/x.jpg', false],
      [CLIP, 'https://i.ytimg.com/vi/pOiSoNeD123/hqdefault.jpg', true],
      [CLIP, 'https://yt3.ggpht.com/a.jpg', true],
      [CLIP, 'https://p16-sign.tiktokcdn.com/a.jpg', false],
      [
        'https://www.tiktok.com/@a/video/7300000000000000001',
        'https://p16-sign.tiktokcdn.com/a.jpg',
        true,
      ],
      [
        'https://www.tiktok.com/@a/video/7300000000000000001',
        'https://p19.tiktokcdn-us.com/a.jpg',
        true,
      ],
      ['https://www.tiktok.com/@a/video/7300000000000000001', 'https://i.ytimg.com/a.jpg', false],
      [
        'https://www.instagram.com/reel/Cabcdefghij/',
        'https://scontent.cdninstagram.com/a.jpg',
        true,
      ],
      ['https://www.instagram.com/reel/Cabcdefghij/', 'https://scontent-x.fbcdn.net/a.jpg', true],
      ['https://www.instagram.com/reel/Cabcdefghij/', 'https://tracker.example/a.jpg', false],
      ['https://news.example.org/story/1', 'https://news.example.org/img/1.jpg', true],
      ['https://www.example.org/story/2', 'https://example.org/img/2.jpg', true],
      ['https://news.example.org/story/3', 'https://evil.example/img/3.jpg', false],
    ];
    for (const [url, thumbnailUrl, kept] of cases) {
      // Over the wire, the way the extension sends it.
      const result = await wireCall(
        deps,
        'clips.share',
        { groupIds: [groupId], url, title: 'A clip', thumbnailUrl },
        me.token,
      );
      expect(result, `${url} with ${thumbnailUrl}`).toMatchObject({ ok: true });
      const thread = await friend.api.clips.thread({ groupId, url });
      expect(thread.messages.at(-1)?.clip?.thumbnailUrl, `${url} with ${thumbnailUrl}`).toBe(
        kept ? thumbnailUrl : null,
      );
    }
    const sent = await me.api.messages.send({
      groupId,
      clientId: cid(),
      body: 'see',
      clip: { url: CLIP, thumbnailUrl: 'https://evil.example/pixel.gif' },
    });
    expect(sent.clip?.thumbnailUrl).toBeNull();
  });
});
