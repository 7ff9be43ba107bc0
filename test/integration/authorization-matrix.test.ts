import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../server/auth/password';
import type { BusEvent } from '../../server/bus';
import type { Db } from '../../server/db/client';
import type { Deps } from '../../server/deps';
import { type FakeProfiles, startFakeProfiles } from '../fakes/profiles';
import { ownChannel } from '../fixtures/channels';
import { makeBrand, makeProduct, newClientId, openShop, type Shop } from '../fixtures/commerce';
import { engines } from '../fixtures/db';
import { befriend, callerFor, signUp, type TestUser } from '../fixtures/deps';
import { dbSnapshot } from '../fixtures/snapshot';
import { procedurePaths, type WireResult, wireCall } from '../fixtures/wire';

/**
 * The authorization matrix, generated from the router's own procedure list: every procedure an
 * anonymous caller cannot use is called, with an input that is valid for the resource's owner
 * (or another rightful user), as no token, an expired token, and each kind of outsider its
 * resource has. Each call must be refused with the right code and change nothing.
 */

/** The procedures anyone may call without signing in, and why. Add new ones here, deliberately. */
const PUBLIC: Record<string, string> = {
  'auth.register': 'signing up is how an account starts',
  'auth.login': 'signing in is how a session starts',
  'clips.resolve': 'canonicalising a link reveals nothing about anyone',
  'products.get': 'widgets on brand sites show a product on sale to any visitor',
  'products.list': 'widgets on brand sites list a brand’s products on sale to any visitor',
  'shop.forClip': 'widgets and the overlay show the products tagged in a clip to any viewer',
  'shop.forClipPrefix':
    'the overlay finds tagged products by a hash prefix, for any viewer, without naming the clip',
  'checkout.create': 'guest checkout: the buyer is optional, prices come from the database',
};

const CLIP = 'https://www.youtube.com/shorts/aBcDeFgHiJk';
/** A clip on the member's verified TikTok channel. */
const MEMBER_CLIP = 'https://www.tiktok.com/@member_chan/video/7300000000000000777';

/** The people of the world below. `expired` is the owner with a session past its expiry. */
type Actor =
  | 'owner'
  | 'member'
  | 'removed'
  | 'stranger'
  | 'blocked'
  | 'shopper'
  | 'rival'
  | 'buyer';
/**
 * Every kind of outsider, each tried against every procedure (anonymous, expired and malformed
 * tokens are tried against every procedure that needs a sign-in):
 * - stranger: signed in, unrelated to the owner;
 * - removed: was in the owner's group, removed from it;
 * - blocked: the owner blocked them after a direct thread (blocked in a direct thread);
 * - shopper: asked the owner's brand a question, then the owner blocked them (blocked in a
 *   brand thread);
 * - blocker: the owner, acting toward the people they blocked (their direct and brand threads);
 * - rival: owns another brand.
 * (A block in a group thread silences nobody: blocks.test.ts checks both still talk there.)
 */
type Outsider = 'stranger' | 'removed' | 'blocked' | 'shopper' | 'blocker' | 'rival';
const OUTSIDERS: Outsider[] = ['stranger', 'removed', 'blocked', 'shopper', 'blocker', 'rival'];
const TOKEN_OF: Record<Outsider, Actor> = {
  stranger: 'stranger',
  removed: 'removed',
  blocked: 'blocked',
  shopper: 'shopper',
  blocker: 'owner',
  rival: 'rival',
};
type Code = 'NOT_FOUND' | 'FORBIDDEN';

/**
 * What a procedure acts on, and so which outsiders must be refused:
 * - group: a group or a message in it; a stranger and a removed member learn nothing (NOT_FOUND);
 * - brand: a brand the owner runs; a stranger and another brand's owner are refused;
 * - order: an order of the owner's brand; a stranger and another brand's owner learn nothing;
 * - claim: a channel claim, or a tag request to a channel's owner: only its owner may act on
 *   it, everyone else learns nothing;
 * - friend: the owner as a friend; a stranger and a user the owner blocked are refused;
 * - contact: open to anyone (an invite, asking a brand) except a user the owner blocked;
 * - self: only the caller's own account (its answers must not leak the owner's things);
 * - public: listed in PUBLIC.
 */
type Kind = 'group' | 'brand' | 'order' | 'claim' | 'friend' | 'contact' | 'self' | 'public';
interface World {
  owner: TestUser;
  member: TestUser;
  removed: TestUser;
  stranger: TestUser;
  blocked: TestUser;
  shopper: TestUser;
  rival: TestUser;
  buyer: TestUser;
  /** The owner's group: owner, member; `removed` was in it. */
  groupId: string;
  /** The direct thread between the owner and `blocked`, from before the block. */
  directId: string;
  ownerMessage: string;
  removedMessage: string;
  /** Messages the owner and the blocked user sent in the direct thread before the block. */
  directMessage: string;
  blockedDirectMessage: string;
  brandId: string;
  productId: string;
  rivalBrandId: string;
  orderId: string;
  /** A paid order of the owner's brand (the buyer's), ready to ship. */
  paidOrderId: string;
  inviteCode: string;
  brandThreadId: string;
  /** The shopper's thread with the owner's brand, from before the owner blocked the shopper. */
  shopperThreadId: string;
  shopperMessage: string;
  ownerBrandMessage: string;
  /** A message request from `removed` (a friend of a friend) to `member`, not yet answered. */
  requestId: string;
  /** A friend request from `buyer` to the owner, not yet answered. */
  friendRequestId: string;
  /** The owner's claim to a channel whose bio holds its code, not yet verified. */
  claimId: string;
  /** The owner's brand asking the member (verified owner of MEMBER_CLIP's channel) to tag. */
  tagRequestId: string;
}

