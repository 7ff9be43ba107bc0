import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../server/deps';
import { engines, openTestDatabase, type TestDatabase } from '../fixtures/db';
import { befriend, makeDeps, signUp } from '../fixtures/deps';

const cid = () => `c_${randomUUID().replace(/-/g, '')}`;

/**
 * `groups.list` as an inbox for someone added late: nothing said before they joined shows as
 * the last message or counts as unread, their own messages never count, and a deleted share
 * keeps neither its note, its clip, its title nor its thumbnail in the preview.
 */
describe.each(engines)('the inbox list for a late joiner on %s', (engine) => {
  let database: TestDatabase;
  let deps: Deps;
  beforeAll(async () => {
    database = await openTestDatabase(engine);
    deps = makeDeps(database.db);
  });
  afterAll(() => database?.close());

  it('shows only what they could see, and counts only others', async () => {
    const owner = await signUp(deps, 'owner');
    const late = await signUp(deps, 'late');
    await befriend(owner, late);
    const group = await owner.api.groups.create({ name: 'Clips', memberIds: [] });
    await owner.api.messages.send({ groupId: group.id, clientId: cid(), body: 'before you came' });
    await owner.api.groups.addMembers({ groupId: group.id, userIds: [late.id] });
    const mine = () => late.api.groups.list().then((l) => l.find((g) => g.id === group.id)!);

    const first = await mine();
    expect(first.unread).toBe(0);
    expect(first.lastMessage?.body ?? null).not.toBe('before you came');

    await late.api.messages.send({ groupId: group.id, clientId: cid(), body: 'mine' });
    await late.api.messages.send({ groupId: group.id, clientId: cid(), body: 'mine again' });
    expect((await mine()).unread).toBe(0);

    const shared = await owner.api.clips.share({
      groupIds: [group.id],
      url: 'https://www.tiktok.com/@ana/video/7300000000000000001',
      title: 'Secret title',
      note: 'secret note',
      atSeconds: 12,
    });
    const withShare = await mine();
    expect(withShare.unread).toBe(1);
    expect(withShare.lastMessage?.clip?.title).toBe('Secret title');

    await owner.api.messages.delete({ messageId: shared.messages[0]!.id });
    const afterDelete = await mine();
    expect(afterDelete.unread).toBe(0);
    expect(afterDelete.lastMessage?.body).toBeNull();
    expect(afterDelete.lastMessage?.clip).toBeNull();
    expect(JSON.stringify(afterDelete)).not.toMatch(/secret/i);
  });
});
