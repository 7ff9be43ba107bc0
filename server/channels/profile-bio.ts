import type { ChannelSite } from '../db/schema';
import type { Channel } from './channel-url';

/**
 * The bio of a channel, read from its public profile page. A profile page carries much more
 * than the bio (other accounts, comments, posts, meta tags, the address it was asked for), and
 * anyone can put text in those; only the bio is written by the channel's owner. So the bio is
 * read from the page's data, from the object that describes this very channel:
 * - TikTok: `{"uniqueId": handle, "signature": bio}` in the page's JSON;
 * - Instagram: `{"username": handle, "biography": bio}` in the page's JSON;
 * - YouTube: `{"vanityChannelUrl": ".../@handle", "description": bio}` in `ytInitialData`.
 */
const FIELDS: Record<ChannelSite, { handle: string; bio: string }> = {
  tiktok: { handle: 'uniqueId', bio: 'signature' },
  instagram: { handle: 'username', bio: 'biography' },
  youtube: { handle: 'vanityChannelUrl', bio: 'description' },
};

const JSON_SCRIPT =
  /<script\b[^>]*\btype\s*=\s*["']?application\/json["']?[^>]*>([\s\S]*?)<\/script>/gi;
const YT_INITIAL_DATA = /\bytInitialData\s*=\s*(\{[\s\S]*?\})\s*;\s*<\/script>/gi;

/** The JSON documents a page embeds (ones that do not parse are skipped). */
function embeddedJson(html: string): unknown[] {
  const found: unknown[] = [];
  for (const pattern of [JSON_SCRIPT, YT_INITIAL_DATA]) {
    for (const match of html.matchAll(pattern)) {
      try {
        found.push(JSON.parse(match[1] ?? ''));
      } catch {
        // Not JSON after all: nothing in it is read.
      }
    }
  }
  return found;
}

function namesChannel(site: ChannelSite, value: unknown, handle: string): boolean {
  if (typeof value !== 'string') return false;
  const v = value.toLowerCase();
  if (site === 'youtube') return /\/@([^/?#]+)\/?$/.exec(v)?.[1] === handle;
  return v === handle;
}

/** Every bio the page gives for `channel` (usually one; none if the page has no such data). */
export function profileBios(channel: Channel, html: string): string[] {
  const fields = FIELDS[channel.site];
  const handle = channel.handle.toLowerCase();
  const bios: string[] = [];
  const stack = embeddedJson(html);
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      stack.push(...value);
      continue;
    }
    if (!value || typeof value !== 'object') continue;
    const record = value as Record<string, unknown>;
    const bio = record[fields.bio];
    if (typeof bio === 'string' && namesChannel(channel.site, record[fields.handle], handle)) {
      bios.push(bio);
    }
    for (const child of Object.values(record)) {
      if (child && typeof child === 'object') stack.push(child);
    }
  }
  return bios;
}

/** Whether `code` is in the channel's bio on its profile page. */
export function bioHasCode(channel: Channel, html: string, code: string): boolean {
  return profileBios(channel, html).some((bio) => bio.includes(code));
}