type Input = (w: World) => unknown;
interface Refusal {
  code: Code;
  /** A different input for this outsider (their own way of reaching the owner's resource). */
  input?: Input;
}
/** One outsider's row: refused (one or more ways), or allowed, saying why. */
type Row = Refusal | Refusal[] | string;
interface Spec {
  kind: Kind;
  /** Who may make this call: the input is checked to work for them (in a rolled-back transaction). */
  by: Actor;
  input: Input;
  /** Rows for outsiders, over the kind's defaults (`DEFAULT_ROWS`). */
  refuse?: Partial<Record<Outsider, Row>>;
}

const NF = { code: 'NOT_FOUND' } as const;
const FB = { code: 'FORBIDDEN' } as const;
const SELF = 'acts on the caller’s own account only';
/**
 * What each outsider gets by default, per kind of resource. Every outsider has a row for every
 * procedure (a spec's own, else its kind's): a refusal that is tried, or the reason it is not.
 */
const DEFAULT_ROWS: Record<Kind, Partial<Record<Outsider, Row>>> = {
  // Nobody but the owner and the member is in the owner's group: everyone else learns nothing.
  group: {
    stranger: NF,
    removed: NF,
    blocked: NF,
    shopper: NF,
    rival: NF,
    blocker: 'the blocker is the owner, in the group; blocks apply in their two-person threads',
  },
  brand: {
    stranger: FB,
    removed: FB,
    blocked: FB,
    shopper: FB,
    rival: FB,
    blocker: 'the blocker owns the brand',
  },
  order: {
    stranger: NF,
    removed: NF,
    blocked: NF,
    shopper: NF,
    rival: NF,
    blocker: 'the blocker owns the order’s brand',
  },
  friend: {
    removed: 'the removed member is still the owner’s friend',
    blocker: 'the blocker is the owner',
  },
  contact: {
    stranger: 'open to anyone the owner has not blocked',
    removed: 'open to anyone the owner has not blocked',
    rival: 'open to anyone the owner has not blocked',
    blocker: 'the blocker is the owner',
  },
  claim: {
    stranger: NF,
    removed: NF,
    blocked: NF,
    shopper: NF,
    rival: NF,
    blocker: 'the blocker is the owner, whose claim it is',
  },
  self: Object.fromEntries(OUTSIDERS.map((o) => [o, SELF])),
  public: Object.fromEntries(OUTSIDERS.map((o) => [o, 'public: see PUBLIC'])),
};

/** The row for one outsider: the spec's own, else its kind's default; undefined if missing. */
function rowFor(spec: Spec, outsider: Outsider): Row | undefined {
  return spec.refuse?.[outsider] ?? DEFAULT_ROWS[spec.kind][outsider];
}

/** Friend-kind refusals for outsiders who are not the owner's friends. */
const notFriends = (code: Code) =>
  ({ stranger: { code }, blocked: { code }, shopper: { code }, rival: { code } }) as const;
const cid = () => `c_${randomUUID().replace(/-/g, '')}`;

/**
 * One valid input per procedure, keyed by path. A procedure missing here fails the suite, so a
 * new procedure cannot go unchecked.
 */
