// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { adapters } from '../../../extension/sites/index';
import { youtubeShorts } from '../../../extension/sites/youtube-shorts';

const FRAME = 20;
let controller: AbortController;
let onChange: ReturnType<typeof vi.fn<() => void>>;

beforeEach(() => {
  vi.useFakeTimers({
    toFake: ['setInterval', 'clearInterval', 'requestAnimationFrame', 'cancelAnimationFrame'],
  });
  history.replaceState(null, '', '/start');
  document.body.innerHTML = '<main><div id="feed"><video></video></div></main>';
  controller = new AbortController();
  onChange = vi.fn<() => void>();
});

afterEach(() => {
  controller.abort();
  vi.restoreAllMocks();
  vi.useRealTimers();
  Reflect.deleteProperty(window, 'navigation');
});

/** Lets mutation records arrive, then one animation frame pass. */
async function nextFrame() {
  await Promise.resolve();
  vi.advanceTimersByTime(FRAME);
}

/** Everything a page does that may change its current clip, one after another. */
async function everyPageChange() {
  history.pushState(null, '', '/pushed');
  vi.advanceTimersByTime(600);
  history.replaceState(null, '', '/replaced');
  vi.advanceTimersByTime(600);
  window.dispatchEvent(new PopStateEvent('popstate'));
  document.dispatchEvent(new Event('fullscreenchange'));
  document.querySelector('video')!.dispatchEvent(new Event('play'));
  document.getElementById('feed')!.dispatchEvent(new Event('scroll'));
  document.getElementById('feed')!.append(document.createElement('video'));
  await nextFrame();
}

describe.each(adapters.map((adapter) => [adapter.name, adapter] as const))(
  '%s.watch',
  (_, adapter) => {
    const watch = () => adapter.watch(document, onChange, controller.signal);

    it('notices pushState and replaceState by polling where the Navigation API is missing', () => {
      watch();
      history.pushState(null, '', '/next');
      vi.advanceTimersByTime(499);
      expect(onChange).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1);
      expect(onChange).toHaveBeenCalledTimes(1);
      history.replaceState(null, '', '/after');
      vi.advanceTimersByTime(500);
      expect(onChange).toHaveBeenCalledTimes(2);
      vi.advanceTimersByTime(2000);
      expect(onChange).toHaveBeenCalledTimes(2);
    });

    it('listens to the Navigation API where there is one, instead of polling', () => {
      const navigation = new EventTarget();
      Object.defineProperty(window, 'navigation', { value: navigation, configurable: true });
      watch();
      history.pushState(null, '', '/next');
      vi.advanceTimersByTime(2000);
      expect(onChange).not.toHaveBeenCalled();
      navigation.dispatchEvent(new Event('currententrychange'));
      expect(onChange).toHaveBeenCalledTimes(1);
    });

    it('notices Back and Forward', () => {
      watch();
      window.dispatchEvent(new PopStateEvent('popstate'));
      expect(onChange).toHaveBeenCalledTimes(1);
    });

    it('notices fullscreen', () => {
      watch();
      document.dispatchEvent(new Event('fullscreenchange'));
      expect(onChange).toHaveBeenCalledTimes(1);
    });

    it.each(['play', 'playing'])('notices a video firing %s (which does not bubble)', (type) => {
      watch();
      document.querySelector('video')!.dispatchEvent(new Event(type));
      expect(onChange).toHaveBeenCalledTimes(1);
    });

    it('notices scrolling in any scroller, once per frame', () => {
      watch();
      const feed = document.getElementById('feed')!;
      for (let i = 0; i < 5; i++) feed.dispatchEvent(new Event('scroll'));
      expect(onChange).not.toHaveBeenCalled();
      vi.advanceTimersByTime(FRAME);
      expect(onChange).toHaveBeenCalledTimes(1);
      document.dispatchEvent(new Event('scroll'));
      vi.advanceTimersByTime(FRAME);
      expect(onChange).toHaveBeenCalledTimes(2);
    });

    it('notices a video appearing, but not any other element', async () => {
      watch();
      document.getElementById('feed')!.append(document.createElement('p'));
      await nextFrame();
      expect(onChange).not.toHaveBeenCalled();
      const item = document.createElement('div');
      item.innerHTML = '<div><video></video></div>';
      document.getElementById('feed')!.append(item);
      await nextFrame();
      expect(onChange).toHaveBeenCalledTimes(1);
    });

    it('passes the signal to every listener it adds', () => {
      const navigation = new EventTarget();
      Object.defineProperty(window, 'navigation', { value: navigation, configurable: true });
      const spies = [window, document, navigation].map((target) =>
        vi.spyOn(target, 'addEventListener'),
      );
      watch();
      const calls = spies.flatMap((spy) => spy.mock.calls);
      expect(calls.length).toBeGreaterThanOrEqual(6);
      for (const [type, , options] of calls) {
        const signal = (options as AddEventListenerOptions | undefined)?.signal;
        expect(signal === controller.signal, `${type} listener without the signal`).toBe(true);
      }
    });

    it('stops after the signal aborts', async () => {
      watch();
      controller.abort();
      await everyPageChange();
      vi.advanceTimersByTime(5000);
      expect(onChange).not.toHaveBeenCalled();
    });

    it('stops a pending frame when the signal aborts', () => {
      watch();
      document.getElementById('feed')!.dispatchEvent(new Event('scroll'));
      controller.abort();
      vi.advanceTimersByTime(FRAME);
      expect(onChange).not.toHaveBeenCalled();
    });

    it('does nothing when the signal has already aborted', async () => {
      controller.abort();
      watch();
      await everyPageChange();
      expect(onChange).not.toHaveBeenCalled();
    });
  },
);

describe('youtube-shorts.watch', () => {
  it('notices yt-navigate-finish and a reel becoming active', async () => {
    document.body.innerHTML =
      '<ytd-shorts><ytd-reel-video-renderer is-active></ytd-reel-video-renderer><ytd-reel-video-renderer></ytd-reel-video-renderer></ytd-shorts>';
    youtubeShorts.watch(document, onChange, controller.signal);
    document.dispatchEvent(new CustomEvent('yt-navigate-finish', { bubbles: true }));
    expect(onChange).toHaveBeenCalledTimes(1);
    document
      .querySelector('ytd-app, ytd-shorts')!
      .dispatchEvent(new CustomEvent('yt-navigate-finish', { bubbles: true }));
    expect(onChange).toHaveBeenCalledTimes(2);
    const [first, second] = document.querySelectorAll('ytd-reel-video-renderer');
    first!.removeAttribute('is-active');
    second!.setAttribute('is-active', '');
    await nextFrame();
    expect(onChange).toHaveBeenCalledTimes(3);
    controller.abort();
    document.dispatchEvent(new CustomEvent('yt-navigate-finish', { bubbles: true }));
    first!.setAttribute('is-active', '');
    await nextFrame();
    expect(onChange).toHaveBeenCalledTimes(3);
  });
});
