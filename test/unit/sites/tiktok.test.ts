// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { feedItemHandle, tiktok, tiktokClipFromUrl } from '../../../extension/sites/tiktok';
import { box, loadFixture, play, stubBoxes } from './fixture';

const ID = '6718335390845095173';
const CANONICAL = `https://www.tiktok.com/@scout2015/video/${ID}`;
const FOR_YOU = new URL('https://www.tiktok.com/foryou');

afterEach(() => {
  vi.restoreAllMocks();
  document.body.innerHTML = '';
  document.head.innerHTML = '';
});

const items = () => [
  ...document.querySelectorAll<HTMLElement>('[data-e2e="recommend-list-item-container"]'),
];

/** The feed scrolled so that item `index` fills the screen, `offset` pixels further down. */
function scrollFeedTo(index: number, offset = 0) {
  stubBoxes((el) => {
    const i = items().indexOf(el as HTMLElement);
    return i === -1 ? undefined : box(768 * (i - index) - offset, 768, 296, 432);
  });
}

describe('tiktok.matches', () => {
  it.each([
    'https://www.tiktok.com/',
    'https://www.tiktok.com/foryou',
    'https://www.tiktok.com/foryou?lang=en&is_from_webapp=1',
    'https://www.tiktok.com/following',
    'https://www.tiktok.com/friends',
    `https://www.tiktok.com/@scout2015/video/${ID}`,
    `https://www.tiktok.com/@Scout2015/video/${ID}?is_from_webapp=1&sender_device=pc`,
    'https://www.tiktok.com/@food.lab_/photo/7301234567890123456',
    `https://m.tiktok.com/@scout2015/video/${ID}`,
    `https://m.tiktok.com/v/${ID}.html`,
    `https://www.tiktok.com/embed/v2/${ID}`,
  ])('handles %s', (href) => {
    expect(tiktok.matches(new URL(href))).toBe(true);
  });

  it.each([
    'https://www.tiktok.com/@scout2015',
    'https://www.tiktok.com/explore',
    'https://www.tiktok.com/tag/dogsoftiktok',
    'https://www.tiktok.com/@scout2015/video/not-a-number',
    `https://www.tiktok.com:8443/@scout2015/video/${ID}`,
    `https://www.tiktok.com.evil.example/@scout2015/video/${ID}`,
    `https://www.youtube.com/@scout2015/video/${ID}`,
  ])('leaves %s alone', (href) => {
    expect(tiktok.matches(new URL(href))).toBe(false);
  });
});

describe('tiktokClipFromUrl', () => {
  it.each([
    [`https://www.tiktok.com/@scout2015/video/${ID}`, ID, CANONICAL],
    [`https://www.tiktok.com/@Scout2015/video/${ID}?lang=en#comments`, ID, CANONICAL],
    [`https://m.tiktok.com/@scout2015/video/${ID}/`, ID, CANONICAL],
    [`https://tiktok.com/%40scout2015/video/${ID}`, ID, CANONICAL],
    [
      'https://www.tiktok.com/@food.lab_/photo/7301234567890123456',
      '7301234567890123456',
      'https://www.tiktok.com/@food.lab_/photo/7301234567890123456',
    ],
    [`https://m.tiktok.com/v/${ID}.html`, ID, `https://www.tiktok.com/@_/video/${ID}`],
    [`https://www.tiktok.com/embed/v2/${ID}`, ID, `https://www.tiktok.com/@_/video/${ID}`],
    [`https://www.tiktok.com/embed/${ID}`, ID, `https://www.tiktok.com/@_/video/${ID}`],
  ])('%s names clip %s', (href, clipId, url) => {
    expect(tiktokClipFromUrl(new URL(href))).toEqual({ site: 'tiktok', clipId, url });
  });

  it.each([
    'https://www.tiktok.com/foryou',
    'https://www.tiktok.com/@scout2015',
    'https://www.tiktok.com/@scout2015/video/',
    'https://www.tiktok.com/@scout2015/video/0123',
    `https://www.tiktok.com/@scout2015/video/${ID}/comments`,
    `https://www.tiktok.com/@bad!handle/video/${ID}`,
  ])('%s names no clip', (href) => {
    expect(tiktokClipFromUrl(new URL(href))).toBeNull();
  });
});