const SPECS: Record<string, Spec> = {
  'auth.register': {
    kind: 'public',
    by: 'stranger',
    input: () => ({ handle: `new_${randomUUID().slice(0, 8)}`, password: 'long enough pw' }),
  },
  'auth.login': {
    kind: 'public',
    by: 'stranger',
    input: (w) => ({ handle: w.owner.handle, password: 'correct horse battery' }),
  },
  'auth.me': { kind: 'self', by: 'owner', input: () => undefined },
  'auth.update': { kind: 'self', by: 'owner', input: () => ({ displayName: 'Renamed' }) },
  'auth.logout': { kind: 'self', by: 'owner', input: () => undefined },
  'auth.logoutAll': { kind: 'self', by: 'buyer', input: () => undefined },
  'auth.changePassword': {
    kind: 'self',
    by: 'owner',
    input: () => ({ currentPassword: 'correct horse battery', newPassword: 'another long pw' }),
  },

  'account.export': { kind: 'self', by: 'owner', input: () => undefined },
  // The owner runs a brand (deletion is refused then); the member has none.
  'account.delete': {
    kind: 'self',
    by: 'member',
    input: () => ({ password: 'correct horse battery' }),
  },

  'brands.create': {
    kind: 'self',
    by: 'owner',
    input: () => ({ name: 'Another', slug: `b-${randomUUID().slice(0, 8)}` }),
  },
  'brands.mine': { kind: 'self', by: 'owner', input: () => undefined },
  'brands.connect': {
    kind: 'brand',
    by: 'owner',
    input: (w) => ({ brandId: w.brandId }),
  },
  'brands.orders': {
    kind: 'brand',
    by: 'owner',
    input: (w) => ({ brandId: w.brandId }),
  },
  'brands.update': {
    kind: 'brand',
    by: 'owner',
    input: (w) => ({
      brandId: w.brandId,
      shippingCountries: ['FR'],
      allowedOrigins: ['https://evil.example'],
      supportEmail: 'evil@example.com',
    }),
  },
  'brands.threads': {
    kind: 'brand',
    by: 'owner',
    input: (w) => ({ brandId: w.brandId }),
  },
  'brands.ask': {
    kind: 'contact',
    by: 'stranger',
    input: (w) => ({ brandId: w.brandId, body: 'Does it come in blue?', clientId: cid() }),
    // Blocked either way: no new question, no new thread, and not told why.
    refuse: { blocked: FB, shopper: FB, blocker: 'the blocker owns the brand' },
  },

  'checkout.create': {
    kind: 'public',
    by: 'stranger',
    input: (w) => ({ items: [{ productId: w.productId, quantity: 1 }], source: { url: CLIP } }),
  },

  'clips.resolve': { kind: 'public', by: 'stranger', input: () => ({ url: CLIP }) },
  'clips.activity': { kind: 'self', by: 'member', input: () => ({ url: CLIP }) },
  'clips.share': {
    kind: 'group',
    by: 'member',
    input: (w) => ({ groupIds: [w.groupId], url: CLIP, title: 'Mine now', note: 'look' }),
    refuse: {
      blocked: {
        code: 'FORBIDDEN',
        input: (w) => ({ groupIds: [w.directId], url: CLIP, note: 'still here' }),
      },
      shopper: {
        code: 'FORBIDDEN',
        input: (w) => ({ groupIds: [w.shopperThreadId], url: CLIP, note: 'still here' }),
      },
      blocker: [
        { code: 'FORBIDDEN', input: (w) => ({ groupIds: [w.directId], url: CLIP }) },
        { code: 'FORBIDDEN', input: (w) => ({ groupIds: [w.shopperThreadId], url: CLIP }) },
      ],
    },
  },
  'clips.thread': {
    kind: 'group',
    by: 'member',
    input: (w) => ({ groupId: w.groupId, url: CLIP }),
  },

  'friends.createInvite': { kind: 'self', by: 'owner', input: () => ({ maxUses: 2 }) },
  'friends.list': { kind: 'self', by: 'owner', input: () => undefined },
  'friends.blocked': { kind: 'self', by: 'owner', input: () => undefined },
  // Anyone may block anyone: it only ever limits the one who blocks.
  'friends.block': { kind: 'self', by: 'stranger', input: (w) => ({ userId: w.owner.id }) },
  'friends.acceptInvite': {
    kind: 'contact',
    by: 'stranger',
    input: (w) => ({ code: w.inviteCode }),
    refuse: { blocked: FB, shopper: FB },
  },
  'friends.request': {
    kind: 'contact',
    by: 'stranger',
    input: (w) => ({ handle: w.owner.handle }),
    // Blocked either way: the same answer as a handle nobody has.
    refuse: {
      blocked: NF,
      shopper: NF,
      blocker: [
        { code: 'NOT_FOUND', input: (w) => ({ handle: w.blocked.handle }) },
        { code: 'NOT_FOUND', input: (w) => ({ handle: w.shopper.handle }) },
      ],
      removed:
        'the removed member is the owner’s friend already (CONFLICT, friend-requests.test.ts)',
    },
  },
  'friends.requests': { kind: 'self', by: 'owner', input: () => undefined },
  // Only the one asked answers; everyone else, the asker included, learns nothing.
  'friends.respond': {
    kind: 'self',
    by: 'owner',
    input: (w) => ({ requestId: w.friendRequestId, accept: true }),
    refuse: {
      stranger: NF,
      removed: NF,
      blocked: NF,
      shopper: NF,
      rival: NF,
      blocker: 'the blocker is the owner, who was asked',
    },
  },
  // Only the asker takes a request back; the one asked (the owner) declines instead.
  'friends.cancelRequest': {
    kind: 'self',
    by: 'buyer',
    input: (w) => ({ requestId: w.friendRequestId }),
    refuse: { stranger: NF, removed: NF, blocked: NF, shopper: NF, rival: NF, blocker: NF },
  },
  'friends.remove': {
    kind: 'friend',
    by: 'member',
    input: (w) => ({ userId: w.owner.id }),
    refuse: notFriends('NOT_FOUND'),
  },
  'friends.unblock': {
    kind: 'friend',
    by: 'owner',
    input: (w) => ({ userId: w.blocked.id }),
    refuse: {
      stranger: NF,
      rival: NF,
      removed: NF,
      // The blocked users cannot lift the owner's block by naming the owner.
      blocked: { code: 'NOT_FOUND', input: (w) => ({ userId: w.owner.id }) },
      shopper: { code: 'NOT_FOUND', input: (w) => ({ userId: w.owner.id }) },
    },
  },

  'groups.create': {
    kind: 'friend',
    by: 'member',
    input: (w) => ({ name: 'With the owner', memberIds: [w.owner.id] }),
    refuse: notFriends('FORBIDDEN'),
  },
  'groups.openDirect': {
    kind: 'friend',
    by: 'member',
    input: (w) => ({ userId: w.owner.id }),
    refuse: {
      ...notFriends('FORBIDDEN'),
      // Nor the blocker toward the people they blocked.
      blocker: [
        { code: 'FORBIDDEN', input: (w) => ({ userId: w.blocked.id }) },
        { code: 'FORBIDDEN', input: (w) => ({ userId: w.shopper.id }) },
      ],
    },
  },
  'groups.list': { kind: 'self', by: 'owner', input: () => undefined },
  'groups.requests': { kind: 'self', by: 'member', input: () => undefined },
  // Only the one asked answers a request: not a stranger, not the requester (`removed`).
  'groups.acceptRequest': {
    kind: 'group',
    by: 'member',
    input: (w) => ({ groupId: w.requestId }),
  },
  'groups.declineRequest': {
    kind: 'group',
    by: 'member',
    input: (w) => ({ groupId: w.requestId }),
  },
  'groups.get': {
    kind: 'group',
    by: 'member',
    input: (w) => ({ groupId: w.groupId }),
  },
  'groups.addMembers': {
    kind: 'group',
    by: 'owner',
    input: (w) => ({ groupId: w.groupId, userIds: [w.removed.id] }),
  },
  'groups.removeMember': {
    kind: 'group',
    by: 'owner',
    input: (w) => ({ groupId: w.groupId, userId: w.member.id }),
  },
  'groups.leave': {
    kind: 'group',
    by: 'member',
    input: (w) => ({ groupId: w.groupId }),
  },
  'groups.rename': {
    kind: 'group',
    by: 'owner',
    input: (w) => ({ groupId: w.groupId, name: 'Taken over' }),
  },
  'groups.setRole': {
    kind: 'group',
    by: 'owner',
    input: (w) => ({ groupId: w.groupId, userId: w.member.id, role: 'admin' }),
  },
  'groups.mute': {
    kind: 'group',
    by: 'member',
    input: (w) => ({ groupId: w.groupId, muted: true }),
  },

  'messages.send': {
    kind: 'group',
    by: 'member',
    input: (w) => ({
      groupId: w.groupId,
      clientId: cid(),
      body: 'let me in',
      replyTo: w.ownerMessage,
    }),
    refuse: {
      blocked: {
        code: 'FORBIDDEN',
        input: (w) => ({ groupId: w.directId, clientId: cid(), body: 'are you there?' }),
      },
      shopper: [
        {
          code: 'FORBIDDEN',
          input: (w) => ({ groupId: w.shopperThreadId, clientId: cid(), body: 'hello?' }),
        },
        {
          code: 'FORBIDDEN',
          input: (w) => ({ groupId: w.shopperThreadId, clientId: cid(), productId: w.productId }),
        },
      ],
      blocker: [
        { code: 'FORBIDDEN', input: (w) => ({ groupId: w.directId, clientId: cid(), body: 'x' }) },
        {
          code: 'FORBIDDEN',
          input: (w) => ({ groupId: w.shopperThreadId, clientId: cid(), body: 'x' }),
        },
      ],
    },
  },
  'messages.list': {
    kind: 'group',
    by: 'member',
    input: (w) => ({ groupId: w.groupId, afterSeq: 0 }),
  },
  'messages.edit': {
    kind: 'group',
    by: 'owner',
    input: (w) => ({ messageId: w.ownerMessage, body: 'edited' }),
    refuse: {
      stranger: { code: 'NOT_FOUND' },
      removed: [
        { code: 'NOT_FOUND' },
        // Not even their own message, once they are out of the group.
        { code: 'NOT_FOUND', input: (w) => ({ messageId: w.removedMessage, body: 'rewritten' }) },
      ],
      // A block stops the direct thread both ways: no rewriting what the blocker already has.
      blocked: {
        code: 'FORBIDDEN',
        input: (w) => ({ messageId: w.blockedDirectMessage, body: 'rewritten' }),
      },
      shopper: {
        code: 'FORBIDDEN',
        input: (w) => ({ messageId: w.shopperMessage, body: 'rewritten' }),
      },
      blocker: [
        { code: 'FORBIDDEN', input: (w) => ({ messageId: w.directMessage, body: 'rewritten' }) },
        {
          code: 'FORBIDDEN',
          input: (w) => ({ messageId: w.ownerBrandMessage, body: 'rewritten' }),
        },
      ],
    },
  },
  'messages.delete': {
    kind: 'group',
    by: 'owner',
    input: (w) => ({ messageId: w.ownerMessage }),
    refuse: {
      stranger: { code: 'NOT_FOUND' },
      removed: [
        { code: 'NOT_FOUND' },
        { code: 'NOT_FOUND', input: (w) => ({ messageId: w.removedMessage }) },
      ],
      blocked: { code: 'NOT_FOUND' },
      shopper: { code: 'FORBIDDEN', input: (w) => ({ messageId: w.ownerBrandMessage }) },
      // Taking back one's own words reaches nobody: allowed even in a thread with a block.
      blocker: 'deleting one’s own message in a blocked thread only takes it back',
    },
  },
  'messages.react': {
    kind: 'group',
    by: 'member',
    input: (w) => ({ messageId: w.ownerMessage, emoji: '🔥' }),
    refuse: {
      blocked: { code: 'FORBIDDEN', input: (w) => ({ messageId: w.directMessage, emoji: '🔥' }) },
      shopper: {
        code: 'FORBIDDEN',
        input: (w) => ({ messageId: w.ownerBrandMessage, emoji: '🔥' }),
      },
      blocker: [
        {
          code: 'FORBIDDEN',
          input: (w) => ({ messageId: w.blockedDirectMessage, emoji: '🔥' }),
        },
        { code: 'FORBIDDEN', input: (w) => ({ messageId: w.shopperMessage, emoji: '🔥' }) },
      ],
    },
  },
  'messages.markRead': {
    kind: 'group',
    by: 'member',
    input: (w) => ({ groupId: w.groupId, seq: 2 }),
  },
  'messages.typing': {
    kind: 'group',
    by: 'member',
    input: (w) => ({ groupId: w.groupId }),
    refuse: {
      blocked: { code: 'FORBIDDEN', input: (w) => ({ groupId: w.directId }) },
      shopper: { code: 'FORBIDDEN', input: (w) => ({ groupId: w.shopperThreadId }) },
      blocker: [
        { code: 'FORBIDDEN', input: (w) => ({ groupId: w.directId }) },
        { code: 'FORBIDDEN', input: (w) => ({ groupId: w.shopperThreadId }) },
      ],
    },
  },

  'messages.report': {
    kind: 'group',
    by: 'member',
    input: (w) => ({ messageId: w.ownerMessage, reason: 'spam', note: 'not nice' }),
  },

  'orders.list': { kind: 'self', by: 'buyer', input: () => ({ limit: 10 }) },
  'orders.get': {
    kind: 'order',
    by: 'owner',
    input: (w) => ({ orderId: w.orderId }),
    refuse: { stranger: { code: 'NOT_FOUND' }, rival: { code: 'NOT_FOUND' } },
  },

  'orders.markShipped': {
    kind: 'order',
    by: 'owner',
    input: (w) => ({
      orderId: w.paidOrderId,
      carrier: 'UPS',
      trackingNumber: '1Z999AA10123456784',
    }),
  },

  'products.get': { kind: 'public', by: 'stranger', input: (w) => ({ productId: w.productId }) },
  'products.list': { kind: 'public', by: 'stranger', input: (w) => ({ brandId: w.brandId }) },
  'products.create': {
    kind: 'brand',
    by: 'owner',
    input: (w) => ({ brandId: w.brandId, title: 'Planted', priceCents: 1, currency: 'USD' }),
  },
  'products.update': {
    kind: 'brand',
    by: 'owner',
    input: (w) => ({ productId: w.productId, priceCents: 1, stock: 0 }),
  },

  'shop.forClip': { kind: 'public', by: 'stranger', input: () => ({ url: CLIP }) },
  'shop.forClipPrefix': { kind: 'public', by: 'stranger', input: () => ({ prefix: 'abcd' }) },
  'shop.tag': {
    kind: 'brand',
    by: 'owner',
    input: (w) => ({ brandId: w.brandId, url: CLIP, productId: w.productId, fromSeconds: 1 }),
    refuse: {
      // Without a brand, as a creator: the clip is on the member's channel, not theirs.
      stranger: [
        FB,
        { code: 'FORBIDDEN', input: (w) => ({ url: MEMBER_CLIP, productId: w.productId }) },
      ],
      rival: [
        { code: 'FORBIDDEN' },
        // Another brand's owner cannot tag the owner's product on their own brand either.
        {
          code: 'NOT_FOUND',
          input: (w) => ({ brandId: w.rivalBrandId, url: CLIP, productId: w.productId }),
        },
      ],
    },
  },
  'shop.untag': {
    kind: 'brand',
    by: 'owner',
    input: (w) => ({ brandId: w.brandId, url: CLIP, productId: w.productId }),
    refuse: {
      stranger: [
        FB,
        { code: 'FORBIDDEN', input: (w) => ({ url: MEMBER_CLIP, productId: w.productId }) },
      ],
      rival: [
        { code: 'FORBIDDEN' },
        {
          code: 'NOT_FOUND',
          input: (w) => ({ brandId: w.rivalBrandId, url: CLIP, productId: w.productId }),
        },
      ],
    },
  },
  'shop.tags': {
    kind: 'brand',
    by: 'owner',
    input: (w) => ({ brandId: w.brandId }),
  },

  'shop.requestTag': {
    kind: 'brand',
    by: 'owner',
    input: (w) => ({ clipUrl: MEMBER_CLIP, productId: w.productId, atSeconds: 3 }),
  },
  'shop.tagRequests': { kind: 'self', by: 'member', input: () => undefined },
  'shop.respondTag': {
    kind: 'claim',
    by: 'member',
    input: (w) => ({ requestId: w.tagRequestId, accept: true }),
    // The owner asked (through their brand) but does not own the channel: not theirs to answer.
    refuse: { blocker: NF },
  },

  'channels.claim': {
    kind: 'brand',
    by: 'owner',
    input: (w) => ({ url: 'https://www.tiktok.com/@owner_brand_chan', brandId: w.brandId }),
  },
  'channels.verify': { kind: 'claim', by: 'owner', input: (w) => ({ claimId: w.claimId }) },
  'channels.mine': { kind: 'self', by: 'owner', input: () => undefined },

  'creators.connect': { kind: 'self', by: 'member', input: () => undefined },
  'creators.earnings': { kind: 'self', by: 'member', input: () => undefined },

  'sync.events': { kind: 'self', by: 'owner', input: () => ({}) },
};

