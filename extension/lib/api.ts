import { createTRPCClient, type TRPCClient, TRPCClientError, type TRPCLink } from '@trpc/client';
import { observable } from '@trpc/server/observable';
import type { AppRouter } from '../../server/router';
import { errorCode } from './errors';
import { sendMessage } from './protocol';

/**
 * A tRPC link that hands each query or mutation to the background (`api.call`), which runs it
 * with the user's token. Errors come back as TRPCClientError with the server's message and
 * `data.code` (or one of ours: OFFLINE, NOT_SIGNED_IN, …).
 */
export function backgroundLink(
  call: (data: {
    path: string;
    type: 'query' | 'mutation';
    input?: unknown;
  }) => Promise<unknown> = (data) => sendMessage('api.call', data),
): TRPCLink<AppRouter> {
  return () =>
    ({ op }) =>
      observable((observer) => {
        if (op.type === 'subscription') {
          observer.error(
            TRPCClientError.from(
              new Error('Live events come from the background as sync.event messages.'),
            ),
          );
          return;
        }
        let done = false;
        call({ path: op.path, type: op.type, input: op.input }).then(
          (data) => {
            if (done) return;
            observer.next({ result: { type: 'data', data } });
            observer.complete();
          },
          (error: unknown) => {
            if (done) return;
            const message = error instanceof Error ? error.message : String(error);
            observer.error(
              TRPCClientError.from({
                error: { message, code: -32000, data: { code: errorCode(error) } },
              }),
            );
          },
        );
        return () => {
          done = true;
        };
      });
}

/** A typed client for the popup and the overlay: `api.friends.list.query()`, through the background. */
export function backgroundClient(
  link: TRPCLink<AppRouter> = backgroundLink(),
): TRPCClient<AppRouter> {
  return createTRPCClient<AppRouter>({ links: [link] });
}

export type BackgroundApi = TRPCClient<AppRouter>;
