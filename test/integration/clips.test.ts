import { randomBytes, randomUUID } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import type { BusEvent } from '../../server/bus';
import type { Deps } from '../../server/deps';
import type { MessageView } from '../../server/messages/view';
import { engines, openTestDatabase, type TestDatabase } from '../fixtures/db';
import { befriend, callerFor, makeDeps, signUp, type TestUser } from '../fixtures/deps';
import { ofType, socketClient, startLive, subscribeEvents } from '../fixtures/live';
import { dbSnapshot } from '../fixtures/snapshot';
import { wireCall } from '../fixtures/wire';

const cid = () => `c_${randomUUID()}`;
/** A fresh YouTube video id, so every test talks about its own clip. */
const ytId = () => randomBytes(8).toString('base64url').slice(0, 11);
const shorts = (id: string) => `https://www.youtube.com/shorts/${id}`;
const youtuBe = (id: string) => `https://youtu.be/${id}?si=AbCdEf123`;
const watch = (id: string) => `https://m.youtube.com/watch?v=${id}&feature=share`;
const tiktokId = () =>
  `7${Array.from({ length: 18 }, () => Math.floor(Math.random() * 10)).join('')}`;

async function failure(promise: Promise<unknown>): Promise<TRPCError> {
  const error = await promise.then(
    (value) => ({ value }),
    (e: unknown) => e,
  );
  expect(error, 'expected the call to be refused').toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

describe.each(engines)('clips on %s', (engine) => {
  let database: TestDatabase;
  let deps: Deps;
  let server: RunningServer;
  const sockets: { close(): void }[] = [];
  /** Ana is friends with Ben and Cai; Ben and Cai are not friends with each other. */
  let ana: TestUser;
  let ben: TestUser;
  let cai: TestUser;
  /** Dan and Eve are strangers to all three, and friends with each other. */
  let dan: TestUser;
  let eve: TestUser;

  beforeAll(async () => {
    database = await openTestDatabase(engine);
    deps = makeDeps(database.db);
    server = await startLive(deps);
    ana = await signUp(deps, 'ana');
    ben = await signUp(deps, 'ben');
    cai = await signUp(deps, 'cai');
    dan = await signUp(deps, 'dan');
    eve = await signUp(deps, 'eve');
    await befriend(ana, ben);
    await befriend(ana, cai);
    await befriend(dan, eve);
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await server?.close();
    deps?.hub.stop();
    await database?.close();
  });

  /** Two fresh groups of Ana's: one with Ben, one with Cai. */
  async function twoGroups() {
    const withBen = await ana.api.groups.create({ name: 'Ben & me', memberIds: [ben.id] });
    const withCai = await ana.api.groups.create({ name: 'Cai & me', memberIds: [cai.id] });
    return { withBen, withCai };
  }

  async function clipRows(site: string, clipId: string) {
    const result = await database.db.execute<{ id: string; url: string; title: string | null }>(
      sql`select id, url, title, thumbnail_url from clips where site = ${site} and clip_id = ${clipId}`,
    );
    return result.rows;
  }

  async function messageRows(groupId: string) {
    const result = await database.db.execute<{ id: string; seq: number; kind: string }>(
      sql`select id, seq, kind from messages where group_id = ${groupId} order by seq`,
    );
    return result.rows;
  }

  /** Everything the bus carries while `work` runs. */
  async function published(work: () => Promise<unknown>): Promise<BusEvent[]> {
    const seen: BusEvent[] = [];
    const stop = deps.bus.subscribe((event) => seen.push(event));
    try {
      await work();
      await new Promise((r) => setTimeout(r, 20));
    } finally {
      stop();
    }
    return seen;
  }

  describe('clips.resolve', () => {
    it.each([
      [
        'TikTok',
        'https://m.tiktok.com/@Some.Creator/video/7234567890123456789?is_from_webapp=1&lang=en',
        {
          site: 'tiktok',
          clipId: '7234567890123456789',
          url: 'https://www.tiktok.com/@some.creator/video/7234567890123456789',
        },
      ],
      [
        'YouTube',
        'https://youtu.be/dQw4w9WgXcQ?si=tracking',
        {
          site: 'youtube',
          clipId: 'dQw4w9WgXcQ',
          url: 'https://www.youtube.com/shorts/dQw4w9WgXcQ',
        },
      ],
      [
        'Instagram',
        'https://www.instagram.com/reels/C1a2B3c4D5e/?igsh=abc123',
        {
          site: 'instagram',
          clipId: 'C1a2B3c4D5e',
          url: 'https://www.instagram.com/reel/C1a2B3c4D5e/',
        },
      ],
    ])(
      'anyone, signed in or not, can turn a %s link into its canonical clip',
      async (_site, url, expected) => {
        const anonymous = await wireCall(deps, 'clips.resolve', { url }, null);
        expect(anonymous).toEqual({ ok: true, status: 200, data: expected });
        expect(await ana.api.clips.resolve({ url })).toEqual(expected);
      },
    );

    it.each([
      ['a javascript: link', 'javascript:alert(document.cookie)', /"javascript:" are not accepted/],
      ['a data: link', 'data:text/html,<script>alert(1)</script>', /"data:" are not accepted/],
      ['a word that is not a link', 'notalink', /"notalink" is not a link/],
      ['words with spaces', 'cute cat video', /contains a space/],
      ['an empty string', '', /empty/],
    ])('a user who pastes %s is told what links are accepted', async (_what, url, problem) => {
      const result = await wireCall(deps, 'clips.resolve', { url }, null);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.status).toBe(400);
      expect(result.error.data.code).toBe('BAD_REQUEST');
      expect(result.error.message).toMatch(problem);
      expect(result.error.message).toMatch(
        /full http\(s\) link to a TikTok video, a YouTube Short, an Instagram reel/,
      );
    });

    it('a user who pastes an over-long link is told the length limit', async () => {
      const url = `https://example.com/${'a'.repeat(3000)}`;
      const result = await wireCall(deps, 'clips.resolve', { url }, null);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error.data.code).toBe('BAD_REQUEST');
      expect(result.error.message).toMatch(/at most 2048 characters/);
    });

    it('a user who sends no link, or a number, gets BAD_REQUEST', async () => {
      for (const input of [{}, { url: 42 }, undefined]) {
        const result = await wireCall(deps, 'clips.resolve', input, null);
        expect(result.ok ? 'ok' : result.error.data.code).toBe('BAD_REQUEST');
      }
    });
  });

  describe('clips.share', () => {
    it('I share a clip to two of my groups and each gets one clip message with my note and moment', async () => {
      const { withBen, withCai } = await twoGroups();
      const id = ytId();
      const shared = await ana.api.clips.share({
        groupIds: [withBen.id, withCai.id],
        url: youtuBe(id),
        title: '  Cat plays piano  ',
        thumbnailUrl: `https://i.ytimg.com/vi/${id}/hq720.jpg`,
        atSeconds: 12.5,
        note: '  watch the ending  ',
      });
      expect(shared.clip).toEqual({ site: 'youtube', clipId: id, url: shorts(id) });
      expect(shared.messages).toHaveLength(2);
      expect(shared.messages.map((m) => m.groupId)).toEqual([withBen.id, withCai.id]);
      for (const message of shared.messages) {
        expect(message).toMatchObject({
          seq: 1,
          kind: 'clip',
          body: 'watch the ending',
          atSeconds: 12.5,
          sender: { id: ana.id, handle: ana.handle },
          clip: {
            site: 'youtube',
            clipId: id,
            url: shorts(id),
            title: 'Cat plays piano',
            thumbnailUrl: `https://i.ytimg.com/vi/${id}/hq720.jpg`,
          },
          deletedAt: null,
        });
      }
      // Each member sees it in their group, and only there.
      const benSees = await ben.api.messages.list({ groupId: withBen.id });
      expect(benSees.messages).toEqual([shared.messages[0]]);
      const caiSees = await cai.api.messages.list({ groupId: withCai.id });
      expect(caiSees.messages).toEqual([shared.messages[1]]);
      expect(await clipRows('youtube', id)).toHaveLength(1);
    });

    it('I share without a note or moment and the message has an empty body and no moment', async () => {
      const { withBen } = await twoGroups();
      const id = ytId();
      const shared = await ana.api.clips.share({ groupIds: [withBen.id], url: shorts(id) });
      expect(shared.messages[0]).toMatchObject({
        kind: 'clip',
        body: null,
        atSeconds: null,
        clip: { url: shorts(id), title: null, thumbnailUrl: null },
      });
    });

    it('listing the same group twice in one share posts there once', async () => {
      const { withBen } = await twoGroups();
      const shared = await ana.api.clips.share({
        groupIds: [withBen.id, withBen.id],
        url: shorts(ytId()),
      });
      expect(shared.messages).toHaveLength(1);
      expect(await messageRows(withBen.id)).toHaveLength(1);
    });

    it('my friends and I sharing youtu.be, /shorts/ and watch?v= links of one clip all talk about one clip', async () => {
      const { withBen, withCai } = await twoGroups();
      const id = ytId();
      const a = await ana.api.clips.share({
        groupIds: [withBen.id],
        url: youtuBe(id),
        title: 'First title wins',
      });
      const b = await ben.api.clips.share({
        groupIds: [withBen.id],
        url: shorts(id),
        title: 'A later title',
        thumbnailUrl: 'https://i.ytimg.com/vi/x/default.jpg',
      });
      const c = await cai.api.messages.send({
        groupId: withCai.id,
        clientId: cid(),
        body: 'same one?',
        clip: { url: watch(id) },
      });
      const rows = await clipRows('youtube', id);
      expect(rows).toHaveLength(1);
      // The shared row keeps nothing a sharer chose: each share keeps its own title.
      expect(rows[0]).toMatchObject({ url: shorts(id), title: null, thumbnail_url: null });
      for (const message of [a.messages[0]!, b.messages[0]!, c]) {
        expect(message.clip).toMatchObject({ site: 'youtube', clipId: id, url: shorts(id) });
      }
      expect(a.messages[0]?.clip).toMatchObject({ title: 'First title wins', thumbnailUrl: null });
      expect(b.messages[0]?.clip).toMatchObject({
        title: 'A later title',
        thumbnailUrl: 'https://i.ytimg.com/vi/x/default.jpg',
      });
      // Cai's group never sees what another group's share said of the clip.
      expect(c.clip).toMatchObject({ title: null, thumbnailUrl: null });
    });

    it.each([
      ['the group I am not in is listed second', (mine: string, theirs: string) => [mine, theirs]],
      ['the group I am not in is listed first', (mine: string, theirs: string) => [theirs, mine]],
      ['the other group id is made up', (mine: string) => [mine, randomUUID()]],
    ])(
      'sharing to one of my groups and one I am not in fails NOT_FOUND and posts nowhere (%s)',
      async (_order, pick) => {
        const { withBen } = await twoGroups();
        const strangers = await dan.api.groups.create({ name: 'Dan & Eve', memberIds: [eve.id] });
        await ana.api.messages.send({ groupId: withBen.id, clientId: cid(), body: 'before' });
        const id = ytId();
        const before = await dbSnapshot(database.db);
        let error: TRPCError | undefined;
        const onBus = await published(async () => {
          error = await failure(
            ana.api.clips.share({
              groupIds: pick(withBen.id, strangers.id),
              url: shorts(id),
              title: 'Not stored',
              atSeconds: 3,
              note: 'should not land anywhere',
            }),
          );
        });
        expect(error?.code).toBe('NOT_FOUND');
        expect(error?.message).toBe('No such group, or you are not in it.');
        // No message, no event, no seq bump in either group, no clip row: the database is as it was.
        expect(await dbSnapshot(database.db)).toEqual(before);
        expect(await clipRows('youtube', id)).toHaveLength(0);
        expect(onBus).toEqual([]);
        expect((await ana.api.groups.get({ groupId: withBen.id })).lastSeq).toBe(1);
        expect((await dan.api.groups.get({ groupId: strangers.id })).lastSeq).toBe(0);
        // The group I am in got nothing, live or stored.
        expect((await ben.api.messages.list({ groupId: withBen.id })).messages).toHaveLength(1);
      },
    );

    it('retrying a share with the same clientId returns the same messages and posts nothing new', async () => {
      const { withBen, withCai } = await twoGroups();
      const input = {
        groupIds: [withBen.id, withCai.id],
        url: shorts(ytId()),
        note: 'once only',
        atSeconds: 7,
        clientId: cid().slice(0, 40),
      };
      const first = await ana.api.clips.share(input);
      const before = await dbSnapshot(database.db);
      const onBus = await published(async () => {
        const again = await ana.api.clips.share(input);
        expect(again).toEqual(first);
        // Another link shape of the same clip is the same share.
        const third = await ana.api.clips.share({ ...input, url: youtuBe(input.url.slice(-11)) });
        expect(third.messages).toEqual(first.messages);
      });
      expect(await dbSnapshot(database.db)).toEqual(before);
      expect(onBus).toEqual([]);
      expect(await messageRows(withBen.id)).toHaveLength(1);
      expect(await messageRows(withCai.id)).toHaveLength(1);
    });

    it('a share retried with a clientId I once used for a plain message is still a share of the clip', async () => {
      const { withBen } = await twoGroups();
      const key = `k${randomBytes(6).toString('hex')}`;
      // Keys that a share could derive from `key` for this group, used by earlier plain messages.
      for (const clientId of [`${key}-${withBen.id.slice(0, 8)}`, `${key}-${withBen.id}`]) {
        await ana.api.messages.send({ groupId: withBen.id, clientId, body: 'plain text' });
      }
      const id = ytId();
      const shared = await ana.api.clips.share({
        groupIds: [withBen.id],
        url: shorts(id),
        clientId: key,
      });
      expect(shared.messages[0]).toMatchObject({ kind: 'clip', clip: { clipId: id } });
      expect((await messageRows(withBen.id)).map((m) => m.kind)).toEqual(['text', 'text', 'clip']);
      expect(
        await ana.api.clips.share({ groupIds: [withBen.id], url: shorts(id), clientId: key }),
      ).toEqual(shared);
    });

    it('a new share without a clientId, or with a new one, posts again', async () => {
      const { withBen } = await twoGroups();
      const url = shorts(ytId());
      await ana.api.clips.share({ groupIds: [withBen.id], url });
      await ana.api.clips.share({ groupIds: [withBen.id], url });
      await ana.api.clips.share({ groupIds: [withBen.id], url, clientId: cid().slice(0, 40) });
      expect((await messageRows(withBen.id)).map((m) => m.seq)).toEqual([1, 2, 3]);
    });

    it('two retries of one share racing each other post it once per group', async () => {
      for (let round = 0; round < 4; round++) {
        const { withBen, withCai } = await twoGroups();
        const input = {
          groupIds: [withBen.id, withCai.id],
          url: shorts(ytId()),
          note: `race ${round}`,
          clientId: cid().slice(0, 40),
        };
        const outcomes = await Promise.allSettled([
          ana.api.clips.share(input),
          ana.api.clips.share(input),
          ana.api.clips.share(input),
        ]);
        const answers = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
        const refusals = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
        expect(answers.length).toBeGreaterThanOrEqual(1);
        for (const reason of refusals) {
          expect(reason).toBeInstanceOf(TRPCError);
          expect((reason as TRPCError).code).toBe('CONFLICT');
        }
        const later = await ana.api.clips.share(input);
        for (const answer of answers) expect(answer.messages).toEqual(later.messages);
        expect(await messageRows(withBen.id)).toEqual([
          { id: later.messages[0]!.id, seq: 1, kind: 'clip' },
        ]);
        expect(await messageRows(withCai.id)).toEqual([
          { id: later.messages[1]!.id, seq: 1, kind: 'clip' },
        ]);
        const created = await database.db.execute<{ n: number }>(
          sql`select count(*)::int as n from events
              where type = 'message.created' and group_id in (${withBen.id}, ${withCai.id})`,
        );
        expect(Number(created.rows[0]?.n)).toBe(2);
      }
    });

    it('two friends sharing different clips to the same two groups at once, in opposite order, both get through', async () => {
      const both = await ana.api.groups.create({ name: 'Both A', memberIds: [ben.id] });
      const other = await ana.api.groups.create({ name: 'Both B', memberIds: [ben.id] });
      const rounds = 6;
      const results = await Promise.allSettled(
        Array.from({ length: rounds }, (_, i) => [
          ana.api.clips.share({
            groupIds: [both.id, other.id],
            url: shorts(ytId()),
            note: `a${i}`,
          }),
          ben.api.clips.share({
            groupIds: [other.id, both.id],
            url: shorts(ytId()),
            note: `b${i}`,
          }),
        ]).flat(),
      );
      const failed = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
      expect(failed).toEqual([]);
      // Each answer lists its messages in the order the groups were given.
      results.forEach((r, i) => {
        if (r.status !== 'fulfilled') return;
        expect(r.value.messages.map((m) => m.groupId)).toEqual(
          i % 2 ? [other.id, both.id] : [both.id, other.id],
        );
      });
      for (const g of [both.id, other.id]) {
        const seqs = (await messageRows(g)).map((m) => m.seq);
        expect(seqs).toEqual(Array.from({ length: rounds * 2 }, (_, i) => i + 1));
      }
    });

    it('a note over 1000 characters or more than 10 groups is refused and stores nothing', async () => {
      const { withBen } = await twoGroups();
      const url = shorts(ytId());
      const ok = await ana.api.clips.share({ groupIds: [withBen.id], url, note: 'n'.repeat(1000) });
      expect(ok.messages[0]?.body).toHaveLength(1000);
      const before = await dbSnapshot(database.db);
      const tooLong = await wireCall(
        deps,
        'clips.share',
        { groupIds: [withBen.id], url, note: 'n'.repeat(1001) },
        ana.token,
      );
      expect(tooLong.ok ? 'ok' : tooLong.error.data.code).toBe('BAD_REQUEST');
      expect(tooLong.ok ? '' : tooLong.error.message).toMatch(/at most 1000 characters/);
      const eleven = Array.from({ length: 11 }, () => randomUUID());
      const tooMany = await wireCall(
        deps,
        'clips.share',
        { groupIds: [withBen.id, ...eleven.slice(1)], url },
        ana.token,
      );
      expect(tooMany.ok ? 'ok' : tooMany.error.data.code).toBe('BAD_REQUEST');
      expect(tooMany.ok ? '' : tooMany.error.message).toMatch(/at most 10 groups/);
      const none = await wireCall(deps, 'clips.share', { groupIds: [], url }, ana.token);
      expect(none.ok ? 'ok' : none.error.data.code).toBe('BAD_REQUEST');
      expect(await dbSnapshot(database.db)).toEqual(before);
    });

    it.each([
      ['an http thumbnail', 'http://i.ytimg.com/vi/x/default.jpg'],
      ['a javascript: thumbnail', 'javascript:alert(1)'],
      ['a data: thumbnail', 'data:image/png;base64,iVBORw0KGgo='],
      ['a thumbnail that is not a link', 'thumbnail.jpg'],
    ])('sharing with %s is refused: thumbnails must be https', async (_what, thumbnailUrl) => {
      const { withBen } = await twoGroups();
      const before = await dbSnapshot(database.db);
      const result = await wireCall(
        deps,
        'clips.share',
        { groupIds: [withBen.id], url: shorts(ytId()), thumbnailUrl },
        ana.token,
      );
      expect(result.ok ? 'ok' : result.error.data.code).toBe('BAD_REQUEST');
      expect(result.ok ? '' : result.error.message).toMatch(/Thumbnails must be https links/);
      expect(await dbSnapshot(database.db)).toEqual(before);
    });

    it('sharing a javascript: link is refused and stores nothing', async () => {
      const { withBen } = await twoGroups();
      const before = await dbSnapshot(database.db);
      const result = await wireCall(
        deps,
        'clips.share',
        { groupIds: [withBen.id], url: 'javascript:alert(1)' },
        ana.token,
      );
      expect(result.ok ? 'ok' : result.error.data.code).toBe('BAD_REQUEST');
      expect(result.ok ? '' : result.error.message).toMatch(/TikTok video, a YouTube Short/);
      expect(await dbSnapshot(database.db)).toEqual(before);
    });
  });

  describe('live', () => {
    it('a share to two groups shows up live for a member of each, with its moment', async () => {
      const { withBen, withCai } = await twoGroups();
      const benSocket = socketClient(server.wsUrl, ben.token);
      const caiSocket = socketClient(server.wsUrl, cai.token);
      sockets.push(benSocket, caiSocket);
      // Subscribe from the current position, then wait for a hello in each group: once it has
      // arrived the stream is attached, so the share below can only come live.
      const start = await database.db.execute<{ id: number | null }>(
        sql`select max(id) as id from events`,
      );
      const from = String(start.rows[0]?.id ?? 0);
      const benEvents = subscribeEvents(benSocket.client, from);
      const caiEvents = subscribeEvents(caiSocket.client, from);
      for (const g of [withBen, withCai])
        await ana.api.messages.send({ groupId: g.id, clientId: cid(), body: 'hello' });
      const hello = (e: { type: string; payload: unknown }) =>
        e.type === 'message.created' && (e.payload as MessageView).body === 'hello';
      await benEvents.until((e) => e.some(hello));
      await caiEvents.until((e) => e.some(hello));
      const id = ytId();
      const shared = await ana.api.clips.share({
        groupIds: [withBen.id, withCai.id],
        url: youtuBe(id),
        title: 'Live one',
        atSeconds: 31.25,
        note: 'at 0:31!',
      });
      const isShare = (
        e: { type: string; groupId: string | null; payload: unknown },
        groupId: string,
      ) =>
        e.type === 'message.created' &&
        e.groupId === groupId &&
        (e.payload as MessageView).kind === 'clip';
      const benGot = await benEvents.until((e) => e.some((x) => isShare(x, withBen.id)));
      const caiGot = await caiEvents.until((e) => e.some((x) => isShare(x, withCai.id)));
      const benMessage = benGot.find((x) => isShare(x, withBen.id))!.payload as MessageView;
      const caiMessage = caiGot.find((x) => isShare(x, withCai.id))!.payload as MessageView;
      expect(benMessage).toEqual(shared.messages[0]);
      expect(caiMessage).toEqual(shared.messages[1]);
      for (const message of [benMessage, caiMessage]) {
        expect(message).toMatchObject({
          kind: 'clip',
          body: 'at 0:31!',
          atSeconds: 31.25,
          clip: { site: 'youtube', clipId: id, url: shorts(id), title: 'Live one' },
        });
      }
      await new Promise((r) => setTimeout(r, 200));
      // Each sees only the share in their own group.
      expect(ofType(benEvents.received, 'message.created').map((e) => e.groupId)).toEqual([
        withBen.id,
        withBen.id,
      ]);
      expect(ofType(caiEvents.received, 'message.created').map((e) => e.groupId)).toEqual([
        withCai.id,
        withCai.id,
      ]);
      benEvents.unsubscribe();
      caiEvents.unsubscribe();
    });
  });

  describe('clips.thread', () => {
    it('the thread of a clip in my group holds its share and the chat attached to it, in order, each at its moment', async () => {
      const { withBen, withCai } = await twoGroups();
      const id = ytId();
      const otherClip = tiktokId();
      const share = await ana.api.clips.share({
        groupIds: [withBen.id, withCai.id],
        url: youtuBe(id),
        atSeconds: 4,
        note: 'look',
      });
      const chatter = await ben.api.messages.send({
        groupId: withBen.id,
        clientId: cid(),
        body: 'the dog at 0:09 😂',
        clip: { url: watch(id) },
        atSeconds: 9,
      });
      await ana.api.messages.send({ groupId: withBen.id, clientId: cid(), body: 'unrelated' });
      await ben.api.messages.send({
        groupId: withBen.id,
        clientId: cid(),
        body: 'about another clip',
        clip: { url: `https://www.tiktok.com/@x/video/${otherClip}` },
        atSeconds: 2,
      });
      const reply = await ana.api.messages.send({
        groupId: withBen.id,
        clientId: cid(),
        body: 'right?',
        clip: { url: shorts(id) },
        replyTo: chatter.id,
      });
      await cai.api.messages.send({
        groupId: withCai.id,
        clientId: cid(),
        body: 'cai in the other group',
        clip: { url: shorts(id) },
        atSeconds: 1,
      });

      const thread = await ben.api.clips.thread({ groupId: withBen.id, url: shorts(id) });
      expect(thread.clip).toEqual({ site: 'youtube', clipId: id, url: shorts(id) });
      expect(thread.messages.map((m) => m.id)).toEqual([
        share.messages[0]!.id,
        chatter.id,
        reply.id,
      ]);
      expect(thread.messages.map((m) => m.seq)).toEqual([1, 2, 5]);
      expect(thread.messages.map((m) => m.atSeconds)).toEqual([4, 9, null]);
      expect(thread.messages.map((m) => m.body)).toEqual(['look', 'the dog at 0:09 😂', 'right?']);
      expect(thread.messages.map((m) => m.kind)).toEqual(['clip', 'text', 'text']);
      expect(thread.messages[2]?.replyTo).toBe(chatter.id);

      // Any link shape of the clip opens the same thread, for any member.
      for (const url of [youtuBe(id), watch(id), `https://youtube.com/embed/${id}`]) {
        expect(await ana.api.clips.thread({ groupId: withBen.id, url })).toEqual(thread);
      }
      // The other group's thread has its own share and chat only.
      const elsewhere = await cai.api.clips.thread({ groupId: withCai.id, url: youtuBe(id) });
      expect(elsewhere.messages.map((m) => [m.body, m.atSeconds])).toEqual([
        ['look', 4],
        ['cai in the other group', 1],
      ]);
    });

    it('a clip nobody in my group talked about has an empty thread', async () => {
      const { withBen, withCai } = await twoGroups();
      const id = ytId();
      await ana.api.clips.share({ groupIds: [withCai.id], url: shorts(id) });
      expect(await ben.api.clips.thread({ groupId: withBen.id, url: shorts(id) })).toEqual({
        clip: { site: 'youtube', clipId: id, url: shorts(id) },
        messages: [],
      });
      const never = ytId();
      expect(
        (await ben.api.clips.thread({ groupId: withBen.id, url: shorts(never) })).messages,
      ).toEqual([]);
      expect(await clipRows('youtube', never)).toHaveLength(0);
    });

    it('a deleted message stays in the thread as a tombstone without its words or clip', async () => {
      const { withBen } = await twoGroups();
      const id = ytId();
      await ana.api.clips.share({ groupIds: [withBen.id], url: shorts(id) });
      const said = await ben.api.messages.send({
        groupId: withBen.id,
        clientId: cid(),
        body: 'oops',
        clip: { url: shorts(id) },
        atSeconds: 3,
      });
      await ben.api.messages.delete({ messageId: said.id });
      const thread = await ana.api.clips.thread({ groupId: withBen.id, url: shorts(id) });
      expect(thread.messages[1]).toMatchObject({ id: said.id, body: null, clip: null });
      expect(thread.messages[1]?.deletedAt).not.toBeNull();
    });

    it('a stranger asking for my group’s clip thread gets NOT_FOUND, the same as for a made-up group', async () => {
      const { withBen } = await twoGroups();
      const id = ytId();
      await ana.api.clips.share({ groupIds: [withBen.id], url: shorts(id), note: 'secret' });
      const real = await failure(dan.api.clips.thread({ groupId: withBen.id, url: shorts(id) }));
      const madeUp = await failure(
        dan.api.clips.thread({ groupId: randomUUID(), url: shorts(id) }),
      );
      expect(real.code).toBe('NOT_FOUND');
      expect(madeUp.code).toBe('NOT_FOUND');
      expect(real.message).toBe(madeUp.message);
      expect(real.message).not.toMatch(/secret/);
    });

    it('asking for a thread with a bad link is BAD_REQUEST saying what is accepted', async () => {
      const { withBen } = await twoGroups();
      const result = await wireCall(
        deps,
        'clips.thread',
        { groupId: withBen.id, url: 'data:text/plain,hi' },
        ben.token,
      );
      expect(result.ok ? 'ok' : result.error.data.code).toBe('BAD_REQUEST');
      expect(result.ok ? '' : result.error.message).toMatch(/TikTok video/);
    });
  });

  describe('clips.activity', () => {
    it('shows which of my groups talked about a clip, with counts and people, and which friends did', async () => {
      const trio = await ana.api.groups.create({ name: 'Trio', memberIds: [ben.id, cai.id] });
      const pair = await ana.api.groups.create({ name: 'Pair', memberIds: [ben.id] });
      const quiet = await ana.api.groups.create({ name: 'Quiet', memberIds: [ben.id, cai.id] });
      const direct = await ana.api.groups.openDirect({ userId: cai.id });
      const id = ytId();
      await ana.api.clips.share({ groupIds: [trio.id, pair.id], url: youtuBe(id), atSeconds: 1 });
      await ben.api.messages.send({
        groupId: trio.id,
        clientId: cid(),
        body: 'ha',
        clip: { url: shorts(id) },
      });
      await cai.api.messages.send({
        groupId: trio.id,
        clientId: cid(),
        body: 'lol',
        clip: { url: watch(id) },
        atSeconds: 5,
      });
      await cai.api.messages.send({
        groupId: direct.id,
        clientId: cid(),
        body: 'did you see this',
        clip: { url: shorts(id) },
      });
      // Chat that is not about the clip does not count.
      await ben.api.messages.send({ groupId: quiet.id, clientId: cid(), body: 'not about it' });
      await ben.api.messages.send({ groupId: trio.id, clientId: cid(), body: 'unattached' });
      // Strangers talking about the same clip in their own group.
      const strangers = await dan.api.groups.create({ name: 'Strangers', memberIds: [eve.id] });
      await dan.api.clips.share({ groupIds: [strangers.id], url: shorts(id), note: 'ours' });
      await eve.api.messages.send({
        groupId: strangers.id,
        clientId: cid(),
        body: 'nice',
        clip: { url: shorts(id) },
      });

      const person = (u: TestUser, name: string) => ({
        id: u.id,
        handle: u.handle,
        displayName: name,
      });
      const byGroup = <G extends { groupId: string }>(groups: G[]): Record<string, G> =>
        Object.fromEntries(groups.map((g) => [g.groupId, g]));

      const forAna = await ana.api.clips.activity({ url: watch(id) });
      expect(forAna.clip).toEqual({ site: 'youtube', clipId: id, url: shorts(id) });
      expect(forAna.groups).toHaveLength(3);
      const anaGroups = byGroup(forAna.groups);
      expect(anaGroups[trio.id]).toMatchObject({ kind: 'group', name: 'Trio', messageCount: 3 });
      expect(anaGroups[trio.id]?.people).toEqual(
        expect.arrayContaining([person(ana, 'ana'), person(ben, 'ben'), person(cai, 'cai')]),
      );
      expect(anaGroups[trio.id]?.people).toHaveLength(3);
      expect(anaGroups[pair.id]).toMatchObject({
        name: 'Pair',
        messageCount: 1,
        people: [person(ana, 'ana')],
      });
      // A direct thread is named after the other person.
      expect(anaGroups[direct.id]).toMatchObject({
        kind: 'direct',
        name: 'cai',
        messageCount: 1,
        people: [person(cai, 'cai')],
      });
      expect(anaGroups[strangers.id]).toBeUndefined();
      expect(anaGroups[quiet.id]).toBeUndefined();
      for (const g of forAna.groups) expect(Date.parse(g.lastAt)).not.toBeNaN();
      expect(forAna.friends).toHaveLength(2);
      expect(forAna.friends).toEqual(
        expect.arrayContaining([person(ben, 'ben'), person(cai, 'cai')]),
      );

      // Ben is not Cai's friend and is never his own: only Ana is a friend who talked about it.
      const forBen = await ben.api.clips.activity({ url: shorts(id) });
      expect(forBen.groups.map((g) => g.groupId).sort()).toEqual([trio.id, pair.id].sort());
      expect(forBen.friends).toEqual([person(ana, 'ana')]);

      // The strangers see their own group and nothing of ours.
      const forDan = await dan.api.clips.activity({ url: youtuBe(id) });
      expect(forDan.groups).toEqual([
        expect.objectContaining({ groupId: strangers.id, messageCount: 2 }),
      ]);
      expect(forDan.friends).toEqual([person(eve, 'eve')]);
      const serialized = JSON.stringify(forDan);
      for (const u of [ana, ben, cai]) expect(serialized).not.toContain(u.id);
    });

    it("counts as unread only others' messages past my read position, and none in a muted group", async () => {
      const { withBen, withCai } = await twoGroups();
      const id = ytId();
      await ana.api.clips.share({ groupIds: [withBen.id, withCai.id], url: shorts(id) });
      const say = (who: TestUser, groupId: string, body: string) =>
        who.api.messages.send({ groupId, clientId: cid(), body, clip: { url: shorts(id) } });
      await say(ben, withBen.id, 'one');
      const second = await say(ben, withBen.id, 'two');
      await say(cai, withCai.id, 'three');
      const unreadOf = async (who: TestUser) =>
        Object.fromEntries(
          (await who.api.clips.activity({ url: shorts(id) })).groups.map((g) => [
            g.groupId,
            [g.messageCount, g.unread],
          ]),
        );
      // Ana's own share never counts; Ben's two and Cai's one do.
      expect(await unreadOf(ana)).toEqual({ [withBen.id]: [3, 2], [withCai.id]: [2, 1] });
      // Ben has read nothing, but only Ana's share is someone else's.
      expect(await unreadOf(ben)).toEqual({ [withBen.id]: [3, 1] });
      await ana.api.messages.markRead({ groupId: withBen.id, seq: second.seq - 1 });
      await ana.api.groups.mute({ groupId: withCai.id, muted: true });
      expect(await unreadOf(ana)).toEqual({ [withBen.id]: [3, 1], [withCai.id]: [2, 0] });
    });

    it('deleted messages do not count, and a group whose only mention was deleted drops out', async () => {
      const { withBen, withCai } = await twoGroups();
      const id = ytId();
      await ana.api.clips.share({ groupIds: [withBen.id], url: shorts(id) });
      const benSaid = await ben.api.messages.send({
        groupId: withBen.id,
        clientId: cid(),
        body: 'meh',
        clip: { url: shorts(id) },
      });
      const caiSaid = await cai.api.messages.send({
        groupId: withCai.id,
        clientId: cid(),
        body: 'hmm',
        clip: { url: shorts(id) },
      });
      const before = await ana.api.clips.activity({ url: shorts(id) });
      expect(before.groups.map((g) => g.groupId).sort()).toEqual([withBen.id, withCai.id].sort());
      expect(before.friends).toHaveLength(2);

      await ben.api.messages.delete({ messageId: benSaid.id });
      await cai.api.messages.delete({ messageId: caiSaid.id });
      const after = await ana.api.clips.activity({ url: shorts(id) });
      expect(after.groups).toEqual([
        expect.objectContaining({
          groupId: withBen.id,
          messageCount: 1,
          people: [{ id: ana.id, handle: ana.handle, displayName: 'ana' }],
        }),
      ]);
      expect(after.friends).toEqual([]);
    });

    it('a clip nobody talked about, or only strangers did, has no activity for me', async () => {
      const unknown = await ana.api.clips.activity({ url: shorts(ytId()) });
      expect(unknown).toMatchObject({ groups: [], friends: [] });
      const id = ytId();
      const strangers = await dan.api.groups.create({ name: 'Strangers 2', memberIds: [eve.id] });
      await dan.api.clips.share({ groupIds: [strangers.id], url: shorts(id) });
      expect(await ana.api.clips.activity({ url: youtuBe(id) })).toEqual({
        clip: { site: 'youtube', clipId: id, url: shorts(id) },
        groups: [],
        friends: [],
      });
    });

    it('asking for activity with a bad link is BAD_REQUEST', async () => {
      const result = await wireCall(
        deps,
        'clips.activity',
        { url: 'javascript:void(0)' },
        ana.token,
      );
      expect(result.ok ? 'ok' : result.error.data.code).toBe('BAD_REQUEST');
    });
  });

  describe('authorization', () => {
    it('without a token, sharing, reading a clip thread and clip activity are refused UNAUTHORIZED', async () => {
      const { withBen } = await twoGroups();
      const url = shorts(ytId());
      await ana.api.clips.share({ groupIds: [withBen.id], url });
      const before = await dbSnapshot(database.db);
      for (const token of [null, 'made-up-token']) {
        const anon = await callerFor(deps, token);
        const calls = [
          anon.clips.share({ groupIds: [withBen.id], url, note: 'sneaky' }),
          anon.clips.thread({ groupId: withBen.id, url }),
          anon.clips.activity({ url }),
        ];
        for (const call of calls) expect((await failure(call)).code).toBe('UNAUTHORIZED');
        for (const [path, input] of [
          ['clips.share', { groupIds: [withBen.id], url }],
          ['clips.thread', { groupId: withBen.id, url }],
          ['clips.activity', { url }],
        ] as const) {
          const result = await wireCall(deps, path, input, token);
          expect(result.ok ? 'ok' : result.error.data.code).toBe('UNAUTHORIZED');
        }
      }
      expect(await dbSnapshot(database.db)).toEqual(before);
    });

    it('a member removed from a group can no longer share to it, read its clip thread or see it in activity', async () => {
      const group = await ana.api.groups.create({ name: 'Was in', memberIds: [ben.id, cai.id] });
      const stillIn = await ana.api.groups.create({ name: 'Still in', memberIds: [ben.id] });
      const id = ytId();
      const earlier = {
        groupIds: [group.id, stillIn.id],
        url: shorts(id),
        clientId: cid().slice(0, 40),
      };
      await ben.api.clips.share(earlier);
      await ana.api.groups.removeMember({ groupId: group.id, userId: ben.id });
      await cai.api.messages.send({
        groupId: group.id,
        clientId: cid(),
        body: 'after ben left',
        clip: { url: shorts(id) },
      });

      const before = await dbSnapshot(database.db);
      const share = await failure(ben.api.clips.share({ groupIds: [group.id], url: shorts(id) }));
      expect(share.code).toBe('NOT_FOUND');
      // Together with a group he is still in: all or nothing.
      const mixed = await failure(
        ben.api.clips.share({ groupIds: [stillIn.id, group.id], url: shorts(id), note: 'x' }),
      );
      expect(mixed.code).toBe('NOT_FOUND');
      expect(await dbSnapshot(database.db)).toEqual(before);

      // Nor replay an old share to it: a retry answers only while he is still a member.
      const retried = await failure(ben.api.clips.share(earlier));
      expect(retried.code).toBe('NOT_FOUND');
      expect(await dbSnapshot(database.db)).toEqual(before);

      const thread = await failure(ben.api.clips.thread({ groupId: group.id, url: shorts(id) }));
      expect(thread.code).toBe('NOT_FOUND');
      expect(thread.message).toBe('No such group, or you are not in it.');

      const activity = await ben.api.clips.activity({ url: shorts(id) });
      expect(activity.groups.map((g) => g.groupId)).toEqual([stillIn.id]);
      // Cai spoke only in the group Ben was removed from, and is not Ben's friend anyway.
      expect(JSON.stringify(activity)).not.toContain(cai.id);
    });
  });
});