const HTTP_STATUS: Record<string, number> = { UNAUTHORIZED: 401, FORBIDDEN: 403, NOT_FOUND: 404 };

/** dbSnapshot plus the rows it does not list but a refused call could change. */
async function worldState(db: Db) {
  const rows = async (query: ReturnType<typeof sql>) =>
    (await db.execute<Record<string, unknown>>(query)).rows.map((r) => JSON.stringify(r));
  return {
    ...(await dbSnapshot(db)),
    users: await rows(
      sql`select id, handle, display_name, send_receipts, findable_by_handle from users order by id`,
    ),
    friendRequests: await rows(sql`select id, from_id, to_id from friend_requests order by id`),
    sessions: await rows(sql`select token_hash, user_id, expires_at from sessions order by 1`),
    invites: await rows(sql`select code, uses, max_uses, expires_at from invites order by code`),
    blocks: await rows(sql`select blocker_id, blocked_id from blocks order by 1, 2`),
    creatorAccounts: await rows(
      sql`select user_id, stripe_account_id, payouts_enabled from creator_accounts order by 1`,
    ),
    brands: await rows(
      sql`select id, owner_id, name, slug, stripe_account_id, charges_enabled from brands order by id`,
    ),
    products: await rows(
      sql`select id, brand_id, title, description, image_url, price_cents, currency, stock, active
          from products order by id`,
    ),
    tags: await rows(
      sql`select clip_ref, product_id, from_seconds, to_seconds from clip_products order by 1, 2`,
    ),
    orders: await rows(sql`select id, status, total_cents, buyer_id from orders order by id`),
    requests: await rows(
      sql`select group_id, from_user_id, to_user_id, status from message_requests order by 1`,
    ),
    reports: await rows(sql`select id, reporter_id, message_id, status from reports order by id`),
    consent: await rows(
      sql`select clip_ref, product_id, consent_by from clip_products order by 1, 2`,
    ),
    claims: await rows(
      sql`select id, user_id, brand_id, site, handle, state from channel_claims order by id`,
    ),
    clipChannels: await rows(sql`select clip_ref, site, handle from clip_channels order by 1`),
    tagRequests: await rows(
      sql`select id, clip_ref, product_id, state, at_seconds from tag_requests order by id`,
    ),
  };
}

