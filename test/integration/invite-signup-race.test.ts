import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { friendships, invites } from '../../server/db/schema';
import type { Deps } from '../../server/deps';
import { openTestDatabase, type TestDatabase } from '../fixtures/db';
import { callerFor, makeDeps, signUp } from '../fixtures/deps';
import { requireEnv } from '../fixtures/process';

/**
 * Sign-ups through one invite code, all at once on PostgreSQL: a code good for N people makes
 * exactly N friendships with the inviter, the rest sign up and are told it was used; an
 * expired code makes none.
 */
describe('sign-ups racing for one invite code', () => {
  let database: TestDatabase;
  let deps: Deps;
  beforeAll(async () => {
    requireEnv('TEST_DATABASE_URL');
    database = await openTestDatabase('postgres');
    deps = makeDeps(database.db);
  });
  afterAll(() => database?.close());

  async function registerMany(code: string, count: number, tag: string) {
    const anon = await callerFor(deps);
    return Promise.all(
      Array.from({ length: count }, (_, i) =>
        anon.auth.register({
          handle: `${tag}_${i}_${process.pid % 1000}`,
          password: 'correct horse battery',
          inviteCode: code,
        }),
      ),
    );
  }

  it.each([1, 3])('a code good for %i person(s) befriends exactly that many', async (maxUses) => {
    const inviter = await signUp(deps, 'inviter');
    const invite = await inviter.api.friends.createInvite({ maxUses });
    const answers = await registerMany(invite.url, 8, `race${maxUses}`);
    const accepted = answers.filter((a) => a.invite?.accepted);
    expect(accepted.length).toBe(maxUses);
    for (const a of answers.filter((x) => !x.invite?.accepted))
      expect(a.invite).toEqual({ accepted: false, reason: 'used' });
    const rows = await database.db
      .select()
      .from(friendships)
      .where(eq(friendships.friendId, inviter.id));
    expect(rows.map((r) => r.userId).sort()).toEqual(accepted.map((a) => a.user.id).sort());
    const [stored] = await database.db.select().from(invites).where(eq(invites.code, invite.code));
    expect(stored?.uses).toBe(maxUses);
  });

  it('an expired code signs everyone up and befriends no one', async () => {
    const inviter = await signUp(deps, 'inviter');
    const invite = await inviter.api.friends.createInvite({ maxUses: 5 });
    await database.db
      .update(invites)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(invites.code, invite.code));
    const answers = await registerMany(invite.code, 4, 'late');
    expect(answers.map((a) => a.invite)).toEqual(
      answers.map(() => ({ accepted: false, reason: 'expired' })),
    );
    expect(await inviter.api.friends.list()).toEqual([]);
  });
});
