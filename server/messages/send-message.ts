import { TRPCError } from '@trpc/server';
import type { z } from 'zod';
import type { clipInputSchema } from '../clips/store';
import type { Deps } from '../deps';
import { sendBatcher } from './batch';
import type { StoreMessageInput } from './store-message';
import type { MessageView } from './view';

export interface SendMessageInput {
  groupId: string;
  clientId: string;
  body?: string | undefined;
  clip?: z.output<typeof clipInputSchema> | undefined;
  productId?: string | undefined;
  atSeconds?: number | undefined;
  replyTo?: string | undefined;
}

/**
 * `messages.send`: a text, clip or product message from `senderId`, counted against their send
 * limit, then stored with the sends arriving at the same moment (see `SendBatcher`).
 */
export async function sendMessage(
  deps: Pick<Deps, 'db' | 'bus' | 'limits'>,
  senderId: string,
  input: SendMessageInput,
): Promise<MessageView> {
  if (!input.body && !input.clip && !input.productId) {
    throw new TRPCError({
      code: 'BAD_REQUEST',
      message: 'Invalid input: a message needs a body, a clip or a product.',
    });
  }
  await deps.limits.consumeSend(senderId);
  return submitSend(deps, {
    groupId: input.groupId,
    senderId,
    clientId: input.clientId,
    kind: input.productId ? 'product' : input.clip && !input.body ? 'clip' : 'text',
    body: input.body ?? null,
    clip: input.clip ?? null,
    productId: input.productId ?? null,
    atSeconds: input.atSeconds ?? null,
    replyTo: input.replyTo ?? null,
  });
}

/**
 * Stores a message through this instance's send queue, like every other send: past
 * `LIMIT_SEND_QUEUE` waiting, or after `LIMIT_SEND_WAIT_MS`, it is refused with
 * TOO_MANY_REQUESTS and nothing is stored.
 */
export function submitSend(
  deps: Pick<Deps, 'db' | 'bus' | 'limits'>,
  input: StoreMessageInput,
): Promise<MessageView> {
  const { sendQueue, sendWaitMs } = deps.limits.settings;
  return sendBatcher(deps, { maxQueue: sendQueue, maxWaitMs: sendWaitMs }).submit(input);
}
