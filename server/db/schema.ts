import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  bigserial,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  real,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

export type GroupAdds = 'friends' | 'nobody';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    handle: text('handle').notNull(),
    displayName: text('display_name').notNull(),
    passwordHash: text('password_hash').notNull(),
    sendReceipts: boolean('send_receipts').notNull().default(true),
    /** Who may put me in a group: my friends (the default) or nobody. */
    groupAdds: text('group_adds').$type<GroupAdds>().notNull().default('friends'),
    /** Whether others may send me a friend request by my handle (invite links always work). */
    findableByHandle: boolean('findable_by_handle').notNull().default(true),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('users_handle_lower_idx').on(sql`lower(${t.handle})`)],
);

/** Only the SHA-256 of a session token is stored; the token itself lives with the client. */
export const sessions = pgTable(
  'sessions',
  {
    tokenHash: text('token_hash').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

export const invites = pgTable('invites', {
  code: text('code').primaryKey(),
  inviterId: uuid('inviter_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  maxUses: integer('max_uses').notNull().default(1),
  uses: integer('uses').notNull().default(0),
  createdAt: createdAt(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
});

/** A friendship is stored once in each direction, so "my friends" is a single indexed lookup. */
export const friendships = pgTable(
  'friendships',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    friendId: uuid('friend_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.friendId] })],
);

/**
 * A friend request by handle, from `fromId` to `toId`, not yet answered. Accepting, declining or
 * cancelling deletes it; a request to someone who has already asked makes friends at once.
 */
export const friendRequests = pgTable(
  'friend_requests',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    fromId: uuid('from_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    toId: uuid('to_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('friend_requests_pair_idx').on(t.fromId, t.toId),
    index('friend_requests_to_idx').on(t.toId),
  ],
);

export const blocks = pgTable(
  'blocks',
  {
    blockerId: uuid('blocker_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    blockedId: uuid('blocked_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.blockerId, t.blockedId] })],
);

export type GroupKind = 'group' | 'direct' | 'brand';

export const groups = pgTable('groups', {
  id: uuid('id').primaryKey().defaultRandom(),
  kind: text('kind').$type<GroupKind>().notNull(),
  name: text('name').notNull(),
  /** For direct threads: the two user ids, sorted and joined, so one pair has one thread. */
  directKey: text('direct_key').unique(),
  /** Highest message seq handed out; bumped under the group's row lock. */
  lastSeq: integer('last_seq').notNull().default(0),
  createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
  createdAt: createdAt(),
  archivedAt: timestamp('archived_at', { withTimezone: true }),
  /** For brand threads (kind 'brand'): the brand whose owner answers. */
  brandId: uuid('brand_id').references((): AnyPgColumn => brands.id, { onDelete: 'set null' }),
});

export type MemberRole = 'owner' | 'admin' | 'member';

export const groupMembers = pgTable(
  'group_members',
  {
    groupId: uuid('group_id')
      .notNull()
      .references(() => groups.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role').$type<MemberRole>().notNull().default('member'),
    lastReadSeq: integer('last_read_seq').notNull().default(0),
    muted: boolean('muted').notNull().default(false),
    /** Events before this id belong to the time before the user joined and are not theirs to see. */
    joinedEventId: bigint('joined_event_id', { mode: 'number' }).notNull().default(0),
    joinedAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.groupId, t.userId] }),
    index('group_members_user_idx').on(t.userId),
  ],
);

/**
 * The spans a user was a member of a group: a member sees what was said while they were one.
 * Messages with `from_seq < seq <= to_seq` and events with `from_event_id <= id <= to_event_id`
 * are theirs (an open span has no end). A removal closes the span; re-adding opens a new one,
 * so what was said while they were out stays hidden from them.
 */
export const memberPeriods = pgTable(
  'member_periods',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    groupId: uuid('group_id')
      .notNull()
      .references(() => groups.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    fromSeq: integer('from_seq').notNull(),
    toSeq: integer('to_seq'),
    fromEventId: bigint('from_event_id', { mode: 'number' }).notNull().default(0),
    toEventId: bigint('to_event_id', { mode: 'number' }),
  },
  (t) => [
    index('member_periods_group_user_idx').on(t.groupId, t.userId, t.fromSeq),
    index('member_periods_user_idx').on(t.userId, t.toEventId),
  ],
);

export const clips = pgTable(
  'clips',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    site: text('site').notNull(),
    clipId: text('clip_id').notNull(),
    url: text('url').notNull(),
    /**
     * Neither written nor read, and cleared by migration 0006: a clip's title and thumbnail are
     * kept per message (see `messages`), since this row is shared by strangers. Kept only so a
     * server of the previous version keeps working during an upgrade; not to be shown to anyone.
     */
    title: text('title'),
    thumbnailUrl: text('thumbnail_url'),
    /**
     * Hex SHA-256 of `site:clipId`: shops are looked up by a short prefix of it
     * (`shop.forClipPrefix`), so a viewer's lookup does not name the clip.
     */
    keyHash: text('key_hash').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('clips_site_clip_idx').on(t.site, t.clipId),
    index('clips_key_hash_idx').on(t.keyHash.op('text_pattern_ops')),
  ],
);

