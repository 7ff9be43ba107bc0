// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { youtubeClipFromUrl, youtubeShorts } from '../../../extension/sites/youtube-shorts';
import { box, loadFixture, play, stubBoxes } from './fixture';

const FIRST = 'aqz-KE-bpKQ';
const SECOND = 'Xy_9-AbCdEf';
const shorts = (id: string) => new URL(`https://www.youtube.com/shorts/${id}`);

afterEach(() => {
  vi.restoreAllMocks();
  document.body.innerHTML = '';
  document.head.innerHTML = '';
});

const renderers = () => [...document.querySelectorAll<HTMLElement>('ytd-reel-video-renderer')];

/** What YouTube does on a swipe: `is-active` and the one shared player move to the next reel. */
function swipeTo(index: number) {
  const player = document.querySelector('ytd-player')!;
  for (const [i, renderer] of renderers().entries()) {
    renderer.toggleAttribute('is-active', i === index);
    if (i === index) renderer.querySelector('#player-container')!.append(player);
  }
}

describe('youtubeShorts.matches', () => {
  it.each([
    `https://www.youtube.com/shorts/${FIRST}`,
    `https://www.youtube.com/shorts/${FIRST}?feature=share`,
    `https://m.youtube.com/shorts/${FIRST}`,
    `https://youtube.com/shorts/${FIRST}?si=Ab12Cd34Ef56Gh78`,
    'https://www.youtube.com/shorts/',
  ])('handles %s', (href) => {
    expect(youtubeShorts.matches(new URL(href))).toBe(true);
  });

  it.each([
    'https://www.youtube.com/',
    `https://www.youtube.com/watch?v=${FIRST}`,
    'https://www.youtube.com/@BlenderOfficial/shorts',
    `https://youtu.be/${FIRST}`,
    `https://www.youtube.com:8080/shorts/${FIRST}`,
    `https://www.tiktok.com/shorts/${FIRST}`,
  ])('leaves %s alone', (href) => {
    expect(youtubeShorts.matches(new URL(href))).toBe(false);
  });
});

describe('youtubeClipFromUrl', () => {
  it.each([
    `https://www.youtube.com/shorts/${FIRST}`,
    `https://www.youtube.com/shorts/${FIRST}/`,
    `https://m.youtube.com/shorts/${FIRST}?feature=share`,
    `https://www.youtube.com/SHORTS/${FIRST}`,
    `https://www.youtube.com/watch?v=${FIRST}&t=42s`,
    `https://www.youtube.com/embed/${FIRST}`,
    `https://www.youtube-nocookie.com/embed/${FIRST}`,
    `https://youtu.be/${FIRST}?si=x`,
  ])('%s names the short', (href) => {
    expect(youtubeClipFromUrl(new URL(href))).toEqual({
      site: 'youtube',
      clipId: FIRST,
      url: `https://www.youtube.com/shorts/${FIRST}`,
    });
  });

  it.each([
    'https://www.youtube.com/shorts/',
    'https://www.youtube.com/shorts/tooShort',
    `https://www.youtube.com/shorts/${FIRST}/comments`,
    'https://www.youtube.com/embed/videoseries?list=PL0123456789',
    'https://www.youtube.com/watch',
    'https://www.youtube.com/@BlenderOfficial',
  ])('%s names no short', (href) => {
    expect(youtubeClipFromUrl(new URL(href))).toBeNull();
  });
});

