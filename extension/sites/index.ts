import { generic } from './generic';
import { instagramReels } from './instagram-reels';
import { tiktok } from './tiktok';
import type { SiteAdapter } from './types';
import { youtubeShorts } from './youtube-shorts';

/** Every site adapter, most specific first; a test keeps this list and the folder in step. */
export const adapters: readonly SiteAdapter[] = [tiktok, youtubeShorts, instagramReels, generic];

/**
 * The adapter for a page address: the first that matches, else the generic one (which itself
 * does not match pages of the named sites that show no clip). Ask again after each address
 * change: a single-page app can move from a page one adapter handles to another's.
 */
export function adapterFor(url: URL): SiteAdapter {
  return adapters.find((adapter) => adapter.matches(url)) ?? generic;
}