/** Runs `work` against a copy of `deps` whose database is a transaction that is rolled back. */
async function rolledBack<T>(deps: Deps, work: (deps: Deps) => Promise<T>): Promise<T> {
  const rollback = new Error('rollback');
  let out: { value: T } | null = null;
  await deps.db
    .transaction(async (tx) => {
      out = { value: await work({ ...deps, db: tx as unknown as Db }) };
      throw rollback;
    })
    .catch((error: unknown) => {
      if (error !== rollback) throw error;
    });
  if (!out) throw new Error('rolled-back work did not finish');
  return (out as { value: T }).value;
}

type Outcome = { ok: true; data: unknown } | { ok: false; code: string; status: number };

/**
 * One call as the given token, the way a client makes it: over the wire (plain JSON) for queries
 * and mutations; a subscription is opened through a caller and its first event read.
 */
async function call(
  deps: Deps,
  path: string,
  type: string,
  input: unknown,
  token: string | null,
): Promise<Outcome> {
  if (type !== 'subscription') {
    const result: WireResult = await wireCall(deps, path, input, token);
    return result.ok
      ? { ok: true, data: result.data }
      : { ok: false, code: result.error.data.code, status: result.status };
  }
  const caller = (await callerFor(deps, token)) as unknown as Record<
    string,
    Record<string, (input: unknown) => Promise<AsyncIterable<unknown>>>
  >;
  const [router, name] = path.split('.') as [string, string];
  try {
    const stream = await caller[router]![name]!(input);
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    await iterator.return?.();
    return { ok: true, data: first.value };
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'UNKNOWN';
    return { ok: false, code, status: HTTP_STATUS[code] ?? 500 };
  }
}

