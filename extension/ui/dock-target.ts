import type { Box } from '../lib/most-visible';

/**
 * Which box the Kith button docks on: the site adapter's anchor when it covers the video, else
 * the nearest ancestor of the video with the video's size, else the video's own box.
 */
export type DockSource = 'anchor' | 'ancestor' | 'video';

export interface DockTarget {
  box: Box;
  source: DockSource;
  element: Element;
}

/** How far up from the video to look for a wrapper of its size. */
const MAX_DEPTH = 12;
/** A wrapper "has the video's size" when it holds the video and is at most this much bigger. */
const SIZE_SLACK = 1.25;
/** The anchor counts while it is at most this much wider and taller than the video. */
const ANCHOR_SLACK = 1.5;
/** Sub-pixel layout: a wrapper may be a pixel short of its video and still hold it. */
const EDGE = 1.5;

export function boxOf(el: Element): Box {
  const r = el.getBoundingClientRect();
  return { top: r.top, left: r.left, width: r.width, height: r.height };
}

function area(b: Box): number {
  return Math.max(0, b.width) * Math.max(0, b.height);
}

function overlap(a: Box, b: Box): number {
  const width = Math.min(a.left + a.width, b.left + b.width) - Math.max(a.left, b.left);
  const height = Math.min(a.top + a.height, b.top + b.height) - Math.max(a.top, b.top);
  return width > 0 && height > 0 ? width * height : 0;
}

function holds(outer: Box, inner: Box): boolean {
  return (
    outer.left <= inner.left + EDGE &&
    outer.top <= inner.top + EDGE &&
    outer.left + outer.width >= inner.left + inner.width - EDGE &&
    outer.top + outer.height >= inner.top + inner.height - EDGE
  );
}

/**
 * Where the button docks for an adapter's `anchor` and `video`, or null when neither has a box
 * at all (not laid out, `display: none`). An anchor that lost its size to the page's layout (a
 * zero-height wrapper around an absolutely positioned video, `display: contents`, a wrapper
 * moved away by a transform, a video positioned `fixed` elsewhere) must never hide the button
 * while the video plays: the anchor counts only while it covers at least half of the video and
 * is not much bigger than it.
 */
export function dockTarget(
  anchor: Element,
  video: Element,
  measure: (el: Element) => Box = boxOf,
): DockTarget | null {
  const videoBox = measure(video);
  const anchorBox = anchor === video ? videoBox : measure(anchor);
  const videoArea = area(videoBox);
  if (videoArea === 0) {
    // The video has no box of its own (a page that draws it elsewhere): the anchor is all there is.
    return area(anchorBox) > 0 ? { box: anchorBox, source: 'anchor', element: anchor } : null;
  }
  if (
    overlap(anchorBox, videoBox) >= videoArea / 2 &&
    // An anchor far wider or taller than its video (a stage as wide as the window with the
    // video centred in it) would put the button on its far edge, away from the video.
    anchorBox.width <= videoBox.width * ANCHOR_SLACK + EDGE &&
    anchorBox.height <= videoBox.height * ANCHOR_SLACK + EDGE
  ) {
    return { box: anchorBox, source: 'anchor', element: anchor };
  }
  const root = video.ownerDocument;
  let el = video.parentElement;
  for (let depth = 0; el && depth < MAX_DEPTH; depth++, el = el.parentElement) {
    if (el === root.body || el === root.documentElement) break;
    const box = measure(el);
    if (!holds(box, videoBox)) continue;
    if (
      box.width <= videoBox.width * SIZE_SLACK + EDGE &&
      box.height <= videoBox.height * SIZE_SLACK + EDGE
    ) {
      return { box, source: 'ancestor', element: el };
    }
    // The nearest wrapper around the video is a whole column or page: the video's box is closer.
    break;
  }
  return { box: videoBox, source: 'video', element: video };
}
