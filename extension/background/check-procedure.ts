import { getUntypedClient } from '@trpc/client';
import { KithError } from '../lib/errors';
import { anonymousClient } from './socket';

/**
 * Calls the UI makes through `api.call`: which procedures it may name, and how one is made
 * without a session (sign-up pages, public shop data).
 */

/** Procedures the UI may not call through `api.call`: the session and the stream are ours. */
const RESERVED = /^(auth\.(login|register|logout)$|sync\.)/;

/** Refuses what is not a `router.procedure` query or mutation, and the procedures kept here. */
export function checkProcedure(path: string, type: string): void {
  if (!/^[a-zA-Z]+\.[a-zA-Z]+$/.test(path) || (type !== 'query' && type !== 'mutation')) {
    throw new KithError('BAD_REQUEST', `"${path}" is not a procedure.`);
  }
  if (RESERVED.test(path)) {
    throw new KithError(
      'BAD_REQUEST',
      `"${path}" is handled by the background itself (use session.* messages).`,
    );
  }
}

/** One call to the server without a session. */
export async function callAnonymously(
  serverUrl: string,
  path: string,
  type: 'query' | 'mutation',
  input: unknown,
  fetchImpl?: typeof fetch,
) {
  const client = getUntypedClient(anonymousClient(serverUrl, fetchImpl));
  return type === 'query' ? client.query(path, input) : client.mutation(path, input);
}