export type MessageKind = 'text' | 'clip' | 'product' | 'system';

export const messages = pgTable(
  'messages',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    groupId: uuid('group_id')
      .notNull()
      .references(() => groups.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    senderId: uuid('sender_id').references(() => users.id, { onDelete: 'set null' }),
    clientId: text('client_id').notNull(),
    kind: text('kind').$type<MessageKind>().notNull().default('text'),
    body: text('body'),
    clipRef: uuid('clip_ref').references(() => clips.id),
    /**
     * What this share said of its clip: the title and thumbnail a group sees come from its own
     * messages, never from the shared `clips` row another group's share could have filled.
     */
    clipTitle: text('clip_title'),
    clipThumbnailUrl: text('clip_thumbnail_url'),
    atSeconds: real('at_seconds'),
    productId: uuid('product_id'),
    replyTo: uuid('reply_to'),
    createdAt: createdAt(),
    editedAt: timestamp('edited_at', { withTimezone: true }),
    deletedAt: timestamp('deleted_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('messages_group_seq_idx').on(t.groupId, t.seq),
    uniqueIndex('messages_sender_client_idx').on(t.senderId, t.clientId),
    index('messages_group_clip_idx').on(t.groupId, t.clipRef),
  ],
);

export const reactions = pgTable(
  'reactions',
  {
    messageId: uuid('message_id')
      .notNull()
      .references(() => messages.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    emoji: text('emoji').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.messageId, t.userId, t.emoji] })],
);

/**
 * Everything `sync.events` replays. Ids are handed out under one advisory lock held until
 * commit, so id order is commit order and "everything after id N" never skips a late commit.
 */
export const events = pgTable(
  'events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    groupId: uuid('group_id')
      .notNull()
      .references(() => groups.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    /** Set when an event is about one user (member removed, read receipt), for filtering. */
    userId: uuid('user_id'),
    payload: jsonb('payload').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index('events_group_id_idx').on(t.groupId, t.id),
    // Replay finds the events about one user (their removal from a group) without a scan.
    index('events_user_id_idx').on(t.userId, t.id).where(sql`${t.userId} is not null`),
  ],
);

/** A seller. Its owner alone manages its products, tags and orders. */
export const brands = pgTable(
  'brands',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    slug: text('slug').notNull(),
    /** The brand's Stripe Connect Express account, created once by `brands.connect`. */
    stripeAccountId: text('stripe_account_id').unique(),
    /** Mirrors the Stripe account: checkout refuses until charges are enabled. */
    chargesEnabled: boolean('charges_enabled').notNull().default(false),
    detailsSubmitted: boolean('details_submitted').notNull().default(false),
    payoutsEnabled: boolean('payouts_enabled').notNull().default(false),
    /** Stripe time (seconds) of the account state recorded, so an older update never wins. */
    stripeSyncedAt: bigint('stripe_synced_at', { mode: 'number' }).notNull().default(0),
    /** When a return page last asked Stripe about the account (at most once a minute). */
    stripeCheckedAt: timestamp('stripe_checked_at', { withTimezone: true }),
    /** ISO 3166-1 alpha-2 codes Checkout collects shipping addresses in (empty: no shipping). */
    shippingCountries: text('shipping_countries').array().notNull().default(sql`'{}'::text[]`),
    /** Origins (scheme://host[:port]) a checkout may send the buyer back to. */
    allowedOrigins: text('allowed_origins').array().notNull().default(sql`'{}'::text[]`),
    /** Where buyers write about an order. */
    supportEmail: text('support_email'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('brands_slug_idx').on(t.slug), index('brands_owner_idx').on(t.ownerId)],
);