const paths = procedurePaths();

describe.each(engines)('authorization matrix on %s', (engine) => {
  let shop: Shop;
  let profiles: FakeProfiles;
  let deps: Deps;
  let db: Db;
  let w: World;
  let expiredToken: string;
  /** Ids and codes only the owner's circle may know; outsiders' answers must not contain them. */
  let secrets: string[];

  beforeAll(async () => {
    shop = await openShop(engine);
    profiles = await startFakeProfiles();
    profiles.use(shop.deps);
    deps = shop.deps;
    db = shop.database.db;
    const [owner, member, removed, stranger, blocked, shopper, rival, buyer] = await Promise.all(
      ['owner', 'member', 'removed', 'stranger', 'blocked', 'shopper', 'rival', 'buyer'].map((p) =>
        signUp(deps, p),
      ),
    );
    if (!owner || !member || !removed || !stranger || !blocked || !shopper || !rival || !buyer)
      throw new Error('sign-up failed');
    await befriend(owner, member);
    await befriend(owner, removed);
    await befriend(owner, blocked);

    const group = await owner.api.groups.create({
      name: 'Inner circle',
      memberIds: [member.id, removed.id],
    });
    const send = (u: TestUser, groupId: string, body: string) =>
      u.api.messages.send({ groupId, clientId: cid(), body });
    const ownerMessage = (await send(owner, group.id, 'welcome')).id;
    await send(member, group.id, 'hi all');
    const removedMessage = (await send(removed, group.id, 'my last words')).id;
    await owner.api.messages.send({ groupId: group.id, clientId: cid(), clip: { url: CLIP } });
    await owner.api.groups.removeMember({ groupId: group.id, userId: removed.id });

    const direct = await owner.api.groups.openDirect({ userId: blocked.id });
    const blockedDirectMessage = (await send(blocked, direct.id, 'hey')).id;
    const directMessage = (await send(owner, direct.id, 'hey you')).id;
    await owner.api.friends.block({ userId: blocked.id });

    const brandId = (await makeBrand(shop, owner, { name: 'Owned' })).id;
    const productId = (await makeProduct(owner, brandId, { title: 'Lamp', stock: 5 })).id;
    await owner.api.shop.tag({ brandId, url: CLIP, productId });
    const rivalBrandId = (await makeBrand(shop, rival, { name: 'Rival' })).id;
    await makeProduct(rival, rivalBrandId, { title: 'Chair' });
    const order = await buyer.api.checkout.create({
      items: [{ productId, quantity: 2 }],
      source: { url: CLIP },
      clientId: newClientId(),
    });
    const paid = await buyer.api.checkout.create({
      items: [{ productId, quantity: 1 }],
      clientId: newClientId(),
    });
    await shop.fake.pay(shop.fake.sessionForOrder(paid.orderId)!.id as string);
    const asked = await buyer.api.brands.ask({ brandId, body: 'Still in stock?', clientId: cid() });
    const shopperAsked = await shopper.api.brands.ask({ brandId, body: 'Blue?', clientId: cid() });
    const ownerBrandMessage = (await send(owner, shopperAsked.group.id, 'Yes, blue.')).id;
    await owner.api.friends.block({ userId: shopper.id });
    const invite = await owner.api.friends.createInvite({ maxUses: 5 });
    // `removed` and `member` share a friend (the owner): a direct thread between them is a request.
    const request = await removed.api.groups.openDirect({ userId: member.id });
    const friendRequest = await buyer.api.friends.request({ handle: owner.handle });
    if (friendRequest.status !== 'requested') throw new Error('expected a friend request');
    // The member's verified channel, asked by the owner's brand to show the lamp in a clip; the
    // owner's claim to another channel, its code in the bio, not yet verified.
    await ownChannel(profiles, member, 'https://www.tiktok.com/@member_chan');
    const tagRequest = await owner.api.shop.requestTag({ clipUrl: MEMBER_CLIP, productId });
    const claim = await owner.api.channels.claim({ url: 'https://www.tiktok.com/@owner_chan' });
    profiles.setBio('tiktok', 'owner_chan', `hello ${claim.code}`);
    await send(removed, request.id, 'hello from a friend of a friend');

    // The owner's second session, expired: the owner's own token must stop working.
    const anon = await callerFor(deps);
    expiredToken = (
      await anon.auth.login({ handle: owner.handle, password: 'correct horse battery' })
    ).token;
    await db.execute(
      sql`update sessions set expires_at = now() - interval '1 day'
          where token_hash = ${hashToken(expiredToken)}`,
    );

    w = {
      owner,
      member,
      removed,
      stranger,
      blocked,
      shopper,
      rival,
      buyer,
      groupId: group.id,
      directId: direct.id,
      ownerMessage,
      removedMessage,
      directMessage,
      blockedDirectMessage,
      brandId,
      productId,
      rivalBrandId,
      orderId: order.orderId,
      paidOrderId: paid.orderId,
      inviteCode: invite.code,
      brandThreadId: asked.group.id,
      shopperThreadId: shopperAsked.group.id,
      shopperMessage: shopperAsked.message!.id,
      ownerBrandMessage,
      requestId: request.id,
      friendRequestId: friendRequest.request.id,
      claimId: claim.claimId,
      tagRequestId: tagRequest.requestId,
    };
    secrets = [
      w.groupId,
      w.directId,
      w.ownerMessage,
      w.removedMessage,
      w.directMessage,
      w.orderId,
      w.paidOrderId,
      w.inviteCode,
      w.brandThreadId,
      w.shopperThreadId,
      w.friendRequestId,
      w.claimId,
      w.tagRequestId,
    ];
  });
  afterAll(async () => {
    await shop?.close();
    await profiles?.close();
  });

  it('every procedure has an input builder, and every builder a procedure', () => {
    const missing = paths.map((p) => p.path).filter((p) => !(p in SPECS));
    expect(
      missing,
      'add these procedures to SPECS (and to PUBLIC if anonymous callers may use them)',
    ).toEqual([]);
    const stale = Object.keys(SPECS).filter((p) => !paths.some((q) => q.path === p));
    expect(stale, 'SPECS names procedures that no longer exist').toEqual([]);
  });

  it('each spec has a row for every kind of outsider: a refusal, or why not', () => {
    for (const [path, spec] of Object.entries(SPECS)) {
      for (const outsider of OUTSIDERS)
        expect(
          rowFor(spec, outsider),
          `${path} (${spec.kind}) needs a ${outsider} row in its spec or in DEFAULT_ROWS`,
        ).toBeTruthy();
      expect(spec.kind === 'public', `${path}: kind public ⇔ listed in PUBLIC`).toBe(
        path in PUBLIC,
      );
    }
  });

  it('PUBLIC is exactly the procedures that answer an anonymous caller with a valid input', async () => {
    const open: string[] = [];
    for (const { path, type } of paths) {
      // Sign-in is checked before the input, so even a procedure with no builder yet (`{}`)
      // shows whether it is public.
      const input = SPECS[path]?.input(w) ?? {};
      const outcome = await rolledBack(deps, (d) => call(d, path, type, input, null));
      if (outcome.ok || outcome.code !== 'UNAUTHORIZED') open.push(path);
      if (path in PUBLIC) expect(outcome, `${path} anonymously`).toMatchObject({ ok: true });
    }
    expect(open.sort(), 'public procedures missing from PUBLIC, or listed but not public').toEqual(
      Object.keys(PUBLIC).sort(),
    );
  });

  describe.each(paths)('$path', ({ path, type }) => {
    const spec = () => {
      const found = SPECS[path];
      if (!found) throw new Error(`No input builder for ${path}: add it to SPECS in this file.`);
      return found;
    };

    it('the input is valid: the rightful caller succeeds with it', async () => {
      const { by, input } = spec();
      const token = w[by].token;
      const outcome =
        type === 'subscription'
          ? await call(deps, path, type, input(w), token)
          : await rolledBack(deps, (d) => call(d, path, type, input(w), token));
      expect(outcome, `${path} as ${by}`).toMatchObject({ ok: true });
    });

    // Public procedures have nobody to refuse; their reasons are checked above.
    if (SPECS[path]?.kind !== 'public')
      it('is refused with the right code to everyone it is not for, changing nothing', async () => {
        const { input } = spec();
        const attempts: { who: string; token: string | null; input: unknown; code: string }[] = [
          { who: 'no token', token: null, input: input(w), code: 'UNAUTHORIZED' },
          { who: 'an expired token', token: expiredToken, input: input(w), code: 'UNAUTHORIZED' },
          {
            who: 'a malformed token',
            token: `${w.owner.token}x`,
            input: input(w),
            code: 'UNAUTHORIZED',
          },
        ];
        for (const outsider of OUTSIDERS) {
          const row = rowFor(spec(), outsider);
          if (row === undefined || typeof row === 'string') continue;
          for (const r of [row].flat()) {
            attempts.push({
              who: outsider,
              token: w[TOKEN_OF[outsider]].token,
              input: (r.input ?? input)(w),
              code: r.code,
            });
          }
        }
        const published: BusEvent[] = [];
        const stop = deps.bus.subscribe((e) => published.push(e));
        try {
          const before = await worldState(db);
          for (const attempt of attempts) {
            const what = `${path} as ${attempt.who} with ${JSON.stringify(attempt.input)}`;
            const outcome = await call(deps, path, type, attempt.input, attempt.token);
            expect(outcome, what).toMatchObject({
              ok: false,
              code: attempt.code,
              status: HTTP_STATUS[attempt.code],
            });
            expect(await worldState(db), `${what} changed the database`).toEqual(before);
          }
          expect(published, `${path}: refused calls published events`).toEqual([]);
        } finally {
          stop();
        }
      });

    if (SPECS[path]?.kind === 'self' && type === 'query')
      it('answers an outsider about their own account only', async () => {
        // (The blocked user is still in the direct thread with the owner, so not asked here.)
        for (const who of ['stranger', 'removed', 'rival'] as const) {
          const outcome = await call(deps, path, type, spec().input(w), w[who].token);
          expect(outcome, `${path} as ${who}`).toMatchObject({ ok: true });
          const text = JSON.stringify(outcome.ok ? outcome.data : null);
          for (const secret of secrets) expect(text, `${path} as ${who}`).not.toContain(secret);
        }
      });
  });
});
