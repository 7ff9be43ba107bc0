import type { GroupAdds, MessageRequest, PopupState } from './popup-state';

/** Saves a file from the popup page: a temporary object URL on a link with `download`. */
function downloadInPage(filename: string, text: string, type: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Account and privacy settings, the data download, account deletion and message requests. */
export function accountActions({
  deps,
  notice,
  me,
  act,
  loadGroups,
  loadRequests,
  forgetSession,
}: PopupState) {
  return {
    async setReadReceipts(on: boolean) {
      await act(
        'settings',
        async () => {
          me.value = await deps.api.auth.update.mutate({ readReceipts: on });
        },
        on
          ? 'Read receipts are on: people see when you have read their messages.'
          : 'Read receipts are off: nobody sees when you have read their messages.',
      );
    },

    async setGroupAdds(value: GroupAdds) {
      await act(
        'settings',
        async () => {
          me.value = await deps.api.auth.update.mutate({ groupAdds: value });
        },
        value === 'nobody'
          ? 'Nobody can add you to groups now. Friends can still message you directly.'
          : 'Your friends can add you to groups.',
      );
    },

    async setFindable(on: boolean) {
      await act(
        'settings',
        async () => {
          me.value = await deps.api.auth.update.mutate({ findableByHandle: on });
        },
        on
          ? 'People who know your handle can send you friend requests.'
          : 'Nobody can find you by handle now: only your invite links add friends.',
      );
    },

    /** Downloads everything the server holds about me as one JSON file. */
    async downloadData() {
      await act(
        'export',
        async () => {
          const data = await deps.api.account.export.query();
          const day = data.exportedAt.slice(0, 10);
          const text = JSON.stringify(data, null, 2);
          await (deps.download ?? downloadInPage)(
            `kith-data-${data.profile.handle}-${day}.json`,
            text,
            'application/json',
          );
        },
        'Your data is downloading as a JSON file.',
      );
    },

    async logoutEverywhere() {
      const done = await act('logoutAll', async () => {
        await deps.api.auth.logoutAll.mutate();
        return true;
      });
      if (!done) return;
      await forgetSession().catch(() => undefined);
      notice.value = {
        kind: 'ok',
        text: 'You are signed out on every device. Sign in again to carry on here.',
      };
    },

    /** Deletes the account after the password check; false (with the reason shown) if refused. */
    async deleteAccount(password: string): Promise<boolean> {
      if (!password) {
        notice.value = { kind: 'error', text: 'Type your password to confirm.' };
        return false;
      }
      const done = await act('deleteAccount', async () => {
        await deps.api.account.delete.mutate({ password });
        return true;
      });
      if (!done) return false;
      await forgetSession().catch(() => undefined);
      notice.value = {
        kind: 'ok',
        text: 'Your Kith account is deleted. Your messages now show as “Deleted user”.',
      };
      return true;
    },

    async acceptRequest(request: MessageRequest) {
      await act(
        `request:${request.groupId}`,
        async () => {
          await deps.api.groups.acceptRequest.mutate({ groupId: request.groupId });
          await Promise.all([loadRequests(), loadGroups()]);
        },
        `You can now message ${request.from.displayName}.`,
      );
    },

    async declineRequest(request: MessageRequest) {
      await act(
        `request:${request.groupId}`,
        async () => {
          await deps.api.groups.declineRequest.mutate({ groupId: request.groupId });
          await loadRequests();
        },
        `Declined. ${request.from.displayName} cannot send you more messages.`,
      );
    },
  };
}
