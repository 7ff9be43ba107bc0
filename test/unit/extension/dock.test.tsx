// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DockReports, type TabActionApi } from '../../../extension/background/dock-reports';
import type { KeyValueStorage } from '../../../extension/background/session';
import {
  cannotDock,
  type DockReport,
  dockReportText,
  isDockReport,
} from '../../../extension/lib/dock-report';
import { instagramReels } from '../../../extension/sites/instagram-reels';
import { tiktok } from '../../../extension/sites/tiktok';
import { youtubeShorts } from '../../../extension/sites/youtube-shorts';
import { dockState } from '../../../extension/ui/dock-reporter';
import { dockTarget } from '../../../extension/ui/dock-target';
import { box, loadFixture, play, stubBoxes } from '../sites/fixture';
import { button, fakeDeps, mount, popupRoot, settle } from './popup-harness';

afterEach(() => {
  vi.restoreAllMocks();
  document.body.innerHTML = '';
  document.head.innerHTML = '';
});

/** `<section><div class="anchor"><div class="inner"><video>` with boxes given per class. */
function player(boxes: Record<'section' | 'anchor' | 'inner' | 'video', ReturnType<typeof box>>) {
  document.body.innerHTML =
    '<main><section><div class="anchor"><div class="inner"><video></video></div></div></section></main>';
  const el = (s: string) => document.querySelector(s)!;
  const named = new Map<Element, ReturnType<typeof box>>([
    [el('section'), boxes.section],
    [el('.anchor'), boxes.anchor],
    [el('.inner'), boxes.inner],
    [el('video'), boxes.video],
  ]);
  stubBoxes((e) => named.get(e));
  return { anchor: el('.anchor'), inner: el('.inner'), section: el('section'), video: el('video') };
}

const NONE = box(0, 0, 0, 0);
const VIDEO = box(40, 700, 400, 394);

describe('where the button docks', () => {
  it('docks on the adapter’s anchor while it covers the video', () => {
    const p = player({ section: VIDEO, anchor: VIDEO, inner: VIDEO, video: VIDEO });
    expect(dockTarget(p.anchor, p.video)).toMatchObject({ source: 'anchor', element: p.anchor });
  });

  it('takes the nearest wrapper of the video’s size when the anchor has no height', () => {
    // An unstyled wrapper around an absolutely positioned video: the wrapper is 0 high.
    const p = player({
      section: VIDEO,
      anchor: box(40, 0, 400, 394),
      inner: box(40, 0, 400, 394),
      video: VIDEO,
    });
    expect(dockTarget(p.anchor, p.video)).toMatchObject({
      source: 'ancestor',
      element: p.section,
      box: VIDEO,
    });
  });

  it('takes the video itself when the anchor has no box and every wrapper is far bigger', () => {
    // `display: contents` anchor; the wrappers above are the whole column.
    const column = box(0, 800, 0, 1280);
    const p = player({ section: column, anchor: NONE, inner: column, video: VIDEO });
    expect(dockTarget(p.anchor, p.video)).toMatchObject({ source: 'video', box: VIDEO });
  });

  it('leaves an anchor that is elsewhere than the video (a fixed, floating player)', () => {
    const corner = box(360, 427, 1024, 240);
    const p = player({ section: VIDEO, anchor: VIDEO, inner: VIDEO, video: corner });
    expect(dockTarget(p.anchor, p.video)).toMatchObject({ source: 'video', box: corner });
  });

  it('falls back to the anchor when the video has no box, and to nothing when neither has', () => {
    const p = player({ section: VIDEO, anchor: VIDEO, inner: VIDEO, video: NONE });
    expect(dockTarget(p.anchor, p.video)).toMatchObject({ source: 'anchor', box: VIDEO });
    const q = player({ section: NONE, anchor: NONE, inner: NONE, video: NONE });
    expect(dockTarget(q.anchor, q.video)).toBeNull();
  });

  const viewport = { width: 1280, height: 800 };
  it.each([
    ['found', VIDEO, 'docked'],
    ['found', box(900, 700, 400, 394), 'off-screen'],
    ['found', box(40, 27, 400, 48), 'too-small'],
    ['found', null, 'no-box'],
    ['missing', null, 'missing'],
    ['searching', null, 'searching'],
    ['idle', null, 'idle'],
  ] as const)('a clip %s with box %j is %s', (status, dockBox, state) => {
    expect(dockState(status, dockBox ? { box: dockBox } : null, viewport)).toBe(state);
  });
});