describe('the For You feed', () => {
  it('takes the item that fills the screen, although the address never changes', () => {
    loadFixture('tiktok-foryou');
    scrollFeedTo(1);
    const current = tiktok.current(document, FOR_YOU);
    expect(current?.clip).toEqual({
      site: 'tiktok',
      clipId: '7301234567890123452',
      url: 'https://www.tiktok.com/@food.lab_/video/7301234567890123452',
      title: '3-minute ramen upgrade & the egg trick <3 #ramen #cooking',
      thumbnailUrl:
        'https://p16-sign-va.tiktokcdn.com/tos-maliva-p-0068/oAbCdEfGh2~tplv-tiktokx-origin.image',
    });
    expect(current?.anchor.id).toBe('xgwrapper-1-7301234567890123452');
    expect(current?.video).toBe(items()[1]!.querySelector('video'));
  });

  it('takes the item showing more while the feed is halfway between two', () => {
    loadFixture('tiktok-foryou');
    scrollFeedTo(1, 500);
    expect(tiktok.current(document, FOR_YOU)?.clip.clipId).toBe('7301234567890123453');
    scrollFeedTo(1, 300);
    expect(tiktok.current(document, FOR_YOU)?.clip.clipId).toBe('7301234567890123452');
  });

  it('reads older builds whose items are divs, and avatar links that are absolute', () => {
    loadFixture('tiktok-foryou');
    scrollFeedTo(3);
    expect(tiktok.current(document, FOR_YOU)?.clip).toMatchObject({
      clipId: '7301234567890123454',
      url: 'https://www.tiktok.com/@plantmom/video/7301234567890123454',
      title: 'Repotting a monstera without the mess',
      thumbnailUrl: null,
    });
    scrollFeedTo(2);
    expect(tiktok.current(document, FOR_YOU)?.clip.url).toBe(
      'https://www.tiktok.com/@city.cyclist/video/7301234567890123453',
    );
  });

  it('takes the first item when the page has no layout to measure yet', () => {
    loadFixture('tiktok-foryou');
    expect(tiktok.current(document, FOR_YOU)?.clip.clipId).toBe('7301234567890123451');
  });

  it('finds nothing when the feed is scrolled past every item', () => {
    loadFixture('tiktok-foryou');
    scrollFeedTo(9);
    expect(tiktok.current(document, FOR_YOU)).toBeNull();
  });

  it('finds nothing on a page without feed items', () => {
    document.body.innerHTML = '<video src="/a.webm"></video>';
    expect(tiktok.current(document, FOR_YOU)).toBeNull();
  });

  it('finds nothing for an item whose player does not name its clip (a photo post)', () => {
    loadFixture('tiktok-foryou');
    items()[0]!.querySelector('[id^="xgwrapper-"]')!.id = 'xgwrapper-0';
    expect(tiktok.current(document, FOR_YOU)).toBeNull();
  });

  it.each([
    ['<a data-e2e="video-author-avatar" href="/@Scout2015?lang=en"></a>', 'Scout2015'],
    ['<a data-e2e="video-author-avatar" href="https://www.tiktok.com/@a.b_c"></a>', 'a.b_c'],
    ['<h3 data-e2e="video-author-uniqueid">@scout2015</h3>', 'scout2015'],
    ['<a data-e2e="video-author-avatar" href="/live"></a>', null],
    ['<h3 data-e2e="video-author-uniqueid">not a handle!</h3>', null],
    ['', null],
  ])('reads the author handle from %s', (html, handle) => {
    const item = document.createElement('article');
    item.innerHTML = html;
    expect(feedItemHandle(item)).toBe(handle);
  });

  it('names a clip whose author is unknown with @_, as TikTok serves it', () => {
    loadFixture('tiktok-foryou');
    for (const el of items()[0]!.querySelectorAll('[data-e2e^="video-author"]')) el.remove();
    expect(tiktok.current(document, FOR_YOU)?.clip.url).toBe(
      'https://www.tiktok.com/@_/video/7301234567890123451',
    );
  });
});

describe('a clip page', () => {
  const PAGE = new URL('https://www.tiktok.com/@scout2015/video/7301234567890123451');

  it('names the clip from the address, its caption and its preview image', () => {
    loadFixture('tiktok-video');
    const current = tiktok.current(document, PAGE);
    expect(current?.clip).toEqual({
      site: 'tiktok',
      clipId: '7301234567890123451',
      url: 'https://www.tiktok.com/@scout2015/video/7301234567890123451',
      title: 'Scout learns to skateboard in one afternoon #dogsoftiktok',
      thumbnailUrl:
        'https://p16-sign-va.tiktokcdn.com/tos-maliva-p-0068/oQ7fDAm3ABnEFQ~tplv-tiktokx-cropcenter:720:720.jpeg',
    });
    expect(current?.anchor.id).toBe('xgwrapper-0-7301234567890123451');
    expect(current?.video).toBe(document.querySelector('video'));
  });

  it('after moving to the next clip, trusts the address and not the stale og image', () => {
    loadFixture('tiktok-video');
    // What the page's script does on "next": new player id and caption, same head.
    document.querySelector('[id^="xgwrapper-"]')!.id = 'xgwrapper-0-7301234567890123453';
    document.querySelector('[data-e2e="browse-video-desc"]')!.textContent =
      'Morning commute across the bridge';
    const next = new URL('https://www.tiktok.com/@city.cyclist/video/7301234567890123453');
    expect(tiktok.current(document, next)?.clip).toEqual({
      site: 'tiktok',
      clipId: '7301234567890123453',
      url: 'https://www.tiktok.com/@city.cyclist/video/7301234567890123453',
      title: 'Morning commute across the bridge',
      thumbnailUrl: null,
    });
  });

  it('docks to the opened clip over the feed, not to the paused feed item behind it', () => {
    loadFixture('tiktok-foryou');
    const modal = document.createElement('div');
    modal.setAttribute('role', 'dialog');
    modal.innerHTML = `
      <div><div id="xgwrapper-6-7301234567890123453"><video src="/a.webm"></video></div></div>
      <div><h1 data-e2e="browse-video-desc">Morning commute across the bridge</h1></div>`;
    document.body.append(modal);
    const video = play(modal.querySelector('video'));
    const opened = new URL('https://www.tiktok.com/@city.cyclist/video/7301234567890123453');
    const current = tiktok.current(document, opened);
    expect(current?.anchor.id).toBe('xgwrapper-6-7301234567890123453');
    expect(current?.video).toBe(video);
    expect(current?.clip.title).toBe('Morning commute across the bridge');
  });

  it('falls back to the playing video when no player carries the id', () => {
    document.body.innerHTML = '<div class="player"><video src="/a.webm"></video></div>';
    const video = play(document.querySelector('video'));
    const current = tiktok.current(document, PAGE);
    expect(current?.video).toBe(video);
    expect(current?.anchor.className).toBe('player');
  });

  it('finds nothing on a photo post opened over the paused feed', () => {
    loadFixture('tiktok-foryou');
    const photo = new URL('https://www.tiktok.com/@food.lab_/photo/7301234567890123456');
    expect(tiktok.current(document, photo)).toBeNull();
  });
});
