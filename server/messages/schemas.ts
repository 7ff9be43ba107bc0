import { z } from 'zod';

/** Zod schemas for messages, shared by the routers that take a message or point into a thread. */

export const MAX_BODY = 4000;
/** seq is a 4-byte integer column: a cursor past it would fail the query, not find nothing. */
export const MAX_SEQ = 2_147_483_647;

export const groupIdSchema = z.uuid('groupId must be a group id');
export const messageIdSchema = z.uuid('messageId must be a message id');
export const clientIdSchema = z
  .string()
  .trim()
  .min(8, 'clientId must be 8–64 characters')
  .max(64, 'clientId must be 8–64 characters')
  .regex(/^[A-Za-z0-9_-]+$/, 'clientId may only use letters, digits, _ and -');
/** A moment in a clip, kept to the millisecond (the column is a 4-byte real: 5e-324 underflows). */
export const atSecondsSchema = z
  .number()
  .min(0)
  .max(24 * 3600, 'atSeconds must be within 24 hours')
  .transform((v) => Math.round(v * 1000) / 1000);
export const bodySchema = z
  .string()
  .trim()
  .min(1, 'Message cannot be empty')
  .max(MAX_BODY, `Messages can be at most ${MAX_BODY} characters`);
const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });
export const emojiSchema = z
  .string()
  .min(1)
  .max(32)
  .refine(
    (v) =>
      /^(\p{Extended_Pictographic}|\p{Emoji_Component}|\u200d|\ufe0f)+$/u.test(v) &&
      /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20e3/u.test(v) &&
      [...graphemes.segment(v)].length === 1,
    'Reactions must be a single emoji',
  );
export const reportReasonSchema = z.enum(
  ['spam', 'harassment', 'other'],
  'reason must be spam, harassment or other',
);
