import type { Box } from './anchor-rect';

export interface Placement {
  top: number;
  left: number;
  width: number;
  height: number;
}

const MARGIN = 12;
const BUTTON = 44;
/** The smallest box (either side) the button fits on, margins included. */
export const DOCK_MIN_SIZE = BUTTON + MARGIN * 2;

/**
 * Where the Kith button sits on the video: on its right edge, below the corner where sites put
 * their own menus. Null when the video is off screen.
 */
export function placeButton(
  video: Box,
  viewport: { width: number; height: number },
): Placement | null {
  const visibleTop = Math.max(video.top, 0);
  const visibleBottom = Math.min(video.top + video.height, viewport.height);
  if (visibleBottom - visibleTop < BUTTON + MARGIN * 2 || video.width < BUTTON + MARGIN * 2)
    return null;
  if (video.left + video.width <= 0 || video.left >= viewport.width) return null;
  const top = Math.min(
    Math.max(video.top + Math.max(56, video.height * 0.16), visibleTop + MARGIN),
    visibleBottom - BUTTON - MARGIN,
  );
  const left = Math.min(
    video.left + video.width - BUTTON - MARGIN,
    viewport.width - BUTTON - MARGIN,
  );
  return { top, left, width: BUTTON, height: BUTTON };
}

/**
 * Where the panel opens: beside the video on the side with more room (so the clip stays visible;
 * sites crowd the right side with their own buttons), else over the video, left of the Kith
 * button so that stays reachable; always inside the viewport.
 */
export function placePanel(
  video: Box | null,
  viewport: { width: number; height: number },
): Placement {
  const width = Math.min(360, viewport.width - MARGIN * 2);
  // One size for every tab, so switching tabs never makes the panel jump.
  const height = Math.min(520, viewport.height - MARGIN * 2);
  const clampTop = (t: number) => Math.min(Math.max(t, MARGIN), viewport.height - height - MARGIN);
  const clampLeft = (l: number) => Math.min(Math.max(l, MARGIN), viewport.width - width - MARGIN);
  if (!video) {
    return {
      width,
      height,
      top: viewport.height - height - MARGIN,
      left: viewport.width - width - MARGIN,
    };
  }
  const right = video.left + video.width;
  const top = clampTop(video.top + (video.height - height) / 2);
  const roomLeft = video.left;
  const roomRight = viewport.width - right;
  const fits = (room: number) => room >= width + MARGIN * 2;
  if (fits(roomLeft) && roomLeft >= roomRight)
    return { width, height, top, left: video.left - MARGIN - width };
  if (fits(roomRight)) return { width, height, top, left: right + MARGIN };
  if (fits(roomLeft)) return { width, height, top, left: video.left - MARGIN - width };
  return { width, height, top, left: clampLeft(right - BUTTON - MARGIN * 2 - width) };
}