describe('what each adapter reports of the author', () => {
  it('reads the handle of the TikTok feed item on screen', () => {
    loadFixture('tiktok-foryou');
    const items = [...document.querySelectorAll('[data-e2e="recommend-list-item-container"]')];
    stubBoxes((el) => (el === items[0] ? box(0) : undefined));
    expect(tiktok.current(document, new URL('https://www.tiktok.com/foryou'))?.author).toBe(
      'scout2015',
    );
  });

  it("reads the YouTube short's channel name", () => {
    loadFixture('youtube-shorts');
    const current = youtubeShorts.current(
      document,
      new URL('https://www.youtube.com/shorts/aqz-KE-bpKQ'),
    );
    expect(current?.author).toBe('@BlenderOfficial');
  });

  it("reads the link to the reel author's profile, never Instagram's own pages", () => {
    loadFixture('instagram-reels');
    const videos = [...document.querySelectorAll<HTMLVideoElement>('main video')];
    stubBoxes((el) => (el === videos[1] ? box(16, 736, 400, 414) : undefined));
    play(videos[1]);
    const current = instagramReels.current(
      document,
      new URL('https://www.instagram.com/reels/C9zY8xW7vU6/'),
    );
    expect(current?.author).toBe('pasta.grannies');
  });
});

function report(over: Partial<DockReport> = {}): DockReport {
  return {
    host: 'www.instagram.com',
    adapter: 'instagram-reels',
    state: 'docked',
    clip: { site: 'instagram', clipId: 'C1a2B3c4D5e' },
    author: 'scout2015',
    video: {
      element: 'video',
      width: 414,
      height: 736,
      display: 'block',
      position: 'absolute',
      playing: true,
    },
    anchor: { element: 'div', width: 414, height: 0, display: 'block', position: 'static' },
    dock: { source: 'ancestor', element: 'div' },
    retries: 0,
    at: '2026-12-03T18:00:00.000Z',
    ...over,
  };
}

function memoryStorage(): KeyValueStorage & { data: Record<string, unknown> } {
  const data: Record<string, unknown> = {};
  return {
    data,
    async get(keys: string[]) {
      return Object.fromEntries(keys.filter((k) => k in data).map((k) => [k, data[k]]));
    },
    async set(items: Record<string, unknown>) {
      Object.assign(data, structuredClone(items));
    },
  } as KeyValueStorage & { data: Record<string, unknown> };
}

describe('the background’s dock reports', () => {
  function toolbar() {
    const calls: unknown[] = [];
    const action: TabActionApi = {
      setBadgeText: (d) => calls.push(['text', d]),
      setTitle: (d) => calls.push(['title', d]),
    };
    return { action, calls };
  }

  it('marks the toolbar of a tab that cannot dock, and gives it back once it docks', async () => {
    const { action, calls } = toolbar();
    const docks = new DockReports({ action });
    await docks.set(7, report());
    // Docked from the start: the tab keeps the global badge.
    expect(calls).toEqual([
      ['text', { tabId: 7, text: null }],
      ['title', { tabId: 7, title: 'Kith' }],
    ]);
    calls.length = 0;
    await docks.set(7, report({ state: 'too-small' }));
    expect(calls).toEqual([
      ['text', { tabId: 7, text: '!' }],
      [
        'title',
        { tabId: 7, title: "Kith can't dock on this video. Click for details and to try again." },
      ],
    ]);
    calls.length = 0;
    await docks.set(7, report({ state: 'no-box' }));
    expect(calls).toEqual([]);
    await docks.set(7, report({ state: 'docked' }));
    expect(calls).toEqual([
      ['text', { tabId: 7, text: null }],
      ['title', { tabId: 7, title: 'Kith' }],
    ]);
    expect(docks.get(7)?.state).toBe('docked');
  });

  it('takes the mark away when the tab loads another page', async () => {
    const { action, calls } = toolbar();
    const docks = new DockReports({ action });
    await docks.set(7, report({ state: 'missing' }));
    calls.length = 0;
    await docks.navigated(7);
    await docks.navigated(8);
    expect(calls).toEqual([
      ['text', { tabId: 7, text: null }],
      ['title', { tabId: 7, title: 'Kith' }],
    ]);
  });

  it('ignores anything that is not a report, and forgets closed tabs', async () => {
    const changes: unknown[] = [];
    const docks = new DockReports({ onChange: (tabId, r) => changes.push([tabId, r?.state]) });
    expect(await docks.set(3, { state: 'docked' })).toBe(false);
    expect(await docks.set(3, report({ state: 'exploded' as never }))).toBe(false);
    expect(await docks.set(3, report({ author: 'x'.repeat(5000) }))).toBe(false);
    expect(await docks.set(-1, report())).toBe(false);
    expect(docks.get(3)).toBeNull();
    expect(await docks.set(3, report())).toBe(true);
    docks.remove(3);
    expect(docks.get(3)).toBeNull();
    expect(changes).toEqual([
      [3, 'docked'],
      [3, undefined],
    ]);
  });

  it('remembers reports across a service worker restart', async () => {
    const storage = memoryStorage();
    await new DockReports({ storage }).set(5, report({ state: 'missing' }));
    await settle();
    const restarted = new DockReports({ storage });
    await restarted.load();
    expect(restarted.get(5)?.state).toBe('missing');
  });

  it('words the report as text with only the fields it names', () => {
    const text = dockReportText(report(), { version: '1.2.3' });
    expect(text).toContain('Kith version: 1.2.3');
    expect(text).toContain('Adapter: instagram-reels');
    expect(text).toContain('Clip: instagram C1a2B3c4D5e');
    expect(text).toContain('Anchor: div 414×0 (display: block, position: static)');
    expect(text).toContain('Docked on: ancestor (div)');
    expect(cannotDock(report())).toBe(false);
    expect(cannotDock(report({ state: 'missing' }))).toBe(true);
    expect(isDockReport(JSON.parse(JSON.stringify(report())))).toBe(true);
  });
});