describe('the Shorts player', () => {
  it('takes the active reel, the shared player and its title', () => {
    loadFixture('youtube-shorts');
    const current = youtubeShorts.current(document, shorts(FIRST));
    expect(current?.clip).toEqual({
      site: 'youtube',
      clipId: FIRST,
      url: `https://www.youtube.com/shorts/${FIRST}`,
      title: 'Big Buck Bunny in 60 seconds',
      thumbnailUrl: `https://i.ytimg.com/vi/${FIRST}/hqdefault.jpg`,
    });
    expect(current?.video).toBe(document.querySelector('#shorts-player video'));
    expect(current?.anchor.id).toBe('shorts-player');
  });

  it('after a swipe, trusts the address over the canonical link left on the first short', () => {
    loadFixture('youtube-shorts');
    swipeTo(1);
    const current = youtubeShorts.current(document, shorts(SECOND));
    expect(document.querySelector('link[rel=canonical]')?.getAttribute('href')).toContain(FIRST);
    expect(current?.clip).toEqual({
      site: 'youtube',
      clipId: SECOND,
      url: `https://www.youtube.com/shorts/${SECOND}`,
      title: 'Hand-rolled pici with Nonna Rosa & her secret',
      thumbnailUrl: `https://i.ytimg.com/vi/${SECOND}/hqdefault.jpg`,
    });
    expect(renderers()[1]!.contains(current!.anchor)).toBe(true);
  });

  it('takes the most visible of several renderers marked active mid-swipe', () => {
    loadFixture('youtube-shorts');
    renderers()[1]!.setAttribute('is-active', '');
    stubBoxes((el) => {
      const i = renderers().indexOf(el as HTMLElement);
      return i === -1 ? undefined : box(768 * i - 600);
    });
    const current = youtubeShorts.current(document, shorts(SECOND));
    expect(current?.clip.title).toBe('Hand-rolled pici with Nonna Rosa & her secret');
  });

  it('reads newer builds that render one reel inside #reel-overlay-container', () => {
    document.body.innerHTML = `
      <ytd-shorts><div id="shorts-container"><div id="shorts-inner-container">
        <div class="reel-video-in-sequence-new"><div class="reel-video-in-sequence-thumbnail"></div></div>
        <div class="reel-video-in-sequence-new"><div class="reel-video-in-sequence-thumbnail"></div></div>
      </div>
      <div id="reel-overlay-container">
        <ytd-reel-video-renderer>
          <div id="player-container"><ytd-player><div id="shorts-player" class="html5-video-player">
            <div class="html5-video-container"><video class="video-stream html5-main-video"></video></div>
          </div></ytd-player></div>
          <yt-shorts-video-title-view-model><h2><span>  Octopus  changes
            colour </span></h2></yt-shorts-video-title-view-model>
        </ytd-reel-video-renderer>
      </div></div></ytd-shorts>`;
    const current = youtubeShorts.current(document, shorts(SECOND));
    expect(current?.clip.title).toBe('Octopus changes colour');
    expect(current?.anchor.id).toBe('shorts-player');
    expect(current?.video.className).toContain('html5-main-video');
  });

  it('falls back to the playing video and the og title when the markup is unknown', () => {
    document.head.innerHTML = `
      <link rel="canonical" href="https://www.youtube.com/shorts/${SECOND}">
      <meta property="og:title" content="Pici by hand">`;
    document.body.innerHTML =
      '<div class="box"><video></video></div><div class="box"><video></video></div>';
    const video = play(document.querySelectorAll('video')[1]);
    const current = youtubeShorts.current(document, shorts(SECOND));
    expect(current?.video).toBe(video);
    expect(current?.clip.title).toBe('Pici by hand');
    // A canonical link naming another short says nothing about this one.
    expect(youtubeShorts.current(document, shorts(FIRST))?.clip.title).toBeNull();
  });

  it.each(['https://www.youtube.com/shorts/', 'https://www.youtube.com/shorts/not-an-id'])(
    'finds nothing at %s',
    (href) => {
      loadFixture('youtube-shorts');
      expect(youtubeShorts.current(document, new URL(href))).toBeNull();
    },
  );

  it('finds nothing before any video is on the page', () => {
    document.body.innerHTML = '<ytd-shorts><div id="shorts-container"></div></ytd-shorts>';
    expect(youtubeShorts.current(document, shorts(FIRST))).toBeNull();
  });
});
