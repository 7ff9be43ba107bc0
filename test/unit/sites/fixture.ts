import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { vi } from 'vitest';
import type { Box } from '../../../extension/lib/most-visible';

export const FIXTURES = join(import.meta.dirname, '../../fixtures/sites');

export type FixtureName =
  | 'tiktok-foryou'
  | 'tiktok-video'
  | 'youtube-shorts'
  | 'instagram-reels'
  | 'generic';

/**
 * Puts a fixture page's head and body into the test document, as the site would have rendered
 * them before any script ran. Scripts and stylesheets are left out: happy-dom neither lays out
 * nor needs them, and the fixture scripts' behaviour is exercised in the browser tests.
 */
export function loadFixture(name: FixtureName): Document {
  const html = readFileSync(join(FIXTURES, `${name}.html`), 'utf8');
  const parsed = new DOMParser().parseFromString(
    html
      .replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, '')
      .replace(/<link\b[^>]*stylesheet[^>]*>/gi, ''),
    'text/html',
  );
  document.title = '';
  document.head.innerHTML = parsed.head.innerHTML;
  document.body.innerHTML = parsed.body.innerHTML;
  return document;
}

/** A box `height` tall at `top`, full width unless said otherwise. */
export function box(top: number, height = 768, left = 0, width = 432): Box {
  return { top, left, width, height };
}

/**
 * Stubs `getBoundingClientRect` (happy-dom has no layout: every box is empty) so that elements
 * `boxOf` knows get that box; all others stay empty. The viewport is happy-dom's 1024×768.
 */
export function stubBoxes(boxOf: (el: Element) => Box | undefined): void {
  vi.spyOn(Element.prototype, 'getBoundingClientRect').mockImplementation(function (this: Element) {
    const b = boxOf(this) ?? { top: 0, left: 0, width: 0, height: 0 };
    const rect = {
      ...b,
      x: b.left,
      y: b.top,
      right: b.left + b.width,
      bottom: b.top + b.height,
    };
    return { ...rect, toJSON: () => rect } as DOMRect;
  });
}

/** Marks a video as playing, as the page would by calling play(). */
export function play(video: HTMLVideoElement | null | undefined): HTMLVideoElement {
  if (!video) throw new Error('no video to play');
  void video.play();
  return video;
}
