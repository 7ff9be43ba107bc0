/** A box in viewport coordinates, as `getBoundingClientRect()` returns it. */
export interface Box {
  top: number;
  left: number;
  width: number;
  height: number;
}

export interface Viewport {
  width: number;
  height: number;
}

/** How many square pixels of `box` are inside the viewport. */
export function visibleArea(box: Box, viewport: Viewport): number {
  const width = Math.min(box.left + box.width, viewport.width) - Math.max(box.left, 0);
  const height = Math.min(box.top + box.height, viewport.height) - Math.max(box.top, 0);
  return width > 0 && height > 0 ? width * height : 0;
}

export interface RankOptions<T> {
  /**
   * Items for which this holds beat any item that merely shows more (a playing video beats a
   * paused one), as long as some of them is on screen.
   */
  preferred?: (item: T) => boolean;
}

/**
 * The item that shows most on screen, or null when none is on screen.
 *
 * When no item has any size at all, the page has no layout to measure (not rendered yet, or a
 * DOM without layout such as happy-dom): the first preferred item in document order, else the
 * first item, stands in rather than nothing.
 */
export function pickMostVisible<T>(
  items: readonly T[],
  boxOf: (item: T) => Box,
  viewport: Viewport,
  options: RankOptions<T> = {},
): T | null {
  const preferred = options.preferred ?? (() => false);
  let best: { item: T; area: number; preferred: boolean } | null = null;
  let anySize = false;
  for (const item of items) {
    const box = boxOf(item);
    if (box.width > 0 && box.height > 0) anySize = true;
    const area = visibleArea(box, viewport);
    if (area === 0) continue;
    const candidate = { item, area, preferred: preferred(item) };
    // Strictly better only: on a tie the earlier item (document order) stays.
    if (
      !best ||
      (candidate.preferred && !best.preferred) ||
      (candidate.preferred === best.preferred && candidate.area > best.area)
    ) {
      best = candidate;
    }
  }
  if (best) return best.item;
  if (anySize) return null;
  return items.find(preferred) ?? items[0] ?? null;
}

/**
 * `pickMostVisible` over elements of a live document, measured with `getBoundingClientRect`
 * against the window. While an element is fullscreen, only elements inside it (or around it)
 * count: the rest of the page is still laid out behind the top layer but cannot be seen.
 */
export function mostVisible<T extends Element>(
  elements: Iterable<T>,
  options: RankOptions<T> = {},
): T | null {
  let items = [...elements];
  const doc = items[0]?.ownerDocument;
  const view = doc?.defaultView;
  if (!doc || !view) return null;
  const fullscreen = doc.fullscreenElement;
  if (fullscreen) {
    const inside = items.filter((el) => fullscreen.contains(el) || el.contains(fullscreen));
    if (inside.length > 0) items = inside;
  }
  const viewport = {
    width: view.innerWidth || doc.documentElement.clientWidth,
    height: view.innerHeight || doc.documentElement.clientHeight,
  };
  return pickMostVisible(items, (el) => el.getBoundingClientRect(), viewport, options);
}

/** Whether the video is playing now (started and neither paused nor finished). */
export function isPlaying(video: HTMLVideoElement): boolean {
  return !video.paused && !video.ended;
}

/** Whether a video inside `root` is playing. */
export function hasPlayingVideo(root: ParentNode): boolean {
  return [...root.querySelectorAll('video')].some(isPlaying);
}

/** The visible video in `root` to talk about: the largest playing one, else the largest. */
export function mostVisibleVideo(root: ParentNode): HTMLVideoElement | null {
  return mostVisible(root.querySelectorAll('video'), { preferred: isPlaying });
}
