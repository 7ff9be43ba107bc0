import type { Friend, PopupState } from './popup-state';

/** Invites and friends. */
export function friendActions({ deps, notice, invite, act, loadFriends }: PopupState) {
  return {
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
