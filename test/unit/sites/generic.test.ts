// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { generic, pageClip, webClipFromUrl } from '../../../extension/sites/generic';
import { box, loadFixture, play, stubBoxes } from './fixture';

const PAGE = new URL('https://www.example.com/clips/sunset-timelapse?utm_source=newsletter');

afterEach(() => {
  vi.restoreAllMocks();
  document.body.innerHTML = '';
  document.head.innerHTML = '';
  document.title = '';
});

const video = (id: string) => document.getElementById(id) as HTMLVideoElement;
const headerLoop = () => document.querySelector<HTMLVideoElement>('video.header-loop')!;

/** The article at the top of the page: small header loop, big feature, the rest below the fold. */
function layOutArticle() {
  stubBoxes((el) => {
    if (el === headerLoop()) return box(8, 96, 946, 54);
    if (el.id === 'feature') return box(220, 405, 152, 720);
    if (el.id === 'more') return box(2100, 405, 152, 720);
    return undefined;
  });
}

describe('generic.matches', () => {
  it.each([
    'https://vimeo.com/76979871',
    'https://www.dailymotion.com/video/x8abc12',
    'http://news.example.co.uk/video/1',
    'https://www.example.com:8443/clips/1',
    'https://192.168.1.20/cam',
    'https://www.youtube.com/watch?v=dQw4w9WgXcQ',
    'https://www.tiktok.com/@scout2015/video/6718335390845095173',
  ])('handles %s', (href) => {
    expect(generic.matches(new URL(href))).toBe(true);
  });

  it.each([
    // Pages of the named sites that show no clip: nothing to talk about.
    'https://www.youtube.com/',
    'https://www.youtube.com/@BlenderOfficial',
    'https://www.tiktok.com/@scout2015',
    'https://www.instagram.com/',
    // Addresses a friend could not open.
    'http://localhost:3000/video',
    'http://intranet/video',
    'file:///home/me/video.html',
    'chrome-extension://abcdefghijklmnop/popup.html',
  ])('leaves %s alone', (href) => {
    expect(generic.matches(new URL(href))).toBe(false);
  });
});

describe('webClipFromUrl', () => {
  it.each([
    ['https://www.example.com/a?utm_source=x&utm_medium=y', 'https://www.example.com/a'],
    ['https://www.example.com/a?id=7&fbclid=abc#t=30', 'https://www.example.com/a?id=7'],
    ['https://www.example.com/a?q=one%20two&gclid=1', 'https://www.example.com/a?q=one%20two'],
    ['https://www.example.com/a%2fb?x=%e2%9c%93', 'https://www.example.com/a%2Fb?x=%E2%9C%93'],
    ['https://WWW.Example.COM./Path', 'https://www.example.com/Path'],
    ['http://example.com:8080/', 'http://example.com:8080/'],
    ['https://www.example.com/watch?ref=home&si=abc', 'https://www.example.com/watch?ref=home'],
  ])('%s is named %s', (href, url) => {
    expect(webClipFromUrl(new URL(href))).toEqual({ site: 'web', clipId: url, url });
  });
});