/** Money is integer minor units (`price_cents`) plus an upper-case ISO currency code. */
export const products = pgTable(
  'products',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    brandId: uuid('brand_id')
      .notNull()
      .references(() => brands.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    description: text('description'),
    imageUrl: text('image_url'),
    priceCents: integer('price_cents').notNull(),
    currency: text('currency').notNull(),
    /** Units left; null means not tracked (never sells out). */
    stock: integer('stock'),
    active: boolean('active').notNull().default(true),
    /** A physical product: Checkout asks for a shipping address. */
    requiresShipping: boolean('requires_shipping').notNull().default(true),
    /**
     * Commission a creator earns on a sale that starts from their own clip, in basis points of
     * the total (0: the brand takes no affiliates; creators cannot tag it on their clips).
     */
    affiliateBps: integer('affiliate_bps').notNull().default(0),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('products_brand_idx').on(t.brandId),
    check('products_price_positive', sql`${t.priceCents} > 0`),
    check('products_stock_nonnegative', sql`${t.stock} is null or ${t.stock} >= 0`),
    check(
      'products_affiliate_bps_range',
      sql`${t.affiliateBps} >= 0 and ${t.affiliateBps} <= 5000`,
    ),
  ],
);

/** A product shown in a clip, optionally only between two moments of it. */
export const clipProducts = pgTable(
  'clip_products',
  {
    clipRef: uuid('clip_ref')
      .notNull()
      .references(() => clips.id, { onDelete: 'cascade' }),
    productId: uuid('product_id')
      .notNull()
      .references(() => products.id, { onDelete: 'cascade' }),
    fromSeconds: real('from_seconds'),
    toSeconds: real('to_seconds'),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    /**
     * The clip's channel owner who agreed to this tag (tagged it themselves, or accepted the
     * brand's request). Counts only while that user still owns the clip's verified channel.
     */
    consentBy: uuid('consent_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.clipRef, t.productId] }),
    index('clip_products_product_idx').on(t.productId),
  ],
);

export type ChannelSite = 'tiktok' | 'youtube' | 'instagram';
export type ChannelClaimState = 'pending' | 'verified';

/**
 * A user's claim to a channel on a video site, for themselves or for a brand they own. It is
 * verified once `code` is found in the channel's public profile; a channel has at most one
 * verified claim (its owner). `handle` is lower-case, without the `@`.
 */
export const channelClaims = pgTable(
  'channel_claims',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    brandId: uuid('brand_id').references(() => brands.id, { onDelete: 'cascade' }),
    site: text('site').$type<ChannelSite>().notNull(),
    handle: text('handle').notNull(),
    code: text('code').notNull(),
    state: text('state').$type<ChannelClaimState>().notNull().default('pending'),
    createdAt: createdAt(),
    verifiedAt: timestamp('verified_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('channel_claims_code_idx').on(t.code),
    // One claim per person (and brand) per channel; one verified owner per channel.
    uniqueIndex('channel_claims_claimant_idx').on(
      t.site,
      t.handle,
      t.userId,
      sql`coalesce(${t.brandId}, '00000000-0000-0000-0000-000000000000'::uuid)`,
    ),
    uniqueIndex('channel_claims_verified_idx')
      .on(t.site, t.handle)
      .where(sql`${t.state} = 'verified'`),
    index('channel_claims_user_idx').on(t.userId),
    check('channel_claims_state_known', sql`${t.state} in ('pending', 'verified')`),
    check('channel_claims_site_known', sql`${t.site} in ('tiktok', 'youtube', 'instagram')`),
  ],
);

/**
 * Whose channel a clip is on: read from the clip's URL where it names the channel, else from
 * the clip's public page, fetched once. Never from what a client says.
 */
export const clipChannels = pgTable(
  'clip_channels',
  {
    clipRef: uuid('clip_ref')
      .primaryKey()
      .references(() => clips.id, { onDelete: 'cascade' }),
    site: text('site').$type<ChannelSite>().notNull(),
    handle: text('handle').notNull(),
    /** `url`: named by the clip's link; `page`: read from the clip's public page. */
    source: text('source').$type<'url' | 'page'>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('clip_channels_channel_idx').on(t.site, t.handle)],
);

export type TagRequestState = 'pending' | 'accepted' | 'declined';

/**
 * A brand asking a clip's channel owner to show one of its products in the clip. Whoever owns
 * the clip's verified channel at the time answers it; accepting makes the tag with their
 * consent. One request per clip and product.
 */
export const tagRequests = pgTable(
  'tag_requests',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    clipRef: uuid('clip_ref')
      .notNull()
      .references(() => clips.id, { onDelete: 'cascade' }),
    productId: uuid('product_id')
      .notNull()
      .references(() => products.id, { onDelete: 'cascade' }),
    requestedBy: uuid('requested_by').references(() => users.id, { onDelete: 'set null' }),
    atSeconds: real('at_seconds'),
    state: text('state').$type<TagRequestState>().notNull().default('pending'),
    createdAt: createdAt(),
    respondedAt: timestamp('responded_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('tag_requests_clip_product_idx').on(t.clipRef, t.productId),
    check('tag_requests_state_known', sql`${t.state} in ('pending', 'accepted', 'declined')`),
  ],
);

export type OrderStatus = 'pending' | 'paid' | 'shipped' | 'expired' | 'failed' | 'refunded';

export const ORDER_STATUSES = [
  'pending',
  'paid',
  'shipped',
  'expired',
  'failed',
  'refunded',
] as const satisfies readonly OrderStatus[];

/** A shipping address as Checkout collected it. */
export interface ShippingDetails {
  name: string | null;
  address: {
    line1: string | null;
    line2: string | null;
    city: string | null;
    state: string | null;
    postalCode: string | null;
    country: string | null;
  };
}

/**
 * One checkout: the products of one brand in one currency, priced from the database. Status
 * only moves forward (pending → paid | expired | failed, paid → refunded).
 */
export const orders = pgTable(
  'orders',
  {
    id: uuid('id').primaryKey(),
    buyerId: uuid('buyer_id').references(() => users.id, { onDelete: 'set null' }),
    brandId: uuid('brand_id')
      .notNull()
      .references(() => brands.id),
    status: text('status').$type<OrderStatus>().notNull().default('pending'),
    currency: text('currency').notNull(),
    totalCents: integer('total_cents').notNull(),
    /** The platform's share, sent to Stripe as `application_fee_amount`. */
    feeCents: integer('fee_cents').notNull(),
    refundedCents: integer('refunded_cents').notNull().default(0),
    stripeSessionId: text('stripe_session_id').unique(),
    checkoutUrl: text('checkout_url'),
    stripePaymentIntentId: text('stripe_payment_intent_id'),
    /** SHA-256 of the order's secret: only the buyer's return links carry the secret itself. */
    accessTokenHash: text('access_token_hash'),
    /** Where the Checkout Session stops taking payment (and the stock hold ends). */
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    /** An allowed page of the brand's site the return pages link back to. */
    returnUrl: text('return_url'),
    /** When a return page last asked Stripe about the session (at most once a minute). */
    stripeCheckedAt: timestamp('stripe_checked_at', { withTimezone: true }),
    /** From the completed Checkout Session: the buyer's email and shipping address. */
    email: text('email'),
    shipping: jsonb('shipping').$type<ShippingDetails>(),
    carrier: text('carrier'),
    trackingNumber: text('tracking_number'),
    trackingUrl: text('tracking_url'),
    shippedAt: timestamp('shipped_at', { withTimezone: true }),
    /** Attribution: the canonical clip link, the group it was shared in, the widget's site. */
    sourceUrl: text('source_url'),
    sourceGroupId: uuid('source_group_id').references(() => groups.id, { onDelete: 'set null' }),
    sourceWidget: text('source_widget'),
    /**
     * The creator the sale is attributed to (a purchase started from their own clip where they
     * tagged the product), or null. Such an order is a separate charge: on payment the platform
     * transfers `total − fee − creatorCents` to the brand and `creatorCents` to the creator.
     */
    creatorId: uuid('creator_id').references(() => users.id, { onDelete: 'set null' }),
    /** The creator's commission, fixed at checkout (0 without a creator). */
    creatorCents: integer('creator_cents').notNull().default(0),
    /** The creator's Connect account at checkout: the commission goes there even if they leave. */
    creatorAccountId: text('creator_account_id'),
    /** The charge the transfers are funded from (`source_transaction`). */
    stripeChargeId: text('stripe_charge_id'),
    brandTransferId: text('brand_transfer_id'),
    creatorTransferId: text('creator_transfer_id'),
    /** How much of each transfer has been reversed after refunds. */
    brandReversedCents: integer('brand_reversed_cents').notNull().default(0),
    creatorReversedCents: integer('creator_reversed_cents').notNull().default(0),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    paidAt: timestamp('paid_at', { withTimezone: true }),
    closedAt: timestamp('closed_at', { withTimezone: true }),
  },
  (t) => [
    index('orders_buyer_idx').on(t.buyerId, t.createdAt),
    index('orders_brand_idx').on(t.brandId, t.createdAt),
    index('orders_payment_intent_idx').on(t.stripePaymentIntentId),
    index('orders_creator_idx').on(t.creatorId, t.createdAt),
    check('orders_total_positive', sql`${t.totalCents} > 0`),
    check(
      'orders_creator_cents_range',
      sql`${t.creatorCents} >= 0 and ${t.creatorCents} + ${t.feeCents} <= ${t.totalCents}`,
    ),
  ],
);

/**
 * A creator's Stripe Connect Express account, for commissions on sales from their clips
 * (`creators.connect`). Mirrors the account like `brands` does; commissions are attributed
 * only while it can take transfers and payouts.
 */
export const creatorAccounts = pgTable('creator_accounts', {
  userId: uuid('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  stripeAccountId: text('stripe_account_id').notNull().unique(),
  /** The account's `transfers` capability is active and payouts are enabled. */
  payoutsEnabled: boolean('payouts_enabled').notNull().default(false),
  detailsSubmitted: boolean('details_submitted').notNull().default(false),
  /** Stripe time (seconds) of the account state recorded, so an older update never wins. */
  stripeSyncedAt: bigint('stripe_synced_at', { mode: 'number' }).notNull().default(0),
  /** When the return page last asked Stripe about the account (at most once a minute). */
  stripeCheckedAt: timestamp('stripe_checked_at', { withTimezone: true }),
  createdAt: createdAt(),
});

export const orderItems = pgTable(
  'order_items',
  {
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    productId: uuid('product_id')
      .notNull()
      .references(() => products.id),
    /** What the buyer saw when paying: title and unit price as they were then. */
    title: text('title').notNull(),
    unitPriceCents: integer('unit_price_cents').notNull(),
    quantity: integer('quantity').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.orderId, t.productId] }),
    check('order_items_quantity_range', sql`${t.quantity} between 1 and 10`),
  ],
);

