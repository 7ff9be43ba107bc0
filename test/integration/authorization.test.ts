import { randomUUID } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BusEvent } from '../../server/bus';
import type { Deps } from '../../server/deps';
import { appRouter } from '../../server/router';
import { engines, openTestDatabase, type TestDatabase } from '../fixtures/db';
import { befriend, callerFor, makeDeps, signUp, type TestUser } from '../fixtures/deps';
import { dbSnapshot } from '../fixtures/snapshot';
import { procedurePaths, wireCall } from '../fixtures/wire';

/**
 * The only procedures an anonymous caller may use. Add new public ones here, deliberately:
 * signing up and in; canonicalising a link; what the widgets on brands' sites need (a product,
 * a brand's products, the products tagged in a clip, and a checkout with an optional buyer).
 */
const PUBLIC_PROCEDURES = new Set([
  'auth.register',
  'auth.login',
  'clips.resolve',
  'products.get',
  'products.list',
  'shop.forClip',
  'shop.forClipPrefix',
  'checkout.create',
]);

const CLIP_URL = 'https://www.youtube.com/shorts/dQw4w9WgXcQ';

/** Keys that make a procedure act on one group or one message, and so need membership. */
const SCOPE_KEYS = ['groupId', 'groupIds', 'messageId'];

/** Refusals by message id may say FORBIDDEN; anything naming a group must say NOT_FOUND. */
const BY_MESSAGE_ID = new Set(['messages.edit', 'messages.delete', 'messages.react']);

type AnyProcedure = { _def: { type: string; inputs: { shape?: Record<string, unknown> }[] } };

/** Procedures whose input names a group or a message, read from the router itself. */
function groupScopedProcedures(): string[] {
  const record = appRouter._def.procedures as unknown as Record<string, AnyProcedure>;
  return Object.entries(record)
    .filter(([, p]) =>
      p._def.inputs.some((input) => SCOPE_KEYS.some((k) => input.shape && k in input.shape)),
    )
    .map(([path]) => path)
    .sort();
}

type Call = (input: unknown) => Promise<unknown>;

/** `caller['messages']['send']` for a dotted path. */
function procedureOf(caller: object, path: string): Call {
  return path
    .split('.')
    .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], caller) as Call;
}

async function refusal(promise: Promise<unknown>): Promise<TRPCError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, 'expected the call to be refused').toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

