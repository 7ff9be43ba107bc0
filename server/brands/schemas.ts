import { z } from 'zod';
import { MAX_BODY } from '../messages/schemas';

export const brandNameSchema = z
  .string()
  .trim()
  .min(1, 'A brand needs a name')
  .max(80, 'Brand names can be at most 80 characters');
export const slugSchema = z
  .string()
  .trim()
  .toLowerCase()
  .min(3, 'slug must be 3–40 characters')
  .max(40, 'slug must be 3–40 characters')
  .regex(
    /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/,
    'slug may only use lower-case letters, digits and inner hyphens',
  );
export const questionSchema = z
  .string()
  .trim()
  .min(1, 'Message cannot be empty')
  .max(MAX_BODY, `Messages can be at most ${MAX_BODY} characters`);
