/**
 * What the overlay found on a tab, as the popup's "This site" panel shows it: which adapter
 * looked, the clip id and author it read, the video, the anchor it chose and where the Kith
 * button docked. Sizes and element names only: no titles, captions or page addresses, so a
 * user can copy it into a bug report without sharing what they watch beyond the clip's id.
 */
export type DockState =
  /** No adapter handles this address (a home page, a profile): nothing to dock on. */
  | 'idle'
  /** Looking for the clip (pages render late). */
  | 'searching'
  /** The adapter found no clip for a while. */
  | 'missing'
  /** The button is on the video. */
  | 'docked'
  /** The video is scrolled out of view: the button comes back with it. */
  | 'off-screen'
  /** The clip was found but neither its video nor any wrapper has a box on the page. */
  | 'no-box'
  /** The video's box is too small to hold the button. */
  | 'too-small'
  /**
   * The video element itself is fullscreen (its own controls, a double click): the browser then
   * draws nothing but the video, so no button can show over it until fullscreen ends.
   */
  | 'fullscreen-video';

export interface ElementFacts {
  /** Tag name, with the id and `data-e2e` name when it has them: `div#xgwrapper-0-7301…`. */
  element: string;
  width: number;
  height: number;
  /** Its computed `display` and `position`. */
  display: string;
  position: string;
}

export interface DockReport {
  /** The page's host name. */
  host: string;
  adapter: 'tiktok' | 'youtube-shorts' | 'instagram-reels' | 'generic' | null;
  state: DockState;
  clip: { site: string; clipId: string } | null;
  author: string | null;
  video: (ElementFacts & { playing: boolean }) | null;
  anchor: ElementFacts | null;
  /** What the button docks on: the anchor, a wrapper of the video's size, or the video. */
  dock: { source: 'anchor' | 'ancestor' | 'video'; element: string } | null;
  /** How many times "try again" was asked on this page. */
  retries: number;
  /** When the overlay last looked (ISO time). */
  at: string;
}

/** The states in which the overlay has a clip to dock on and cannot: the user should hear of it. */
export function cannotDock(report: Pick<DockReport, 'state'> | null | undefined): boolean {
  return (
    report?.state === 'missing' ||
    report?.state === 'no-box' ||
    report?.state === 'too-small' ||
    report?.state === 'fullscreen-video'
  );
}

/** One sentence for the state, as the popup and the toolbar say it. */
export function dockStateText(state: DockState): string {
  switch (state) {
    case 'idle':
      return 'No clip on this page: Kith waits for one.';
    case 'searching':
      return 'Kith is looking for the video…';
    case 'missing':
      return "Kith can't find a video on this page.";
    case 'docked':
      return 'Kith is docked on the video.';
    case 'off-screen':
      return 'The video is scrolled out of view; the Kith button comes back with it.';
    case 'no-box':
      return "Kith found the clip but can't dock on its video: the video has no size on the page.";
    case 'too-small':
      return "Kith found the clip but can't dock on its video: it is too small for the Kith button.";
    case 'fullscreen-video':
      return "The video is fullscreen on its own, and nothing can be drawn over it: leave fullscreen (Esc) or use the site's own fullscreen button to see Kith.";
  }
}

function facts(f: ElementFacts | null): string {
  if (!f) return 'none';
  return `${f.element} ${Math.round(f.width)}×${Math.round(f.height)} (display: ${f.display}, position: ${f.position})`;
}

/** The report as plain text, for "Copy report". */
export function dockReportText(report: DockReport, extra: { version?: string } = {}): string {
  const lines = [
    'Kith dock report',
    ...(extra.version ? [`Kith version: ${extra.version}`] : []),
    `Site: ${report.host}`,
    `Adapter: ${report.adapter ?? 'none'}`,
    `State: ${report.state} — ${dockStateText(report.state)}`,
    `Clip: ${report.clip ? `${report.clip.site} ${report.clip.clipId}` : 'none'}`,
    `Author: ${report.author ?? 'not found'}`,
    `Video: ${report.video ? `${facts(report.video)}, ${report.video.playing ? 'playing' : 'paused'}` : 'none'}`,
    `Anchor: ${facts(report.anchor)}`,
    `Docked on: ${report.dock ? `${report.dock.source} (${report.dock.element})` : 'nothing'}`,
    `Tried again: ${report.retries}`,
    `Checked: ${report.at}`,
  ];
  return lines.join('\n');
}

const MAX_REPORT_CHARS = 4000;
const STATES = new Set<string>([
  'idle',
  'searching',
  'missing',
  'docked',
  'off-screen',
  'no-box',
  'too-small',
  'fullscreen-video',
]);

/** Whether a message claiming to be a report is one (the background keeps nothing else). */
export function isDockReport(value: unknown): value is DockReport {
  if (!value || typeof value !== 'object') return false;
  const r = value as Partial<DockReport>;
  try {
    if (JSON.stringify(value).length > MAX_REPORT_CHARS) return false;
  } catch {
    return false;
  }
  return (
    typeof r.host === 'string' &&
    typeof r.state === 'string' &&
    STATES.has(r.state) &&
    typeof r.retries === 'number' &&
    typeof r.at === 'string'
  );
}
