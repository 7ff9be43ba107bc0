import type { PopupState } from './popup-state';

/** Groups: create, open, read, open a shared clip, rename, mute, members, leave. */
export function groupActions({ deps, notice, openGroup, act, loadGroups }: PopupState) {
  return {
    async createGroup(name: string, memberIds: string[]): Promise<boolean> {
      if (!name.trim()) {
        notice.value = { kind: 'error', text: 'Give the group a name.' };
        return false;
      }
      if (memberIds.length === 0) {
        notice.value = { kind: 'error', text: 'Choose at least one friend for the group.' };
        return false;
      }
      const created = await act('createGroup', async () => {
        const group = await deps.api.groups.create.mutate({ name: name.trim(), memberIds });
        await loadGroups();
        return group;
      });
      if (created) notice.value = { kind: 'ok', text: `“${created.name}” is ready.` };
      return Boolean(created);
    },

    async open(groupId: string) {
      await act(`open:${groupId}`, async () => {
        openGroup.value = await deps.api.groups.get.query({ groupId });
      });
    },

    /**
     * What the open thread shows is read: the read position moves to its newest message, and
     * the list's unread counts (and the toolbar badge) follow.
     */
    async markRead(groupId: string, seq: number) {
      try {
        await deps.api.messages.markRead.mutate({ groupId, seq });
        await loadGroups();
      } catch {
        // Reading is a nicety: the next open tries again.
      }
    },

    /** A clip card: the clip opens in a tab, with the overlay on this thread at its moment. */
    async openClip(url: string, groupId: string, atSeconds: number | null) {
      await act('openClip', async () => {
        if (!deps.openClip) throw new Error('Clips cannot be opened from here.');
        await deps.openClip({ url, groupId, atSeconds });
      });
    },

    close() {
      openGroup.value = null;
      notice.value = null;
    },

    async rename(groupId: string, name: string): Promise<boolean> {
      const updated = await act(
        'rename',
        async () => {
          const group = await deps.api.groups.rename.mutate({ groupId, name: name.trim() });
          openGroup.value = group;
          await loadGroups();
          return group;
        },
        'Renamed.',
      );
      return Boolean(updated);
    },

    async setMuted(groupId: string, muted: boolean) {
      await act(
        'mute',
        async () => {
          await deps.api.groups.mute.mutate({ groupId, muted });
          if (openGroup.value?.id === groupId) openGroup.value = { ...openGroup.value, muted };
          await loadGroups();
        },
        muted ? 'Muted: no notifications from this group.' : 'Notifications are back on.',
      );
    },

    async addMembers(groupId: string, userIds: string[]) {
      if (userIds.length === 0) return;
      await act(
        'addMembers',
        async () => {
          openGroup.value = await deps.api.groups.addMembers.mutate({ groupId, userIds });
          await loadGroups();
        },
        'Added.',
      );
    },

    async removeMember(groupId: string, userId: string) {
      await act(`removeMember:${userId}`, async () => {
        openGroup.value = await deps.api.groups.removeMember.mutate({ groupId, userId });
        await loadGroups();
      });
    },

    async leave(groupId: string) {
      await act(
        'leave',
        async () => {
          await deps.api.groups.leave.mutate({ groupId });
          openGroup.value = null;
          await loadGroups();
        },
        'You left the group.',
      );
    },
  };
}
