import type { ProtocolError } from './protocol';

/**
 * An error for the person using Kith: `message` says what happened and what to do next, `code`
 * is the server's tRPC code (FORBIDDEN, BAD_REQUEST, …) or one of ours (OFFLINE, TIMEOUT,
 * NOT_SIGNED_IN, BAD_SERVER, PERMISSION). Both survive the messenger (own enumerable fields).
 */
export class KithError extends Error implements ProtocolError {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'KithError';
    this.code = code;
  }
}

/** The server refused this for good: sending it again gives the same answer. */
const REFUSALS = new Set([
  'BAD_REQUEST',
  'FORBIDDEN',
  'NOT_FOUND',
  'PRECONDITION_FAILED',
  'PAYLOAD_TOO_LARGE',
  'UNPROCESSABLE_CONTENT',
  'METHOD_NOT_SUPPORTED',
  'PARSE_ERROR',
]);

export function isRefusal(error: unknown): boolean {
  return REFUSALS.has(errorCode(error));
}

export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'UNKNOWN';
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error && error.message) return error.message;
  if (typeof error === 'string') return error;
  return 'Something went wrong. Please try again.';
}
