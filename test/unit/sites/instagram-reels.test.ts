// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { instagramClipFromUrl, instagramReels } from '../../../extension/sites/instagram-reels';
import { box, loadFixture, play, stubBoxes } from './fixture';

const CODE = 'C1a2B3c4D5e';
const reel = (code: string, route = 'reels') =>
  new URL(`https://www.instagram.com/${route}/${code}/`);

afterEach(() => {
  vi.restoreAllMocks();
  document.body.innerHTML = '';
  document.head.innerHTML = '';
});

const videos = () => [...document.querySelectorAll<HTMLVideoElement>('main video')];

/** The feed scrolled so that reel `index` is centred, `offset` pixels further down. */
function scrollFeedTo(index: number, offset = 0) {
  stubBoxes((el) => {
    const i = videos().indexOf(el as HTMLVideoElement);
    return i === -1 ? undefined : box(768 * (i - index) - offset + 16, 736, 400, 414);
  });
}

describe('instagramReels.matches', () => {
  it.each([
    'https://www.instagram.com/reels/',
    `https://www.instagram.com/reels/${CODE}/`,
    `https://www.instagram.com/reel/${CODE}/`,
    `https://www.instagram.com/reel/${CODE}/?igsh=MXR2bWx4c2VqZ2Fhbw==`,
    `https://www.instagram.com/p/${CODE}/`,
    `https://www.instagram.com/scout2015/reel/${CODE}/`,
    `https://www.instagram.com/reel/${CODE}/embed/captioned/`,
    `https://instagram.com/reel/${CODE}`,
    `https://m.instagram.com/reel/${CODE}/`,
  ])('handles %s', (href) => {
    expect(instagramReels.matches(new URL(href))).toBe(true);
  });

  it.each([
    'https://www.instagram.com/',
    'https://www.instagram.com/scout2015/',
    'https://www.instagram.com/explore/',
    'https://www.instagram.com/direct/inbox/',
    'https://www.instagram.com/reel/',
    `https://www.instagram.com/reel/${CODE}/comments/`,
    `https://www.instagram.com:8443/reel/${CODE}/`,
    `https://www.instagram.com.evil.example/reel/${CODE}/`,
  ])('leaves %s alone', (href) => {
    expect(instagramReels.matches(new URL(href))).toBe(false);
  });
});

describe('instagramClipFromUrl', () => {
  it.each([
    [`https://www.instagram.com/reels/${CODE}/`, 'reel'],
    [`https://www.instagram.com/reel/${CODE}`, 'reel'],
    [`https://www.instagram.com/REEL/${CODE}/?utm_source=ig_web_copy_link`, 'reel'],
    [`https://www.instagram.com/scout2015/reel/${CODE}/`, 'reel'],
    [`https://www.instagram.com/reel/${CODE}/embed/`, 'reel'],
    [`https://www.instagram.com/p/${CODE}/`, 'p'],
    [`https://www.instagram.com/scout2015/p/${CODE}/?img_index=2`, 'p'],
  ])('%s names the %s', (href, shape) => {
    expect(instagramClipFromUrl(new URL(href))).toEqual({
      site: 'instagram',
      clipId: CODE,
      url: `https://www.instagram.com/${shape}/${CODE}/`,
    });
  });

  it.each([
    'https://www.instagram.com/reels/',
    'https://www.instagram.com/reel/abc/',
    'https://www.instagram.com/stories/scout2015/3141592653589793238/',
    'https://www.instagram.com/scout2015/',
  ])('%s names no reel', (href) => {
    expect(instagramClipFromUrl(new URL(href))).toBeNull();
  });
});

describe('the Reels feed', () => {
  it('names the reel from the address and takes the visible playing video', () => {
    loadFixture('instagram-reels');
    scrollFeedTo(1);
    const video = play(videos()[1]);
    const current = instagramReels.current(document, reel('C9zY8xW7vU6'));
    expect(current?.clip).toEqual({
      site: 'instagram',
      clipId: 'C9zY8xW7vU6',
      url: 'https://www.instagram.com/reel/C9zY8xW7vU6/',
      // The og tags describe the reel the page was loaded with, not this one.
      title: null,
      thumbnailUrl: null,
    });
    expect(current?.video).toBe(video);
    expect(current?.anchor).toBe(video.parentElement);
  });

  it('reads the og title and image when they describe the reel on screen', () => {
    loadFixture('instagram-reels');
    scrollFeedTo(0);
    play(videos()[0]);
    expect(instagramReels.current(document, reel(CODE))?.clip).toEqual({
      site: 'instagram',
      clipId: CODE,
      url: `https://www.instagram.com/reel/${CODE}/`,
      title: 'scout2015 on Instagram: "Skate day 🛹 he finally landed it"',
      thumbnailUrl:
        'https://scontent.cdninstagram.com/v/t51.29350-15/421337000_1_n.jpg?stp=dst-jpg_e35_p640x640&_nc_ht=scontent.cdninstagram.com',
    });
  });

  it('prefers the playing reel to a larger paused one while the next scrolls in', () => {
    loadFixture('instagram-reels');
    scrollFeedTo(1, 300);
    const playing = play(videos()[1]);
    expect(instagramReels.current(document, reel('C9zY8xW7vU6'))?.video).toBe(playing);
  });

  it('takes the most visible reel when the user paused it', () => {
    loadFixture('instagram-reels');
    scrollFeedTo(2, 100);
    expect(instagramReels.current(document, reel('DA1b-C2d_E3'))?.video).toBe(videos()[2]);
  });

  it('finds nothing on /reels/ before Instagram names the first reel', () => {
    loadFixture('instagram-reels');
    play(videos()[0]);
    expect(
      instagramReels.current(document, new URL('https://www.instagram.com/reels/')),
    ).toBeNull();
  });

  it('takes the video of a post opened in a dialog over the page', () => {
    loadFixture('instagram-reels');
    play(videos()[0]);
    const dialog = document.createElement('div');
    dialog.setAttribute('role', 'dialog');
    dialog.innerHTML = '<article><div class="frame"><video playsinline></video></div></article>';
    document.body.append(dialog);
    const current = instagramReels.current(document, reel('DB4e5F6g7H8', 'p'));
    expect(current?.clip.url).toBe('https://www.instagram.com/p/DB4e5F6g7H8/');
    expect(current?.video).toBe(dialog.querySelector('video'));
    expect(current?.anchor.className).toBe('frame');
  });

  it('finds nothing on a photo post', () => {
    document.body.innerHTML = '<main role="main"><article><img alt=""></article></main>';
    expect(instagramReels.current(document, reel(CODE, 'p'))).toBeNull();
  });
});
