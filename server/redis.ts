import { type Command, Redis, type RedisOptions } from 'ioredis';

/**
 * How long a Redis command may go unanswered before it fails. Limits fall back to each
 * instance's own counts and publishes are dropped (hubs fill gaps from the database), so a
 * stalled Redis costs a request at most this much.
 */
export const REDIS_COMMAND_TIMEOUT_MS = 500;

/**
 * A Redis client for commands that must never wait long: it fails a command at once while not
 * connected (no offline queue), after `REDIS_COMMAND_TIMEOUT_MS` when Redis does not answer,
 * and then drops the connection and dials again. Redis answers in order, so a connection that
 * swallowed a command would hand every later answer to the wrong command: it is not reused.
 */
export class CommandRedis extends Redis {
  constructor(url: string, options: RedisOptions = {}) {
    super(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      ...options,
    });
  }

  override sendCommand(command: Command, stream?: Parameters<Redis['sendCommand']>[1]): unknown {
    command.promise.catch((error: unknown) => {
      if (error instanceof Error && error.message === 'Command timed out') this.redial();
    });
    return super.sendCommand(command, stream);
  }

  /** Drops a connection that stopped answering; ioredis reconnects by itself. */
  private redial() {
    if (this.status === 'ready' || this.status === 'connect') this.disconnect(true);
  }
}