describe('the video on any page', () => {
  it('takes the largest visible playing video, with the page canonical address and og tags', () => {
    loadFixture('generic');
    layOutArticle();
    play(headerLoop());
    play(video('feature'));
    play(video('more'));
    const current = generic.current(document, PAGE);
    expect(current?.clip).toEqual({
      site: 'web',
      clipId: 'https://www.example.com/clips/sunset-timelapse',
      url: 'https://www.example.com/clips/sunset-timelapse',
      title: 'Sunset timelapse over the harbour',
      thumbnailUrl: 'https://cdn.example.com/clips/sunset-timelapse/poster.jpg',
    });
    expect(current?.video).toBe(video('feature'));
    expect(current?.anchor).toBe(video('feature'));
  });

  it('prefers a smaller playing video to a larger paused one', () => {
    loadFixture('generic');
    layOutArticle();
    play(headerLoop());
    expect(generic.current(document, PAGE)?.video).toBe(headerLoop());
  });

  it('takes the largest visible video when none plays', () => {
    loadFixture('generic');
    layOutArticle();
    expect(generic.current(document, PAGE)?.video).toBe(video('feature'));
  });

  it('ignores videos scrolled out of view', () => {
    loadFixture('generic');
    stubBoxes((el) => (el.tagName === 'VIDEO' ? box(-900, 405) : undefined));
    expect(generic.current(document, PAGE)).toBeNull();
  });

  it('only looks inside the element in fullscreen', () => {
    loadFixture('generic');
    // The paused video fills the screen; the playing one keeps its box behind the top layer.
    stubBoxes((el) => {
      if (el.id === 'feature') return box(220, 405, 152, 720);
      if (el.id === 'more') return box(0, 768, 0, 1024);
      return undefined;
    });
    play(video('feature'));
    expect(generic.current(document, PAGE)?.video).toBe(video('feature'));
    const figure = video('more').closest('figure')!;
    Object.defineProperty(document, 'fullscreenElement', { value: figure, configurable: true });
    try {
      expect(generic.current(document, PAGE)?.video).toBe(video('more'));
    } finally {
      Reflect.deleteProperty(document, 'fullscreenElement');
    }
  });

  it('finds nothing on a page without video', () => {
    document.body.innerHTML = '<article><p>Just text</p></article>';
    expect(generic.current(document, PAGE)).toBeNull();
  });

  it('falls back to og:url, then the address, then document.title', () => {
    document.head.innerHTML =
      '<meta property="og:url" content="https://m.example.com/v/42?utm_campaign=x">';
    document.title = '  Harbour   at dawn ';
    document.body.innerHTML = '<video></video>';
    expect(generic.current(document, PAGE)?.clip).toEqual({
      site: 'web',
      clipId: 'https://m.example.com/v/42',
      url: 'https://m.example.com/v/42',
      title: 'Harbour at dawn',
      thumbnailUrl: null,
    });
    document.head.innerHTML = '';
    expect(generic.current(document, PAGE)?.clip.url).toBe(
      'https://www.example.com/clips/sunset-timelapse',
    );
  });

  it('skips a canonical link the server would refuse', () => {
    document.head.innerHTML = '<link rel="canonical" href="http://localhost/page">';
    expect(pageClip(document, PAGE)?.url).toBe('https://www.example.com/clips/sunset-timelapse');
  });

  it('names a TikTok or YouTube page by its address: their canonical links go stale', () => {
    document.head.innerHTML =
      '<link rel="canonical" href="https://www.youtube.com/watch?v=aqz-KE-bpKQ">';
    expect(pageClip(document, new URL('https://www.youtube.com/watch?v=dQw4w9WgXcQ'))).toEqual({
      site: 'youtube',
      clipId: 'dQw4w9WgXcQ',
      url: 'https://www.youtube.com/shorts/dQw4w9WgXcQ',
    });
  });

  it('names the clip a page embeds when its canonical link points at it', () => {
    document.head.innerHTML =
      '<link rel="canonical" href="https://www.tiktok.com/@scout2015/video/6718335390845095173">';
    expect(pageClip(document, PAGE)).toEqual({
      site: 'tiktok',
      clipId: '6718335390845095173',
      url: 'https://www.tiktok.com/@scout2015/video/6718335390845095173',
    });
  });

  it('only takes https thumbnails', () => {
    document.head.innerHTML = '<meta property="og:image" content="http://cdn.example.com/p.jpg">';
    document.body.innerHTML = '<video></video>';
    expect(generic.current(document, PAGE)?.clip.thumbnailUrl).toBeNull();
    document.head.innerHTML = `
      <meta property="og:image" content="http://cdn.example.com/p.jpg">
      <meta property="og:image:secure_url" content="https://cdn.example.com/p.jpg">`;
    expect(generic.current(document, PAGE)?.clip.thumbnailUrl).toBe(
      'https://cdn.example.com/p.jpg',
    );
  });
});