describe("the popup's This site panel", () => {
  const routes = {
    'groups.list': () => [],
    'friends.list': () => [],
    'groups.requests': () => [],
  };

  it('shows what the overlay found on the tab, tries again and copies the report', async () => {
    let listener: ((tabId: number, r: DockReport | null) => void) | null = null;
    const retried: number[] = [];
    const copied: string[] = [];
    let current = report({
      state: 'missing',
      clip: null,
      author: null,
      video: null,
      anchor: null,
      dock: null,
    });
    const { deps } = fakeDeps(routes, {
      currentTab: async () => ({ id: 9, url: 'https://www.instagram.com/reels/C1a2B3c4D5e/' }),
      dockReport: async (tabId) => (tabId === 9 ? current : null),
      dockRetry: async (tabId) => {
        retried.push(tabId);
        current = report({ retries: 1 });
        return { sent: true };
      },
      onDockChanged: (l) => {
        listener = l;
      },
      copy: async (text) => {
        copied.push(text);
      },
    });
    await mount(deps);
    button('This site').click();
    await settle();
    const card = () => popupRoot().querySelector('.dock-report')!;
    expect(card().querySelector('[role=alert]')?.textContent).toBe(
      "Kith can't find a video on this page.",
    );

    button('Try again').click();
    await new Promise((r) => setTimeout(r, 700));
    await settle();
    expect(retried).toEqual([9]);
    expect(card().querySelector('[role=status]')?.textContent).toBe('Kith is docked on the video.');
    expect(card().textContent).toContain('instagram C1a2B3c4D5e');
    expect(card().textContent).toContain('a wrapper of the video’s size (div)');

    // Another tab's news is not this tab's; this tab's shows at once.
    listener!(4, report({ state: 'too-small' }));
    await settle();
    expect(card().querySelector('[role=alert]')).toBeNull();
    listener!(9, report({ state: 'too-small' }));
    await settle();
    expect(card().querySelector('[role=alert]')?.textContent).toContain("can't dock on its video");

    button('Copy report').click();
    await settle();
    expect(copied).toHaveLength(1);
    expect(copied[0]).toContain('State: too-small');
    expect(copied[0]).toContain('Author: scout2015');
  });

  it('says so when no overlay answers "try again" on the tab', async () => {
    const { deps } = fakeDeps(routes, {
      currentTab: async () => ({ id: 2, url: 'https://www.tiktok.com/foryou' }),
      dockReport: async () => report({ state: 'missing' }),
      dockRetry: async () => ({ sent: false }),
    });
    await mount(deps);
    button('This site').click();
    await settle();
    button('Try again').click();
    await settle();
    expect(popupRoot().querySelector('.notice.error')?.textContent).toContain(
      'Kith is not running on this tab. Reload the page',
    );
  });
});
