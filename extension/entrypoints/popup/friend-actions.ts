import type {
  Friend,
  IncomingFriendRequest,
  OutgoingFriendRequest,
  PopupState,
} from './popup-state';

/** Invites, friend requests by handle, and friends. */
export function friendActions({
  deps,
  notice,
  invite,
  act,
  loadFriends,
  loadFriendRequests,
}: PopupState) {
  return {
    /** Asks someone by handle; true when it went (or made friends at once). */
    async requestFriend(handle: string): Promise<boolean> {
      const trimmed = handle.trim().replace(/^@/, '');
      if (!trimmed) {
        notice.value = { kind: 'error', text: 'Type the handle of the person to add.' };
        return false;
      }
      const answer = await act('friendRequest', async () => {
        const result = await deps.api.friends.request.mutate({ handle: trimmed });
        await Promise.all([loadFriendRequests(), loadFriends()]);
        return result;
      });
      if (!answer) return false;
      notice.value =
        answer.status === 'friends'
          ? { kind: 'ok', text: `You and ${answer.friend.displayName} are now friends.` }
          : {
              kind: 'ok',
              text: `Request sent to ${answer.request.to.displayName}. You are friends once they accept.`,
            };
      return true;
    },

    async respondToFriend(request: IncomingFriendRequest, accept: boolean) {
      await act(
        `friendRequest:${request.id}`,
        async () => {
          await deps.api.friends.respond.mutate({ requestId: request.id, accept });
          await Promise.all([loadFriendRequests(), loadFriends()]);
        },
        accept
          ? `You and ${request.from.displayName} are now friends.`
          : `Declined ${request.from.displayName}'s request.`,
      );
    },

    async cancelFriendRequest(request: OutgoingFriendRequest) {
      await act(
        `friendRequest:${request.id}`,
        async () => {
          await deps.api.friends.cancelRequest.mutate({ requestId: request.id });
          await loadFriendRequests();
        },
        `Request to ${request.to.displayName} taken back.`,
      );
    },

    async createInvite() {
      await act('invite', async () => {
        invite.value = await deps.api.friends.createInvite.mutate({ maxUses: 1 });
      });
    },

    async copyInvite() {
      const current = invite.value;
      if (!current) return;
      await act(
        'copy',
        () => deps.copy(current.url),
        'Invite link copied. Send it to your friend.',
      );
    },

    async acceptInvite(code: string): Promise<boolean> {
      const trimmed = code.trim();
      if (!trimmed) {
        notice.value = {
          kind: 'error',
          text: 'Paste the invite code or link your friend sent you.',
        };
        return false;
      }
      const result = await act('accept', async () => {
        const { friend } = await deps.api.friends.acceptInvite.mutate({ code: trimmed });
        await loadFriends();
        return friend;
      });
      if (result)
        notice.value = { kind: 'ok', text: `You and ${result.displayName} are now friends.` };
      return Boolean(result);
    },

    async removeFriend(friend: Friend) {
      await act(
        `remove:${friend.id}`,
        async () => {
          await deps.api.friends.remove.mutate({ userId: friend.id });
          await loadFriends();
        },
        `${friend.displayName} is no longer your friend.`,
      );
    },

    async blockFriend(friend: Friend) {
      await act(
        `block:${friend.id}`,
        async () => {
          await deps.api.friends.block.mutate({ userId: friend.id });
          await loadFriends();
        },
        `${friend.displayName} is blocked: they cannot add you or message you.`,
      );
    },
  };
}
