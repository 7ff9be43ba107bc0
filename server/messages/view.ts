import { and, asc, eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../db/client';
import { clips, messages, reactions, users } from '../db/schema';

/** Columns of a message as clients see it, with its sender and clip joined in. */
export const messageColumns = {
  id: messages.id,
  groupId: messages.groupId,
  seq: messages.seq,
  senderId: messages.senderId,
  senderHandle: users.handle,
  senderName: users.displayName,
  clientId: messages.clientId,
  kind: messages.kind,
  body: messages.body,
  atSeconds: messages.atSeconds,
  productId: messages.productId,
  replyTo: messages.replyTo,
  createdAt: messages.createdAt,
  editedAt: messages.editedAt,
  deletedAt: messages.deletedAt,
  clipSite: clips.site,
  clipId: clips.clipId,
  clipUrl: clips.url,
  // The message's own: another group's share of the same clip never shows here.
  clipTitle: messages.clipTitle,
  clipThumbnailUrl: messages.clipThumbnailUrl,
};

export interface ReactionSummary {
  emoji: string;
  count: number;
  userIds: string[];
}

export interface MessageView {
  id: string;
  groupId: string;
  seq: number;
  clientId: string;
  kind: string;
  sender: { id: string; handle: string; displayName: string } | null;
  body: string | null;
  clip: {
    site: string;
    clipId: string;
    url: string;
    title: string | null;
    thumbnailUrl: string | null;
  } | null;
  atSeconds: number | null;
  productId: string | null;
  replyTo: string | null;
  createdAt: string;
  editedAt: string | null;
  /** Set on a deleted message: the tombstone keeps its place in the thread, not its content. */
  deletedAt: string | null;
  reactions: ReactionSummary[];
}

export function selectMessages(db: DbOrTx) {
  return db
    .select(messageColumns)
    .from(messages)
    .leftJoin(users, eq(users.id, messages.senderId))
    .leftJoin(clips, eq(clips.id, messages.clipRef));
}

export type MessageRow = Awaited<ReturnType<typeof selectMessages>>[number];

export function toMessageView(row: MessageRow, reactionList: ReactionSummary[] = []): MessageView {
  const deleted = row.deletedAt !== null;
  return {
    id: row.id,
    groupId: row.groupId,
    seq: row.seq,
    clientId: row.clientId,
    kind: row.kind,
    sender:
      row.senderId && row.senderHandle
        ? {
            id: row.senderId,
            handle: row.senderHandle,
            displayName: row.senderName ?? row.senderHandle,
          }
        : null,
    body: deleted ? null : row.body,
    clip:
      !deleted && row.clipSite && row.clipId && row.clipUrl
        ? {
            site: row.clipSite,
            clipId: row.clipId,
            url: row.clipUrl,
            title: row.clipTitle,
            thumbnailUrl: row.clipThumbnailUrl,
          }
        : null,
    atSeconds: row.atSeconds,
    productId: deleted ? null : row.productId,
    replyTo: row.replyTo,
    createdAt: row.createdAt.toISOString(),
    editedAt: row.editedAt?.toISOString() ?? null,
    deletedAt: row.deletedAt?.toISOString() ?? null,
    reactions: deleted ? [] : reactionList,
  };
}

export async function reactionsFor(
  db: DbOrTx,
  messageIds: string[],
): Promise<Map<string, ReactionSummary[]>> {
  const out = new Map<string, ReactionSummary[]>();
  if (messageIds.length === 0) return out;
  const rows = await db
    .select({ messageId: reactions.messageId, emoji: reactions.emoji, userId: reactions.userId })
    .from(reactions)
    .where(inArray(reactions.messageId, messageIds))
    .orderBy(asc(reactions.createdAt));
  for (const row of rows) {
    const list = out.get(row.messageId) ?? [];
    let summary = list.find((r) => r.emoji === row.emoji);
    if (!summary) {
      summary = { emoji: row.emoji, count: 0, userIds: [] };
      list.push(summary);
    }
    summary.count += 1;
    summary.userIds.push(row.userId);
    out.set(row.messageId, list);
  }
  return out;
}

/** Loads messages with their reactions, as clients see them. */
export async function loadMessageViews(db: DbOrTx, rows: MessageRow[]): Promise<MessageView[]> {
  const summaries = await reactionsFor(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((row) => toMessageView(row, summaries.get(row.id)));
}

export async function loadMessage(db: DbOrTx, messageId: string): Promise<MessageView | null> {
  const [row] = await selectMessages(db)
    .where(and(eq(messages.id, messageId)))
    .limit(1);
  if (!row) return null;
  const [view] = await loadMessageViews(db, [row]);
  return view ?? null;
}