/**
 * Stock held for a checkout from its start until it is paid (the hold is used up) or expires,
 * fails or is cancelled (the units go back). Made before the Checkout Session, so a hold may
 * exist without its order for a moment; the sweeper gives back holds past `expires_at` whose
 * order never came. `token` is the order's secret until the order row takes its hash.
 */
export const checkoutHolds = pgTable('checkout_holds', {
  orderId: uuid('order_id').primaryKey(),
  /** The tracked-stock units taken: [{ productId, quantity }]. */
  lines: jsonb('lines').$type<{ productId: string; quantity: number }[]>().notNull(),
  token: text('token'),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  createdAt: createdAt(),
});

/** Stripe event ids already handled; written in the same transaction as the event's effect. */
export const stripeEvents = pgTable('stripe_events', {
  id: text('id').primaryKey(),
  type: text('type').notNull(),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
});

export type MessageRequestStatus = 'pending' | 'declined';

/**
 * A direct thread opened by someone who is not the recipient's friend (a friend of a friend).
 * Until accepted, only the requester is a member: the recipient sees it in `groups.requests`,
 * not in their list, and gets no events or unread counts. Accepting adds them and drops the
 * row; declining keeps it as 'declined' so the same person cannot ask again.
 */
export const messageRequests = pgTable(
  'message_requests',
  {
    groupId: uuid('group_id')
      .primaryKey()
      .references(() => groups.id, { onDelete: 'cascade' }),
    fromUserId: uuid('from_user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    toUserId: uuid('to_user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    status: text('status').$type<MessageRequestStatus>().notNull().default('pending'),
    createdAt: createdAt(),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
  },
  (t) => [index('message_requests_to_idx').on(t.toUserId, t.status)],
);

export type ReportReason = 'spam' | 'harassment' | 'other';
export type ReportStatus = 'open' | 'closed';

/**
 * A message reported for review, with a copy of its body as it was when reported (the sender
 * may edit or delete it afterwards). A reporter has at most one open report per message.
 */
export const reports = pgTable(
  'reports',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Null once the reporter deletes their account: the report stays for review. */
    reporterId: uuid('reporter_id').references(() => users.id, { onDelete: 'set null' }),
    messageId: uuid('message_id')
      .notNull()
      .references(() => messages.id, { onDelete: 'cascade' }),
    groupId: uuid('group_id')
      .notNull()
      .references(() => groups.id, { onDelete: 'cascade' }),
    /** Who sent the reported message, when the report was made. */
    reportedUserId: uuid('reported_user_id').references(() => users.id, { onDelete: 'set null' }),
    reason: text('reason').$type<ReportReason>().notNull(),
    note: text('note'),
    bodySnapshot: text('body_snapshot'),
    status: text('status').$type<ReportStatus>().notNull().default('open'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('reports_open_once_idx')
      .on(t.reporterId, t.messageId)
      .where(sql`${t.status} = 'open'`),
    index('reports_status_idx').on(t.status, t.createdAt),
    check('reports_reason_known', sql`${t.reason} in ('spam', 'harassment', 'other')`),
    check('reports_note_length', sql`char_length(${t.note}) <= 500`),
  ],
);
