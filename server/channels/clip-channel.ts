import { eq } from 'drizzle-orm';
import type { ResolvedClip } from '../clips/resolve';
import type { DbOrTx } from '../db/client';
import { type ChannelSite, clipChannels } from '../db/schema';
import type { Env } from '../env';
import type { Limits } from '../limits';
import { type Channel, channelFromClipPage, channelFromClipUrl, clipPagePath } from './channel-url';
import { type FetchOptions, fetchSitePage, PageFetchError } from './fetch-page';

export type ChannelFetchDeps = {
  db: DbOrTx;
  env: Pick<Env, 'CHANNEL_FETCH_BASE'>;
  limits: Pick<Limits, 'consumePageFetch'>;
};

/** How the fetcher is pointed, from the environment. */
export const fetchOptions = (env: Pick<Env, 'CHANNEL_FETCH_BASE'>): FetchOptions => ({
  base: env.CHANNEL_FETCH_BASE,
});

/** Why a clip's channel could not be told, for the person who asked. */
export class ClipChannelUnknown extends Error {
  override readonly name = 'ClipChannelUnknown';
}

/**
 * The channel a clip is on, remembered per clip: read from the clip's public page, fetched
 * once and then cached; a web page has no channel (null). The handle a TikTok link names
 * (`/@handle/video/…`) is only a hint: TikTok serves a video under any handle, so a link can
 * name a channel the video is not on. The clip's page decides whenever it can be read, and
 * once it has, no link moves the clip. Only while the page cannot be read (the site is down
 * or refuses) does the link's handle stand in, and a link naming another handle later asks
 * the page again.
 */
export async function clipChannel(
  deps: ChannelFetchDeps,
  clip: ResolvedClip,
  clipRef: string,
  /** Who asked: each page read is counted against them (`LIMIT_PAGE_FETCHES`). */
  askedBy: string,
): Promise<Channel | null> {
  if (clip.site === 'web') return null;
  const site = clip.site as ChannelSite;
  const [cached] = await deps.db
    .select({ site: clipChannels.site, handle: clipChannels.handle, source: clipChannels.source })
    .from(clipChannels)
    .where(eq(clipChannels.clipRef, clipRef));
  const named = channelFromClipUrl(clip);
  if (cached && (cached.source === 'page' || !named || named.handle === cached.handle)) {
    return { site: cached.site, handle: cached.handle };
  }
  const path = clipPagePath(clip);
  if (!path) {
    throw new ClipChannelUnknown(
      'A short link does not say whose clip it is: paste the full link to the clip.',
    );
  }
  let html: string;
  try {
    await deps.limits.consumePageFetch(askedBy);
    html = await fetchSitePage(site, path, fetchOptions(deps.env));
  } catch (error) {
    if (!(error instanceof PageFetchError)) throw error;
    if (named) {
      await remember(deps.db, clipRef, named, 'url');
      return named;
    }
    throw new ClipChannelUnknown(
      `Could not read the clip's page to see whose it is: ${error.message}`,
    );
  }
  const found = channelFromClipPage(site, html);
  if (!found) throw new ClipChannelUnknown("The clip's page does not say whose channel it is on.");
  await remember(deps.db, clipRef, found, 'page');
  return found;
}

async function remember(db: DbOrTx, clipRef: string, channel: Channel, source: 'url' | 'page') {
  await db
    .insert(clipChannels)
    .values({ clipRef, site: channel.site, handle: channel.handle, source })
    .onConflictDoUpdate({
      target: clipChannels.clipRef,
      set: { site: channel.site, handle: channel.handle, source },
    });
}
