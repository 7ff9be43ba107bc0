import { describe, expect, it } from 'vitest';
import { channelFromClipPage } from '../../server/channels/channel-url';

/**
 * An Instagram post's page data lists its comments with their authors as `owner` objects too,
 * often before the post's own `owner`. A commenter must not become the clip's channel.
 */
describe("an Instagram clip page's commenters", () => {
  const page = (data: unknown, title = '') =>
    `<html><head>${title}</head><body><script type="application/json">${JSON.stringify(data)}</script></body></html>`;

  it('are not the clip channel, the post owner is', () => {
    const data = {
      shortcode_media: {
        shortcode: 'Cabc123',
        edge_media_to_parent_comment: {
          edges: [{ node: { text: 'nice', owner: { id: '9', username: 'pushycommenter' } } }],
        },
        owner: { id: '1', username: 'realposter' },
      },
    };
    const html = page(
      data,
      '<meta property="og:title" content="Real Poster (@realposter) on Instagram">',
    );
    expect(channelFromClipPage('instagram', html)).toEqual({
      site: 'instagram',
      handle: 'realposter',
    });
  });

  it('make a page that names several owners and nothing else say no channel', () => {
    const data = {
      comments: [{ owner: { username: 'pushycommenter' } }],
      media: { owner: { username: 'realposter' } },
    };
    expect(channelFromClipPage('instagram', page(data))).toBeNull();
  });

  it('leave a page with one owner as it was', () => {
    const data = { media: { owner: { id: '1', username: 'RealPoster' } } };
    expect(channelFromClipPage('instagram', page(data))).toEqual({
      site: 'instagram',
      handle: 'realposter',
    });
  });
});
