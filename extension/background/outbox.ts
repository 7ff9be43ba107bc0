import type { TRPCClient } from '@trpc/client';
import type { AppRouter } from '../../server/router';
import type { OutboxItem } from '../lib/protocol';
import type { ClipInfo } from '../sites/types';

/** What the server wants to know about a clip: its link, and a title/thumbnail when we have them. */
export function clipInput(clip: ClipInfo): { url: string; title?: string; thumbnailUrl?: string } {
  return {
    url: clip.url,
    ...(clip.title ? { title: clip.title.slice(0, 300) } : {}),
    ...(clip.thumbnailUrl?.startsWith('https://') ? { thumbnailUrl: clip.thumbnailUrl } : {}),
  };
}

/**
 * Sends one outbox item with its clientId: `messages.send` for a chat message or a product
 * share, `clips.share` for a clip share. Both are idempotent on `(sender, clientId)` on the server.
 */
export function sendOutboxItem(
  client: TRPCClient<AppRouter>,
  item: OutboxItem,
  signal: AbortSignal,
) {
  if (item.kind === 'message') {
    return client.messages.send.mutate(
      {
        groupId: item.groupId,
        clientId: item.clientId,
        ...(item.body ? { body: item.body } : {}),
        ...(item.clip ? { clip: clipInput(item.clip) } : {}),
        ...(item.atSeconds !== undefined ? { atSeconds: item.atSeconds } : {}),
        ...(item.replyTo ? { replyTo: item.replyTo } : {}),
        ...(item.productId ? { productId: item.productId } : {}),
      },
      { signal },
    );
  }
  const clip = clipInput(item.clip);
  return client.clips.share.mutate(
    {
      groupIds: item.groupIds,
      url: clip.url,
      ...(clip.title ? { title: clip.title } : {}),
      ...(clip.thumbnailUrl ? { thumbnailUrl: clip.thumbnailUrl } : {}),
      ...(item.atSeconds !== undefined ? { atSeconds: item.atSeconds } : {}),
      ...(item.note?.trim() ? { note: item.note } : {}),
      clientId: item.clientId,
    },
    { signal },
  );
}
