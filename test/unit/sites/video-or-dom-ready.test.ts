// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { videoOrDomReady } from '../../../extension/lib/video-or-dom-ready';

let readyState: DocumentReadyState;

beforeEach(() => {
  readyState = 'loading';
  Object.defineProperty(document, 'readyState', { configurable: true, get: () => readyState });
  document.body.innerHTML = '<main><p>Loading…</p></main>';
});

afterEach(() => {
  Reflect.deleteProperty(document, 'readyState');
});

/** Whether the promise has settled after pending mutation records and microtasks ran. */
async function settled(promise: Promise<void>): Promise<boolean> {
  let done = false;
  void promise.then(() => {
    done = true;
  });
  await new Promise((resolve) => setTimeout(resolve, 0));
  return done;
}

describe('starting the overlay while the page loads', () => {
  it('waits while the page is still loading and has no video', async () => {
    expect(await settled(videoOrDomReady(document, new AbortController().signal))).toBe(false);
  });

  it('starts the moment a video is parsed, even deep inside a new subtree', async () => {
    const ready = videoOrDomReady(document, new AbortController().signal);
    document.querySelector('main')!.insertAdjacentHTML('beforeend', '<div><video></video></div>');
    expect(await settled(ready)).toBe(true);
  });

  it('starts at DOMContentLoaded on a page without a video, to say there is none', async () => {
    const ready = videoOrDomReady(document, new AbortController().signal);
    document.querySelector('main')!.append(document.createElement('img'));
    expect(await settled(ready)).toBe(false);
    readyState = 'interactive';
    document.dispatchEvent(new Event('DOMContentLoaded'));
    expect(await settled(ready)).toBe(true);
  });

  it('starts at once on a page that has loaded or already shows a video', async () => {
    document.body.innerHTML = '<video></video>';
    expect(await settled(videoOrDomReady(document, new AbortController().signal))).toBe(true);
    document.body.innerHTML = '';
    readyState = 'complete';
    expect(await settled(videoOrDomReady(document, new AbortController().signal))).toBe(true);
  });

  it('never starts once the script is stopped', async () => {
    const control = new AbortController();
    const ready = videoOrDomReady(document, control.signal);
    control.abort();
    document.body.innerHTML = '<video></video>';
    expect(await settled(ready)).toBe(false);
  });
});
