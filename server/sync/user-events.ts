import type { Deps } from '../deps';
import { publishEphemeral } from '../events';

/**
 * Live signals about one user rather than a group: someone asked them to be friends, accepted
 * their request, or took a request back. They go on the bus only (never stored, like typing):
 * a client that was away learns the state from `friends.requests` and `friends.list` when it
 * loads them, so nothing is lost by not replaying these.
 */
export const USER_EVENTS = new Set([
  'friend.requested',
  'friend.accepted',
  'friend.cancelled',
] as const);

export type UserEventType = typeof USER_EVENTS extends Set<infer T> ? T : never;

/** Whether `type` is a signal about one user (see `USER_EVENTS`). */
export function isUserEvent(type: string): boolean {
  return (USER_EVENTS as Set<string>).has(type);
}

/** Tells `userId`'s open streams, on every instance, about a change to their friends. */
export async function notifyUser(
  deps: Pick<Deps, 'bus'>,
  userId: string,
  type: UserEventType,
  payload: Record<string, unknown>,
): Promise<void> {
  await publishEphemeral(deps, { groupId: '', type, userId, payload });
}
