import { TRPCError } from '@trpc/server';
import { and, asc, desc, eq, inArray, isNull, or } from 'drizzle-orm';
import { creatorEarnings } from '../creators/earnings';
import type { DbOrTx } from '../db/client';
import {
  blocks,
  brands,
  channelClaims,
  friendships,
  groupMembers,
  groups,
  invites,
  messageRequests,
  messages,
  orders,
  reactions,
  reports,
  sessions,
  users,
} from '../db/schema';
import { listRequests } from '../friends/requests';
import { selectMessages } from '../messages/view';
import { orderViews } from '../payments/orders';

/** Bumped when the shape of the export changes, so a reader can tell versions apart. */
export const EXPORT_FORMAT = 1;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * Everything the server holds about one user, as one JSON object. Other people appear only by
 * their public face (id, handle, display name); no token, hash or secret of anyone is in it.
 * Ids of groups the user is no longer in are left out (a former member learns nothing about a
 * group), but the user's own messages and reactions there are kept, without those ids.
 */
export async function exportAccount(db: DbOrTx, me: string) {
  const [profile] = await db
    .select({
      id: users.id,
      handle: users.handle,
      displayName: users.displayName,
      sendReceipts: users.sendReceipts,
      groupAdds: users.groupAdds,
      findableByHandle: users.findableByHandle,
      createdAt: users.createdAt,
    })
    .from(users)
    .where(eq(users.id, me));
  if (!profile)
    throw new TRPCError({ code: 'UNAUTHORIZED', message: 'This account no longer exists.' });

  const person = { id: users.id, handle: users.handle, displayName: users.displayName };
  const [sessionRows, friendRows, blockRows, inviteRows, groupRows] = await Promise.all([
    db
      .select({ createdAt: sessions.createdAt, expiresAt: sessions.expiresAt })
      .from(sessions)
      .where(eq(sessions.userId, me))
      .orderBy(asc(sessions.createdAt)),
    db
      .select({ ...person, since: friendships.createdAt })
      .from(friendships)
      .innerJoin(users, eq(users.id, friendships.friendId))
      .where(eq(friendships.userId, me))
      .orderBy(asc(friendships.createdAt)),
    db
      .select({ ...person, since: blocks.createdAt })
      .from(blocks)
      .innerJoin(users, eq(users.id, blocks.blockedId))
      .where(eq(blocks.blockerId, me))
      .orderBy(asc(blocks.createdAt)),
    db
      .select({
        code: invites.code,
        maxUses: invites.maxUses,
        uses: invites.uses,
        createdAt: invites.createdAt,
        expiresAt: invites.expiresAt,
      })
      .from(invites)
      .where(eq(invites.inviterId, me))
      .orderBy(asc(invites.createdAt)),
    db
      .select({
        id: groups.id,
        kind: groups.kind,
        name: groups.name,
        role: groupMembers.role,
        muted: groupMembers.muted,
        lastReadSeq: groupMembers.lastReadSeq,
        lastSeq: groups.lastSeq,
        joinedAt: groupMembers.joinedAt,
      })
      .from(groupMembers)
      .innerJoin(groups, eq(groups.id, groupMembers.groupId))
      .where(and(eq(groupMembers.userId, me), isNull(groups.archivedAt)))
      .orderBy(asc(groupMembers.joinedAt)),
  ]);
  const mine = new Set(groupRows.map((g) => g.id));

  const [messageRows, reactionRows, requestRows, orderRows, brandRows, reportRows] =
    await Promise.all([
      // The same columns clients see for a message (its clip joined in).
      selectMessages(db)
        .where(eq(messages.senderId, me))
        .orderBy(asc(messages.createdAt), asc(messages.seq)),
      db
        .select({
          messageId: reactions.messageId,
          groupId: messages.groupId,
          emoji: reactions.emoji,
          createdAt: reactions.createdAt,
        })
        .from(reactions)
        .innerJoin(messages, eq(messages.id, reactions.messageId))
        .where(eq(reactions.userId, me))
        .orderBy(asc(reactions.createdAt)),
      db
        .select({
          groupId: messageRequests.groupId,
          fromUserId: messageRequests.fromUserId,
          toUserId: messageRequests.toUserId,
          status: messageRequests.status,
          createdAt: messageRequests.createdAt,
        })
        .from(messageRequests)
        .where(or(eq(messageRequests.fromUserId, me), eq(messageRequests.toUserId, me))),
      db
        .select()
        .from(orders)
        .where(eq(orders.buyerId, me))
        .orderBy(desc(orders.createdAt), desc(orders.id)),
      db
        .select({
          id: brands.id,
          name: brands.name,
          slug: brands.slug,
          chargesEnabled: brands.chargesEnabled,
          createdAt: brands.createdAt,
        })
        .from(brands)
        .where(eq(brands.ownerId, me))
        .orderBy(asc(brands.createdAt)),
      db
        .select({
          id: reports.id,
          messageId: reports.messageId,
          groupId: reports.groupId,
          reason: reports.reason,
          note: reports.note,
          status: reports.status,
          createdAt: reports.createdAt,
        })
        .from(reports)
        .where(eq(reports.reporterId, me))
        .orderBy(asc(reports.createdAt)),
    ]);

  const requestPeers = [
    ...new Set(requestRows.map((r) => (r.fromUserId === me ? r.toUserId : r.fromUserId))),
  ];
  const peers = requestPeers.length
    ? await db.select(person).from(users).where(inArray(users.id, requestPeers))
    : [];
  const peerById = new Map(peers.map((p) => [p.id, p]));

  return {
    format: EXPORT_FORMAT,
    exportedAt: new Date().toISOString(),
    profile: {
      id: profile.id,
      handle: profile.handle,
      displayName: profile.displayName,
      createdAt: profile.createdAt.toISOString(),
    },
    settings: {
      readReceipts: profile.sendReceipts,
      groupAdds: profile.groupAdds,
      findableByHandle: profile.findableByHandle,
    },
    sessions: sessionRows.map((s) => ({
      createdAt: s.createdAt.toISOString(),
      expiresAt: s.expiresAt.toISOString(),
    })),
    friends: friendRows.map((f) => ({ ...f, since: f.since.toISOString() })),
    blocked: blockRows.map((b) => ({ ...b, since: b.since.toISOString() })),
    /** Friend requests by handle not yet answered: to me, and mine to others. */
    friendRequests: await listRequests(db, me),
    invites: inviteRows.map((i) => ({
      ...i,
      createdAt: i.createdAt.toISOString(),
      expiresAt: i.expiresAt.toISOString(),
    })),
    groups: groupRows.map((g) => ({ ...g, joinedAt: g.joinedAt.toISOString() })),
    readPositions: groupRows.map((g) => ({ groupId: g.id, lastReadSeq: g.lastReadSeq })),
    messages: messageRows.map((m) => {
      const member = mine.has(m.groupId);
      return {
        id: member ? m.id : null,
        groupId: member ? m.groupId : null,
        seq: member ? m.seq : null,
        /** False for messages in groups I have left or was removed from. */
        inCurrentGroup: member,
        kind: m.kind,
        body: m.body,
        clip:
          m.clipUrl && m.clipSite
            ? { site: m.clipSite, clipId: m.clipId, url: m.clipUrl, title: m.clipTitle }
            : null,
        atSeconds: m.atSeconds,
        productId: m.productId,
        replyTo: member ? m.replyTo : null,
        createdAt: m.createdAt.toISOString(),
        editedAt: iso(m.editedAt),
        deletedAt: iso(m.deletedAt),
      };
    }),
    reactions: reactionRows.map((r) => {
      const member = mine.has(r.groupId);
      return {
        messageId: member ? r.messageId : null,
        groupId: member ? r.groupId : null,
        emoji: r.emoji,
        createdAt: r.createdAt.toISOString(),
      };
    }),
    messageRequests: requestRows.map((r) => {
      const sent = r.fromUserId === me;
      const peer = peerById.get(sent ? r.toUserId : r.fromUserId) ?? null;
      return {
        direction: sent ? ('sent' as const) : ('received' as const),
        groupId: mine.has(r.groupId) || !sent ? r.groupId : null,
        with: peer,
        // A sender is never told that their request was declined.
        status: sent ? ('pending' as const) : r.status,
        createdAt: r.createdAt.toISOString(),
      };
    }),
    orders: await orderViews(db, orderRows, 'buyer'),
    // As a creator: my payout account's state and the commissions I earned.
    earnings: await creatorEarnings(db, me),
    brands: brandRows.map((b) => ({ ...b, createdAt: b.createdAt.toISOString() })),
    // My channel claims (the bio code is mine to know).
    channels: (
      await db
        .select({
          site: channelClaims.site,
          handle: channelClaims.handle,
          brandId: channelClaims.brandId,
          code: channelClaims.code,
          state: channelClaims.state,
          createdAt: channelClaims.createdAt,
          verifiedAt: channelClaims.verifiedAt,
        })
        .from(channelClaims)
        .where(eq(channelClaims.userId, me))
        .orderBy(asc(channelClaims.createdAt))
    ).map((c) => ({ ...c, createdAt: c.createdAt.toISOString(), verifiedAt: iso(c.verifiedAt) })),
    reports: reportRows.map((r) => {
      const member = mine.has(r.groupId);
      return {
        id: r.id,
        messageId: member ? r.messageId : null,
        groupId: member ? r.groupId : null,
        reason: r.reason,
        note: r.note,
        status: r.status,
        createdAt: r.createdAt.toISOString(),
      };
    }),
  };
}

export type AccountExport = Awaited<ReturnType<typeof exportAccount>>;
