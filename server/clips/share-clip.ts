import { TRPCError } from '@trpc/server';
import { requireMember } from '../access';
import { isUniqueViolation } from '../db/client';
import type { Deps } from '../deps';
import { transact } from '../events';
import { findByClientId, insertMessage } from '../messages/store-message';
import { loadMessage, type MessageView } from '../messages/view';
import type { ResolvedClip } from './resolve';
import { clipMeta, upsertClip } from './store';

/** The longest note a share may carry, and the most groups one share may go to. */
export const MAX_NOTE = 1000;
export const MAX_SHARE_GROUPS = 10;

export interface ShareClipInput {
  groupIds: string[];
  url: ResolvedClip;
  title?: string | undefined;
  thumbnailUrl?: string | undefined;
  atSeconds?: number | undefined;
  note?: string | undefined;
  clientId?: string | undefined;
}

/**
 * `clips.share`: one clip message in each group, all or nothing, counted against the sender's
 * send limit. A retry with the same `clientId` answers the messages it already made.
 */
export async function shareClip(
  deps: Pick<Deps, 'db' | 'bus' | 'limits'>,
  senderId: string,
  input: ShareClipInput,
): Promise<{ clip: ResolvedClip; messages: MessageView[] }> {
  // One key per group, with a ':' that messages.send's clientIds cannot contain, so a share
  // never answers with a plain message that happens to use the same key.
  const clientIds = input.groupIds.map((groupId) =>
    input.clientId ? `${input.clientId}:${groupId}` : crypto.randomUUID(),
  );
  const existing = await Promise.all(clientIds.map((id) => findByClientId(deps.db, senderId, id)));
  if (existing.every(Boolean)) {
    // A retry answers only while the sender is still in every group it went to.
    for (const groupId of input.groupIds) await requireMember(deps.db, groupId, senderId);
    const views = await Promise.all(existing.map((row) => loadMessage(deps.db, row!.id)));
    return { clip: input.url, messages: views as MessageView[] };
  }
  await deps.limits.consumeSend(senderId, input.groupIds.length);
  try {
    const views = await transact(deps, async (tx, emit) => {
      const clipRef = await upsertClip(tx, input.url);
      const meta = clipMeta(input.url, input);
      const out: MessageView[] = [];
      // Group rows are locked in one fixed order (by id), so two shares to overlapping groups
      // listed in different orders wait for each other instead of deadlocking.
      const lockOrder = [...input.groupIds.keys()].sort((a, b) =>
        input.groupIds[a]! < input.groupIds[b]! ? -1 : 1,
      );
      // All or nothing: one group the sender is not in fails the whole share.
      for (const i of lockOrder) {
        out[i] = await insertMessage(tx, emit, {
          groupId: input.groupIds[i]!,
          senderId: senderId,
          clientId: clientIds[i]!,
          kind: 'clip',
          body: input.note || null,
          clipRef,
          ...meta,
          atSeconds: input.atSeconds ?? null,
        });
      }
      return out;
    });
    return { clip: input.url, messages: views };
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new TRPCError({
        code: 'CONFLICT',
        message: 'This share is already being sent. Retry to get its result.',
      });
    }
    throw error;
  }
}
