import { z } from 'zod';

/** Zod schemas for accounts: handles, passwords, display names and device tokens. */

export const handleSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9_]{3,24}$/, 'Handles are 3–24 characters: letters, digits and _');
export const passwordSchema = z
  .string()
  .min(8, 'Passwords need at least 8 characters')
  .max(200, 'Passwords can be at most 200 characters');
export const displayNameSchema = z
  .string()
  .trim()
  .min(1, 'Display name cannot be empty')
  .max(60, 'Display names can be at most 60 characters');
/** A device token a client sends back, checked in `knownDeviceId`; anything else is ignored. */
export const deviceTokenSchema = z
  .string()
  .max(200, 'deviceToken is at most 200 characters')
  .optional();
