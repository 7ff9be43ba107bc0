import { z } from 'zod';
import { groupIdSchema } from '../messages/schemas';

export const MAX_GROUP_MEMBERS = 32;

export const groupIdInput = z.object({ groupId: groupIdSchema });
export const groupNameSchema = z
  .string()
  .trim()
  .min(1, 'Group name cannot be empty')
  .max(80, 'Group names can be at most 80 characters');
export const TOO_MANY_MEMBERS = `A group has at most ${MAX_GROUP_MEMBERS} members`;
/** People to add, each once. The cap is checked on distinct people, not on the raw list. */
export const userIdsSchema = z
  .array(z.uuid('each member must be a user id'))
  .max(MAX_GROUP_MEMBERS * 4, TOO_MANY_MEMBERS)
  .transform((ids) => [...new Set(ids)])
  .pipe(z.array(z.string()).max(MAX_GROUP_MEMBERS, TOO_MANY_MEMBERS));
