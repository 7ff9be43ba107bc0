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

const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });

/** An ISO 3166-1 alpha-2 country code, upper-cased (`us` → `US`). */
export const countryCodeSchema = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z]{2}$/, 'shippingCountries are two-letter country codes, like US or DE')
  .refine((code) => regionNames.of(code) !== undefined, {
    message: 'shippingCountries has a code that is not a country',
  });

export const MAX_ALLOWED_ORIGINS = 20;

/** A site a brand's checkouts may return to, kept as its origin (scheme, host, port). */
export const allowedOriginSchema = z
  .url({ protocol: /^https?$/, message: 'allowedOrigins must be http(s) addresses of sites' })
  .max(2048)
  .transform((value) => new URL(value).origin);

export const brandSettingsSchema = {
  shippingCountries: z
    .array(countryCodeSchema)
    .max(250, 'At most 250 shipping countries')
    .transform((codes) => [...new Set(codes)].sort())
    .optional(),
  allowedOrigins: z
    .array(allowedOriginSchema)
    .max(MAX_ALLOWED_ORIGINS, `At most ${MAX_ALLOWED_ORIGINS} allowed origins`)
    .transform((origins) => [...new Set(origins)])
    .optional(),
  /** null clears it. */
  supportEmail: z
    .email('supportEmail must be an email address')
    .max(254, 'supportEmail can be at most 254 characters')
    .nullable()
    .optional(),
};
