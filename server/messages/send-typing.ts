import { requireMember } from '../access';
import type { Deps } from '../deps';
import { publishEphemeral } from '../events';
import type { SessionUser } from '../trpc';
import { assertCanSend } from './can-send';

const typingGate = new Map<string, number>();
const TYPING_EVERY_MS = 2000;

/** Tells the thread that `user` is typing, at most once every 2 s per person and thread. */
export async function sendTyping(
  deps: Pick<Deps, 'db' | 'bus'>,
  user: SessionUser,
  groupId: string,
) {
  const member = await requireMember(deps.db, groupId, user.id);
  await assertCanSend(deps.db, member.kind, groupId, user.id);
  const key = `${user.id}:${groupId}`;
  const now = Date.now();
  const last = typingGate.get(key) ?? 0;
  if (now - last < TYPING_EVERY_MS) return { sent: false };
  typingGate.set(key, now);
  if (typingGate.size > 10_000) typingGate.clear();
  await publishEphemeral(deps, {
    groupId,
    type: 'typing',
    userId: user.id,
    payload: { groupId, userId: user.id, handle: user.handle, displayName: user.displayName },
  });
  return { sent: true };
}
