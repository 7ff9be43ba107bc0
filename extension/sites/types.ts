/** What every site adapter answers about the page it runs on. */
export type ClipSite = 'tiktok' | 'youtube' | 'instagram' | 'web';

export interface ClipInfo {
  site: ClipSite;
  /** Canonical link to the clip (the server canonicalizes again; both agree). */
  url: string;
  /** The site's own id of the clip (TikTok numeric id, YouTube 11-char id, Instagram code). */
  clipId: string;
  title: string | null;
  thumbnailUrl: string | null;
}

export interface CurrentClip {
  clip: ClipInfo;
  /** The playing (or most visible) video of that clip. */
  video: HTMLVideoElement;
  /**
   * The element the overlay docks to (it is positioned over it, never inserted into the flow).
   * When the page's layout leaves it without the video's size, the button docks on the nearest
   * wrapper of the video's size, or on the video itself (extension/ui/dock-target.ts).
   */
  anchor: HTMLElement;
  /**
   * Who posted the clip, as the page names them (a handle or channel name), when it does: shown
   * in the popup's "This site" diagnostics only, never sent anywhere.
   */
  author?: string | null;
}

export interface SiteAdapter {
  /** File name of the adapter, e.g. 'tiktok'. */
  name: 'tiktok' | 'youtube-shorts' | 'instagram-reels' | 'generic';
  /** Whether this adapter handles pages at this address. */
  matches(url: URL): boolean;
  /** The clip on screen now, or null when there is none (the overlay then offers "try again"). */
  current(doc: Document, url: URL): CurrentClip | null;
  /**
   * Calls `onChange` whenever the current clip may have changed: SPA navigation, scrolling to the
   * next clip, a video starting to play, fullscreen. Stops when `signal` aborts.
   */
  watch(doc: Document, onChange: () => void, signal: AbortSignal): void;
}
