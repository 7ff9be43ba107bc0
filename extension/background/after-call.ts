import type { GroupSummary, MessageView } from '../lib/protocol';
import type { Badge } from './badge';
import type { Cache } from './cache';
import type { Notifier } from './notifications';
import type { Session } from './session';

/** What `afterCall` updates: the background service's parts. */
export interface AfterCallContext {
  cache: Cache;
  badge: Badge;
  notifier: Notifier;
  session: Session;
  /** `groups.list` was just fetched: the next coalesced refresh can wait. */
  groupsRefreshed(): void;
  scheduleRefresh(): void;
  /** The user changed: tell every tab and the popup. */
  sessionChanged(): void;
}

/** Keeps the cache and badge in step with what the UI just did through `api.call`. */
export async function afterCall(
  path: string,
  input: unknown,
  result: unknown,
  ctx: AfterCallContext,
): Promise<void> {
  const arg = (input ?? {}) as Record<string, unknown>;
  switch (path) {
    case 'groups.list':
      await ctx.badge.show(await ctx.cache.replaceGroups(result as GroupSummary[]));
      ctx.groupsRefreshed();
      return;
    case 'groups.mute':
      await ctx.cache.updateGroup(String(arg.groupId), { muted: Boolean(arg.muted) });
      await ctx.badge.show(await ctx.cache.groups());
      return;
    case 'messages.markRead': {
      const { groupId, lastReadSeq } = result as { groupId: string; lastReadSeq: number };
      const { exact } = await ctx.cache.markRead(groupId, lastReadSeq);
      await ctx.badge.show(await ctx.cache.groups());
      await ctx.notifier.clear(groupId);
      if (!exact) ctx.scheduleRefresh();
      return;
    }
    case 'messages.list':
    case 'clips.thread':
      await ctx.cache.putMessages((result as { messages: MessageView[] }).messages);
      return;
    case 'auth.changePassword':
      // The old password's device tokens stop working: keep the fresh one.
      await ctx.session.keepDeviceToken(
        undefined,
        undefined,
        (result as { deviceToken?: unknown } | null)?.deviceToken,
      );
      return;
    case 'auth.update': {
      const user = result as { id: string; handle: string; displayName: string };
      await ctx.session.setUser({
        id: user.id,
        handle: user.handle,
        displayName: user.displayName,
      });
      ctx.sessionChanged();
      return;
    }
    default:
      if (path.startsWith('groups.') && path !== 'groups.get') ctx.scheduleRefresh();
  }
}
