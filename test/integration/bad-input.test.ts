import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../server/deps';
import { appRouter } from '../../server/router';
import { engines, openTestDatabase, type TestDatabase } from '../fixtures/db';
import { befriend, makeDeps, signUp, type TestUser } from '../fixtures/deps';
import { dbSnapshot } from '../fixtures/snapshot';
import { wireCall } from '../fixtures/wire';

/** The routers this file covers; each of their procedures that takes input has cases below. */
const DOMAINS = ['account', 'auth', 'friends', 'groups', 'messages'];

/** Placeholders filled in once the fixtures exist. */
const GROUP = '$group';
const MESSAGE = '$message';
const ME = '$me';
const FRIEND = '$friend';

const unknownId = '00000000-0000-4000-8000-000000000000';
const uuids = (n: number) => Array.from({ length: n }, () => randomUUID());
const huge = 'x'.repeat(1_000_000);

type Code = 'BAD_REQUEST' | 'NOT_FOUND' | 'FORBIDDEN';
/** [procedure, what is wrong, input, expected code]; BAD_REQUEST means a schema failure. */
type Case = [string, string, unknown, Code];

const cases: Case[] = [
  // auth
  ['auth.register', 'no input', undefined, 'BAD_REQUEST'],
  ['auth.register', 'a string instead of an object', 'ana', 'BAD_REQUEST'],
  ['auth.register', 'an array', [], 'BAD_REQUEST'],
  ['auth.register', 'a numeric handle', { handle: 123, password: 'long enough' }, 'BAD_REQUEST'],
  ['auth.register', 'no password', { handle: 'fresh_one' }, 'BAD_REQUEST'],
  ['auth.register', 'a short password', { handle: 'fresh_one', password: 'short' }, 'BAD_REQUEST'],
  [
    'auth.register',
    'an oversized password',
    { handle: 'fresh_one', password: 'x'.repeat(201) },
    'BAD_REQUEST',
  ],
  ['auth.register', 'a huge handle', { handle: huge, password: 'long enough' }, 'BAD_REQUEST'],
  [
    'auth.register',
    'a huge invite code',
    { handle: 'fresh_one', password: 'long enough', inviteCode: huge },
    'BAD_REQUEST',
  ],
  [
    'auth.register',
    'a numeric invite code',
    { handle: 'fresh_one', password: 'long enough', inviteCode: 12345678 },
    'BAD_REQUEST',
  ],
  [
    'auth.register',
    'an oversized display name',
    { handle: 'fresh_one', password: 'long enough', displayName: 'x'.repeat(61) },
    'BAD_REQUEST',
  ],
  [
    'auth.register',
    'a blank display name',
    { handle: 'fresh_one', password: 'long enough', displayName: '   ' },
    'BAD_REQUEST',
  ],
  ['auth.login', 'no input', undefined, 'BAD_REQUEST'],
  ['auth.login', 'no password', { handle: 'someone' }, 'BAD_REQUEST'],
  ['auth.login', 'a numeric password', { handle: 'someone', password: 12345678 }, 'BAD_REQUEST'],
  ['auth.login', 'an empty password', { handle: 'someone', password: '' }, 'BAD_REQUEST'],
  ['auth.login', 'a huge password', { handle: 'someone', password: huge }, 'BAD_REQUEST'],
  ['auth.login', 'a malformed handle', { handle: 'no spaces!', password: 'x' }, 'BAD_REQUEST'],
  ['auth.update', 'nothing to change', {}, 'BAD_REQUEST'],
  ['auth.update', 'a blank display name', { displayName: ' ' }, 'BAD_REQUEST'],
  ['auth.update', 'a huge display name', { displayName: huge }, 'BAD_REQUEST'],
  ['auth.update', 'sendReceipts as text', { sendReceipts: 'no' }, 'BAD_REQUEST'],
  ['auth.update', 'readReceipts as a number', { readReceipts: 1 }, 'BAD_REQUEST'],
  ['auth.update', 'an unknown groupAdds', { groupAdds: 'everyone' }, 'BAD_REQUEST'],
  ['auth.update', 'findableByHandle as text', { findableByHandle: 'no' }, 'BAD_REQUEST'],
  [
    'auth.update',
    'the two receipt names disagreeing',
    { readReceipts: true, sendReceipts: false },
    'BAD_REQUEST',
  ],
  // account (a wrong password never deletes anything)
  ['auth.changePassword', 'no input', undefined, 'BAD_REQUEST'],
  ['auth.changePassword', 'no new password', { currentPassword: 'x' }, 'BAD_REQUEST'],
  [
    'auth.changePassword',
    'a short new password',
    { currentPassword: 'correct horse battery', newPassword: 'short' },
    'BAD_REQUEST',
  ],
  [
    'auth.changePassword',
    'a huge current password',
    { currentPassword: huge, newPassword: 'long enough pw' },
    'BAD_REQUEST',
  ],
  [
    'auth.changePassword',
    'a wrong current password',
    { currentPassword: 'not the password', newPassword: 'long enough pw' },
    'FORBIDDEN',
  ],
  [
    'auth.login',
    'a huge device token',
    { handle: 'someone', password: 'x', deviceToken: huge },
    'BAD_REQUEST',
  ],
  ['account.delete', 'no input', undefined, 'BAD_REQUEST'],
  ['account.delete', 'an empty password', { password: '' }, 'BAD_REQUEST'],
  ['account.delete', 'a huge password', { password: huge }, 'BAD_REQUEST'],
  ['account.delete', 'a numeric password', { password: 12345678 }, 'BAD_REQUEST'],
  ['account.delete', 'a wrong password', { password: 'not the password' }, 'FORBIDDEN'],
  // friends
  ['friends.createInvite', 'maxUses 0', { maxUses: 0 }, 'BAD_REQUEST'],
  ['friends.createInvite', 'maxUses 21', { maxUses: 21 }, 'BAD_REQUEST'],
  ['friends.createInvite', 'fractional maxUses', { maxUses: 1.5 }, 'BAD_REQUEST'],
  ['friends.createInvite', 'maxUses as text', { maxUses: 'many' }, 'BAD_REQUEST'],
  ['friends.createInvite', 'a string input', 'please', 'BAD_REQUEST'],
  ['friends.acceptInvite', 'no code', {}, 'BAD_REQUEST'],
  ['friends.acceptInvite', 'a numeric code', { code: 12345678 }, 'BAD_REQUEST'],
  ['friends.acceptInvite', 'punctuation', { code: '!!!!!!!!' }, 'BAD_REQUEST'],
  ['friends.acceptInvite', 'a huge code', { code: huge }, 'BAD_REQUEST'],
  ['friends.acceptInvite', 'an unknown code', { code: 'ZZZZZZZZZZ' }, 'NOT_FOUND'],
  ['friends.request', 'no handle', {}, 'BAD_REQUEST'],
  ['friends.request', 'a numeric handle', { handle: 42 }, 'BAD_REQUEST'],
  ['friends.request', 'a huge handle', { handle: huge }, 'BAD_REQUEST'],
  ['friends.request', 'punctuation', { handle: 'ana!!' }, 'BAD_REQUEST'],
  ['friends.request', 'a handle nobody has', { handle: 'nobody_has_this' }, 'NOT_FOUND'],
  ['friends.respond', 'no input', {}, 'BAD_REQUEST'],
  ['friends.respond', 'a non-uuid requestId', { requestId: 'r1', accept: true }, 'BAD_REQUEST'],
  ['friends.respond', 'no accept', { requestId: unknownId }, 'BAD_REQUEST'],
  ['friends.respond', 'an unknown request', { requestId: unknownId, accept: true }, 'NOT_FOUND'],
  ['friends.cancelRequest', 'no requestId', {}, 'BAD_REQUEST'],
  ['friends.cancelRequest', 'a numeric requestId', { requestId: 7 }, 'BAD_REQUEST'],
  ['friends.cancelRequest', 'an unknown request', { requestId: unknownId }, 'NOT_FOUND'],
  ['friends.remove', 'no userId', {}, 'BAD_REQUEST'],
  ['friends.remove', 'a non-uuid userId', { userId: 'bob' }, 'BAD_REQUEST'],
  ['friends.remove', 'a numeric userId', { userId: 42 }, 'BAD_REQUEST'],
  ['friends.remove', 'an unknown user', { userId: unknownId }, 'NOT_FOUND'],
  ['friends.block', 'a non-uuid userId', { userId: 'bob' }, 'BAD_REQUEST'],
  ['friends.block', 'a null userId', { userId: null }, 'BAD_REQUEST'],
  ['friends.block', 'an unknown user', { userId: unknownId }, 'NOT_FOUND'],
  ['friends.block', 'oneself', { userId: ME }, 'BAD_REQUEST'],
  ['friends.unblock', 'a non-uuid userId', { userId: '' }, 'BAD_REQUEST'],
  ['friends.unblock', 'an unknown user', { userId: unknownId }, 'NOT_FOUND'],
  // groups
  ['groups.create', 'no input', undefined, 'BAD_REQUEST'],
  ['groups.create', 'no memberIds', { name: 'Club' }, 'BAD_REQUEST'],
  ['groups.create', 'an empty name', { name: '  ', memberIds: [] }, 'BAD_REQUEST'],
  ['groups.create', 'an oversized name', { name: 'x'.repeat(81), memberIds: [] }, 'BAD_REQUEST'],
  ['groups.create', 'memberIds as text', { name: 'Club', memberIds: FRIEND }, 'BAD_REQUEST'],
  ['groups.create', 'non-uuid members', { name: 'Club', memberIds: ['bob'] }, 'BAD_REQUEST'],
  ['groups.create', '32 other members', { name: 'Club', memberIds: uuids(32) }, 'BAD_REQUEST'],
  ['groups.create', '10,000 members', { name: 'Club', memberIds: uuids(10_000) }, 'BAD_REQUEST'],
  // An unknown id is refused like any non-friend, so the answer does not tell who exists.
  ['groups.create', 'an unknown member', { name: 'Club', memberIds: [unknownId] }, 'FORBIDDEN'],
  ['groups.get', 'no groupId', {}, 'BAD_REQUEST'],
  ['groups.get', 'a non-uuid groupId', { groupId: 'general' }, 'BAD_REQUEST'],
  ['groups.get', 'an object as groupId', { groupId: { $ne: null } }, 'BAD_REQUEST'],
  ['groups.get', 'an unknown group', { groupId: unknownId }, 'NOT_FOUND'],
  ['groups.addMembers', 'no one to add', { groupId: GROUP, userIds: [] }, 'BAD_REQUEST'],
  ['groups.addMembers', 'non-uuid ids', { groupId: GROUP, userIds: ['x'] }, 'BAD_REQUEST'],
  ['groups.addMembers', 'too many ids', { groupId: GROUP, userIds: uuids(40) }, 'BAD_REQUEST'],
  ['groups.addMembers', 'an unknown group', { groupId: unknownId, userIds: [FRIEND] }, 'NOT_FOUND'],
  ['groups.addMembers', 'an unknown user', { groupId: GROUP, userIds: [unknownId] }, 'FORBIDDEN'],
  ['groups.removeMember', 'no userId', { groupId: GROUP }, 'BAD_REQUEST'],
  ['groups.removeMember', 'a non-uuid userId', { groupId: GROUP, userId: 'x' }, 'BAD_REQUEST'],
  ['groups.removeMember', 'an unknown group', { groupId: unknownId, userId: FRIEND }, 'NOT_FOUND'],
  [
    'groups.removeMember',
    'someone not in the group',
    { groupId: GROUP, userId: unknownId },
    'NOT_FOUND',
  ],
  ['groups.removeMember', 'oneself', { groupId: GROUP, userId: ME }, 'BAD_REQUEST'],
  ['groups.leave', 'no input', undefined, 'BAD_REQUEST'],
  ['groups.leave', 'a numeric groupId', { groupId: 7 }, 'BAD_REQUEST'],
  ['groups.leave', 'an unknown group', { groupId: unknownId }, 'NOT_FOUND'],
  ['groups.rename', 'an empty name', { groupId: GROUP, name: '' }, 'BAD_REQUEST'],
  ['groups.rename', 'a numeric name', { groupId: GROUP, name: 5 }, 'BAD_REQUEST'],
  ['groups.rename', 'a huge name', { groupId: GROUP, name: huge }, 'BAD_REQUEST'],
  ['groups.rename', 'an unknown group', { groupId: unknownId, name: 'New' }, 'NOT_FOUND'],
  [
    'groups.setRole',
    'making someone owner',
    { groupId: GROUP, userId: FRIEND, role: 'owner' },
    'BAD_REQUEST',
  ],
  [
    'groups.setRole',
    'an unknown role',
    { groupId: GROUP, userId: FRIEND, role: 'god' },
    'BAD_REQUEST',
  ],
  [
    'groups.setRole',
    'a non-uuid userId',
    { groupId: GROUP, userId: 'x', role: 'admin' },
    'BAD_REQUEST',
  ],
  [
    'groups.setRole',
    'someone not in the group',
    { groupId: GROUP, userId: unknownId, role: 'admin' },
    'NOT_FOUND',
  ],
  [
    'groups.setRole',
    'an unknown group',
    { groupId: unknownId, userId: FRIEND, role: 'admin' },
    'NOT_FOUND',
  ],
  ['groups.mute', 'no muted flag', { groupId: GROUP }, 'BAD_REQUEST'],
  ['groups.mute', 'muted as text', { groupId: GROUP, muted: 'yes' }, 'BAD_REQUEST'],
  ['groups.mute', 'an unknown group', { groupId: unknownId, muted: true }, 'NOT_FOUND'],
  ['groups.openDirect', 'no userId', {}, 'BAD_REQUEST'],
  ['groups.openDirect', 'a non-uuid userId', { userId: 'bob' }, 'BAD_REQUEST'],
  ['groups.openDirect', 'oneself', { userId: ME }, 'BAD_REQUEST'],
  ['groups.openDirect', 'an unknown user', { userId: unknownId }, 'NOT_FOUND'],
  ['groups.acceptRequest', 'no groupId', {}, 'BAD_REQUEST'],
  ['groups.acceptRequest', 'a non-uuid groupId', { groupId: 'req' }, 'BAD_REQUEST'],
  ['groups.acceptRequest', 'an unknown request', { groupId: unknownId }, 'NOT_FOUND'],
  ['groups.acceptRequest', 'a group that is no request', { groupId: GROUP }, 'NOT_FOUND'],
  ['groups.declineRequest', 'no input', undefined, 'BAD_REQUEST'],
  ['groups.declineRequest', 'a numeric groupId', { groupId: 7 }, 'BAD_REQUEST'],
  ['groups.declineRequest', 'an unknown request', { groupId: unknownId }, 'NOT_FOUND'],
  // messages
  ['messages.report', 'no reason', { messageId: MESSAGE }, 'BAD_REQUEST'],
  ['messages.report', 'an unknown reason', { messageId: MESSAGE, reason: 'meh' }, 'BAD_REQUEST'],
  [
    'messages.report',
    'a 501-character note',
    { messageId: MESSAGE, reason: 'other', note: 'x'.repeat(501) },
    'BAD_REQUEST',
  ],
  ['messages.report', 'a non-uuid messageId', { messageId: 'm1', reason: 'spam' }, 'BAD_REQUEST'],
  ['messages.report', 'an unknown message', { messageId: unknownId, reason: 'spam' }, 'NOT_FOUND'],
  ['messages.send', 'no input', undefined, 'BAD_REQUEST'],
  ['messages.send', 'no clientId', { groupId: GROUP, body: 'hi' }, 'BAD_REQUEST'],
  ['messages.send', 'no body', { groupId: GROUP, clientId: 'client-0001' }, 'BAD_REQUEST'],
  [
    'messages.send',
    'an empty body',
    { groupId: GROUP, clientId: 'client-0002', body: ' \n ' },
    'BAD_REQUEST',
  ],
  [
    'messages.send',
    'a 4,001-character body',
    { groupId: GROUP, clientId: 'client-0003', body: 'x'.repeat(4001) },
    'BAD_REQUEST',
  ],
  [
    'messages.send',
    'a megabyte body',
    { groupId: GROUP, clientId: 'client-0004', body: huge },
    'BAD_REQUEST',
  ],
  [
    'messages.send',
    'a numeric body',
    { groupId: GROUP, clientId: 'client-0005', body: 42 },
    'BAD_REQUEST',
  ],
  [
    'messages.send',
    'a short clientId',
    { groupId: GROUP, clientId: 'abc', body: 'hi' },
    'BAD_REQUEST',
  ],
  [
    'messages.send',
    'an oversized clientId',
    { groupId: GROUP, clientId: 'c'.repeat(65), body: 'hi' },
    'BAD_REQUEST',
  ],
  [
    'messages.send',
    'a clientId with spaces',
    { groupId: GROUP, clientId: 'client 0006', body: 'hi' },
    'BAD_REQUEST',
  ],
  [
    'messages.send',
    'a negative atSeconds',
    { groupId: GROUP, clientId: 'client-0007', body: 'hi', atSeconds: -1 },
    'BAD_REQUEST',
  ],
  [
    'messages.send',
    'atSeconds as text',
    { groupId: GROUP, clientId: 'client-0008', body: 'hi', atSeconds: '12' },
    'BAD_REQUEST',
  ],
  [
    'messages.send',
    'a non-uuid replyTo',
    { groupId: GROUP, clientId: 'client-0009', body: 'hi', replyTo: 'last' },
    'BAD_REQUEST',
  ],
  [
    'messages.send',
    'an unknown replyTo',
    { groupId: GROUP, clientId: 'client-0010', body: 'hi', replyTo: unknownId },
    'NOT_FOUND',
  ],
  [
    'messages.send',
    'an unknown group',
    { groupId: unknownId, clientId: 'client-0011', body: 'hi' },
    'NOT_FOUND',
  ],
  ['messages.list', 'no groupId', {}, 'BAD_REQUEST'],
  ['messages.list', 'limit 0', { groupId: GROUP, limit: 0 }, 'BAD_REQUEST'],
  ['messages.list', 'limit 201', { groupId: GROUP, limit: 201 }, 'BAD_REQUEST'],
  ['messages.list', 'limit as text', { groupId: GROUP, limit: '10' }, 'BAD_REQUEST'],
  ['messages.list', 'beforeSeq 0', { groupId: GROUP, beforeSeq: 0 }, 'BAD_REQUEST'],
  ['messages.list', 'a negative afterSeq', { groupId: GROUP, afterSeq: -1 }, 'BAD_REQUEST'],
  ['messages.list', 'a fractional afterSeq', { groupId: GROUP, afterSeq: 1.5 }, 'BAD_REQUEST'],
  ['messages.list', 'an unknown group', { groupId: unknownId }, 'NOT_FOUND'],
  ['messages.edit', 'no body', { messageId: MESSAGE }, 'BAD_REQUEST'],
  ['messages.edit', 'an empty body', { messageId: MESSAGE, body: '' }, 'BAD_REQUEST'],
  [
    'messages.edit',
    'a 4,001-character body',
    { messageId: MESSAGE, body: 'x'.repeat(4001) },
    'BAD_REQUEST',
  ],
  ['messages.edit', 'a non-uuid messageId', { messageId: '1', body: 'x' }, 'BAD_REQUEST'],
  ['messages.edit', 'an unknown message', { messageId: unknownId, body: 'x' }, 'NOT_FOUND'],
  ['messages.delete', 'no messageId', {}, 'BAD_REQUEST'],
  ['messages.delete', 'an array of ids', { messageId: [MESSAGE] }, 'BAD_REQUEST'],
  ['messages.delete', 'an unknown message', { messageId: unknownId }, 'NOT_FOUND'],
  ['messages.react', 'no emoji', { messageId: MESSAGE }, 'BAD_REQUEST'],
  ['messages.react', 'text instead of emoji', { messageId: MESSAGE, emoji: 'abc' }, 'BAD_REQUEST'],
  [
    'messages.react',
    'a huge emoji',
    { messageId: MESSAGE, emoji: '👍'.repeat(5000) },
    'BAD_REQUEST',
  ],
  ['messages.react', 'markup', { messageId: MESSAGE, emoji: '<img src=x>' }, 'BAD_REQUEST'],
  ['messages.react', 'an unknown message', { messageId: unknownId, emoji: '👍' }, 'NOT_FOUND'],
  ['messages.markRead', 'no seq', { groupId: GROUP }, 'BAD_REQUEST'],
  ['messages.markRead', 'a negative seq', { groupId: GROUP, seq: -1 }, 'BAD_REQUEST'],
  ['messages.markRead', 'seq as text', { groupId: GROUP, seq: 'all' }, 'BAD_REQUEST'],
  ['messages.markRead', 'an unknown group', { groupId: unknownId, seq: 1 }, 'NOT_FOUND'],
  ['messages.typing', 'no input', undefined, 'BAD_REQUEST'],
  ['messages.typing', 'a null groupId', { groupId: null }, 'BAD_REQUEST'],
  ['messages.typing', 'an unknown group', { groupId: unknownId }, 'NOT_FOUND'],
];