describe.each(engines)('authorization on %s', (engine) => {
  let database: TestDatabase;
  let deps: Deps;
  let owner: TestUser;
  let member: TestUser;
  let removed: TestUser;
  let stranger: TestUser;
  let groupId: string;
  let ownerMessage: string;
  let memberMessage: string;
  let removedMessage: string;
  let removedClientId: string;

  beforeAll(async () => {
    database = await openTestDatabase(engine);
    deps = makeDeps(database.db);
    owner = await signUp(deps, 'owner');
    member = await signUp(deps, 'member');
    removed = await signUp(deps, 'removed');
    stranger = await signUp(deps, 'stranger');
    // The outsiders are the owner's friends and each other's, so no refusal below can come
    // from a missing friendship instead of from the membership check.
    await befriend(owner, member);
    await befriend(owner, removed);
    await befriend(owner, stranger);
    await befriend(stranger, removed);
    const group = await owner.api.groups.create({
      name: 'Inner circle',
      memberIds: [member.id, removed.id],
    });
    groupId = group.id;
    const send = (u: TestUser, body: string) =>
      u.api.messages.send({ groupId, clientId: `c_${randomUUID()}`, body });
    ownerMessage = (await send(owner, 'welcome')).id;
    memberMessage = (await send(member, 'hi all')).id;
    const last = await send(removed, 'my last words');
    removedMessage = last.id;
    removedClientId = last.clientId;
    // A clip without a title yet: an outsider must not be able to fill it in.
    await owner.api.messages.send({
      groupId,
      clientId: `c_${randomUUID()}`,
      clip: { url: CLIP_URL },
    });
    await owner.api.messages.react({ messageId: memberMessage, emoji: '👍' });
    await owner.api.groups.removeMember({ groupId, userId: removed.id });
  });
  afterAll(() => database?.close());

  /**
   * Every way an outsider could touch the group, per procedure. `other` is the other outsider,
   * a friend of the caller, for the calls that add people.
   */
  function attempts(caller: TestUser, other: TestUser): Record<string, (() => Promise<unknown>)[]> {
    const { groups, messages } = caller.api;
    const messageIds = [ownerMessage, memberMessage, removedMessage];
    return {
      'groups.get': [() => groups.get({ groupId })],
      'groups.addMembers': [
        () => groups.addMembers({ groupId, userIds: [other.id] }),
        () => groups.addMembers({ groupId, userIds: [caller.id] }),
      ],
      'groups.removeMember': [() => groups.removeMember({ groupId, userId: member.id })],
      'groups.leave': [() => groups.leave({ groupId })],
      'groups.rename': [() => groups.rename({ groupId, name: 'taken over' })],
      'groups.setRole': [
        () => groups.setRole({ groupId, userId: member.id, role: 'admin' }),
        () => groups.setRole({ groupId, userId: caller.id, role: 'admin' }),
      ],
      'groups.mute': [() => groups.mute({ groupId, muted: true })],
      // The group is no message request, and the caller is nobody it asked.
      'groups.acceptRequest': [() => groups.acceptRequest({ groupId })],
      'groups.declineRequest': [() => groups.declineRequest({ groupId })],
      'messages.send': [
        () => messages.send({ groupId, clientId: `c_${randomUUID()}`, body: 'let me in' }),
        () =>
          messages.send({
            groupId,
            clientId: `c_${randomUUID()}`,
            body: 'reply',
            replyTo: ownerMessage,
          }),
        () =>
          messages.send({
            groupId,
            clientId: `c_${randomUUID()}`,
            clip: { url: CLIP_URL, title: 'Renamed by an outsider' },
          }),
      ],
      'messages.list': [
        () => messages.list({ groupId }),
        () => messages.list({ groupId, afterSeq: 0 }),
        () => messages.list({ groupId, beforeSeq: 3 }),
      ],
      'messages.edit': messageIds.map((messageId) => () => messages.edit({ messageId, body: 'x' })),
      'messages.delete': messageIds.map((messageId) => () => messages.delete({ messageId })),
      'messages.react': messageIds.map(
        (messageId) => () => messages.react({ messageId, emoji: '👍' }),
      ),
      'messages.report': messageIds.map(
        (messageId) => () => messages.report({ messageId, reason: 'spam' }),
      ),
      'messages.markRead': [() => messages.markRead({ groupId, seq: 3 })],
      'messages.typing': [() => messages.typing({ groupId })],
      'clips.share': [
        () => caller.api.clips.share({ groupIds: [groupId], url: CLIP_URL, title: 'Mine now' }),
        () =>
          caller.api.clips.share({
            groupIds: [groupId],
            url: CLIP_URL,
            clientId: `c_${randomUUID().slice(0, 20)}`,
          }),
      ],
      'clips.thread': [() => caller.api.clips.thread({ groupId, url: CLIP_URL })],
    };
  }

  it('the attempts below cover every procedure that takes a group or message id', () => {
    const covered = Object.keys(attempts(stranger, removed)).sort();
    expect(groupScopedProcedures()).toEqual(covered);
  });

  describe.each([
    ['a stranger', () => ({ caller: stranger, other: removed })],
    ['a removed member', () => ({ caller: removed, other: stranger })],
  ])('as %s', (_who, pick) => {
    it('every group-scoped procedure is refused and nothing changes', async () => {
      const { caller, other } = pick();
      // The caller's session works: the refusals below are about the group, not the token.
      expect((await caller.api.auth.me()).id).toBe(caller.id);
      const published: BusEvent[] = [];
      const stop = deps.bus.subscribe((e) => published.push(e));
      try {
        const before = await dbSnapshot(database.db);
        for (const [path, calls] of Object.entries(attempts(caller, other))) {
          for (const [i, call] of calls.entries()) {
            const error = await refusal(call());
            const allowed = BY_MESSAGE_ID.has(path) ? ['NOT_FOUND', 'FORBIDDEN'] : ['NOT_FOUND'];
            expect(allowed, `${path} #${i} answered ${error.code}: ${error.message}`).toContain(
              error.code,
            );
            expect(await dbSnapshot(database.db), `${path} #${i} changed the database`).toEqual(
              before,
            );
          }
        }
        expect(published, 'refused calls published events').toEqual([]);
      } finally {
        stop();
      }
    });

    it('the group answers exactly like one that does not exist', async () => {
      const { caller } = pick();
      const real = await refusal(caller.api.groups.get({ groupId }));
      const none = await refusal(caller.api.groups.get({ groupId: randomUUID() }));
      expect({ code: real.code, message: real.message }).toEqual({
        code: none.code,
        message: none.message,
      });
      const sent = await refusal(
        caller.api.messages.send({ groupId, clientId: `c_${randomUUID()}`, body: 'hi' }),
      );
      const sentNone = await refusal(
        caller.api.messages.send({
          groupId: randomUUID(),
          clientId: `c_${randomUUID()}`,
          body: 'hi',
        }),
      );
      expect([sent.code, sent.message]).toEqual([sentNone.code, sentNone.message]);
      const edit = await refusal(
        caller.api.messages.react({ messageId: ownerMessage, emoji: '👍' }),
      );
      const editNone = await refusal(
        caller.api.messages.react({ messageId: randomUUID(), emoji: '👍' }),
      );
      expect([edit.code, edit.message]).toEqual([editNone.code, editNone.message]);
    });

    it('the group is not in their list', async () => {
      const { caller } = pick();
      const list = await caller.api.groups.list();
      expect(list.map((g) => g.id)).not.toContain(groupId);
    });
  });

  it('a removed member cannot replay an old send to read the message back', async () => {
    const before = await dbSnapshot(database.db);
    for (const clientId of [removedClientId, `c_${randomUUID()}`]) {
      const error = await refusal(
        removed.api.messages.send({ groupId, clientId, body: 'my last words' }),
      );
      expect(error.code).toBe('NOT_FOUND');
    }
    expect(await dbSnapshot(database.db)).toEqual(before);
  });

  it('members still can do what outsiders cannot (the calls above are well formed)', async () => {
    expect((await member.api.groups.get({ groupId })).members.map((m) => m.id).sort()).toEqual(
      [owner.id, member.id].sort(),
    );
    expect((await member.api.messages.list({ groupId })).messages).toHaveLength(4);
    expect((await member.api.clips.thread({ groupId, url: CLIP_URL })).messages).toHaveLength(1);
    expect(await member.api.messages.typing({ groupId })).toEqual({ sent: true });
  });

  describe('anonymous callers', () => {
    const paths = procedurePaths();

    it('the public procedures exist and are reachable without a token', async () => {
      for (const path of PUBLIC_PROCEDURES) {
        expect(paths.map((p) => p.path)).toContain(path);
        const anon = await callerFor(deps);
        // Bad input, so nothing is created: what matters is that it is not UNAUTHORIZED.
        const error = await refusal(procedureOf(anon, path)({}));
        expect(error.code).toBe('BAD_REQUEST');
      }
    });

    it.each(paths.filter((p) => !PUBLIC_PROCEDURES.has(p.path)))(
      '$path ($type) refuses a caller without a valid token',
      async ({ path, type }) => {
        const before = await dbSnapshot(database.db);
        for (const token of [null, 'not-a-real-token', owner.token.slice(0, -2)]) {
          const caller = await callerFor(deps, token);
          for (const input of [undefined, {}, { groupId }]) {
            const error = await refusal(
              Promise.resolve().then(() => procedureOf(caller, path)(input)),
            );
            expect(error.code, `${path} with ${JSON.stringify(input)}`).toBe('UNAUTHORIZED');
          }
          if (type !== 'subscription') {
            const wire = await wireCall(deps, path, { groupId }, token);
            expect(wire.ok).toBe(false);
            if (!wire.ok) {
              expect(wire.status).toBe(401);
              expect(wire.error.data.code).toBe('UNAUTHORIZED');
            }
          }
        }
        expect(await dbSnapshot(database.db)).toEqual(before);
      },
    );
  });
});