type AnyProcedure = { _def: { inputs: unknown[] } };

describe.each(engines)('bad input on %s', (engine) => {
  let database: TestDatabase;
  let deps: Deps;
  let ana: TestUser;
  let ben: TestUser;
  let values: Record<string, string>;
  let baseline: Awaited<ReturnType<typeof dbSnapshot>>;

  /** Swaps placeholders for the fixtures' real ids, anywhere in the input. */
  function fill(input: unknown): unknown {
    if (typeof input === 'string') return values[input] ?? input;
    if (Array.isArray(input)) return input.map(fill);
    if (input && typeof input === 'object')
      return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, fill(v)]));
    return input;
  }

  beforeAll(async () => {
    database = await openTestDatabase(engine);
    deps = makeDeps(database.db);
    ana = await signUp(deps, 'ana');
    ben = await signUp(deps, 'ben');
    const cai = await signUp(deps, 'cai');
    await befriend(ana, ben);
    await befriend(ana, cai);
    const group = await ana.api.groups.create({ name: 'Crew', memberIds: [ben.id] });
    const message = await ana.api.messages.send({
      groupId: group.id,
      clientId: 'first-message',
      body: 'hello',
    });
    values = {
      [GROUP]: group.id,
      [MESSAGE]: message.id,
      [ME]: ana.id,
      [FRIEND]: cai.id,
    };
    baseline = await dbSnapshot(database.db);
  });
  afterAll(() => database?.close());

  it('every procedure that takes input has bad-input cases here', () => {
    const record = appRouter._def.procedures as unknown as Record<string, AnyProcedure>;
    const withInput = Object.entries(record)
      .filter(([path, p]) => DOMAINS.includes(path.split('.')[0]!) && p._def.inputs.length > 0)
      .map(([path]) => path)
      .sort();
    expect([...new Set(cases.map(([path]) => path))].sort()).toEqual(withInput);
  });

  const named = cases.map(([path, what, input, code]) => ({ path, what, input, code }));

  it.each(named)('$path with $what → $code', async ({ path, what, input: rawInput, code }) => {
    const input = fill(rawInput);
    const token = path === 'auth.register' || path === 'auth.login' ? null : ana.token;
    const result = await wireCall(deps, path, input, token);
    expect(result.ok, `${path} accepted ${JSON.stringify(input)?.slice(0, 200)}`).toBe(false);
    if (result.ok) return;
    const { error } = result;
    expect(error.data.code, error.message).toBe(code);
    expect(error.message.length).toBeGreaterThan(10);
    // Readable: one line of plain words, never a JSON dump or a stack.
    expect(error.message.length).toBeLessThan(600);
    expect(error.message).not.toMatch(/[{}[\]]|\n|\bat \w+ \(/);
    // A schema failure says "Invalid input:" and names each problem; other refusals (acting
    // on oneself, a cap checked after de-duplication) explain themselves in a sentence.
    if (error.data.issues) {
      expect(error.message).toMatch(/^Invalid input: /);
      expect(error.data.issues.length).toBeGreaterThan(0);
      for (const issue of error.data.issues) expect(error.message).toContain(issue.message);
    } else if (code === 'BAD_REQUEST') {
      expect(error.message, what).toMatch(/^[A-Z][^\n]+[.!]$/);
    }
    // Nothing changed since the previous case (or since the fixtures were made).
    const before = baseline;
    baseline = await dbSnapshot(database.db);
    expect(baseline).toEqual(before);
  });

  it('after all that, the fixtures still work', async () => {
    const page = await ben.api.messages.list({ groupId: values[GROUP]! });
    expect(page.messages.map((m) => m.body)).toEqual(['hello']);
    expect((await ana.api.friends.list()).map((f) => f.id).sort()).toEqual(
      [ben.id, values[FRIEND]].sort(),
    );
  });
});
