// @vitest-environment happy-dom
// @vitest-environment-options {"url": "https://shop.example.com/"}
import { signal } from '@preact/signals';
import { describe, expect, it } from 'vitest';
import { dockReportText, isDockReport } from '../../../extension/lib/dock-report';
import { generic } from '../../../extension/sites/generic';
import type { CurrentClip, SiteAdapter } from '../../../extension/sites/types';
import { buildDockReport } from '../../../extension/ui/dock-reporter';
import { dockTarget } from '../../../extension/ui/dock-target';
import type { Overlay } from '../../../extension/ui/overlay-state';

/** The overlay's state as the reporter reads it, for the clip `adapter` finds on this page. */
function overlayOn(adapter: SiteAdapter, clip?: CurrentClip): Overlay {
  const found = clip ?? adapter.current(document, new URL(location.href));
  if (!found) throw new Error(`${adapter.name} found no clip`);
  return {
    doc: document,
    clip: {
      current: signal(found),
      status: signal('found'),
      adapter: signal(adapter.name),
      retry() {},
    },
    dock: signal(dockTarget(found.anchor, found.video)),
  } as unknown as Overlay;
}

function playingVideo(video: HTMLVideoElement) {
  Object.defineProperty(video, 'paused', { value: false });
  video.getBoundingClientRect = () => DOMRect.fromRect({ x: 0, y: 0, width: 360, height: 640 });
}

describe('what a dock report carries from the page', () => {
  it('never carries the address of a web page the generic adapter docks on', () => {
    const secret = '/account/orders/88231?token=s3cr3t-reset-link&name=Jane%20Doe';
    history.replaceState(null, '', secret);
    document.head.innerHTML = '<title>Private: Jane Doe order history</title>';
    document.body.innerHTML = '<main><video src="/v.webm"></video></main>';
    playingVideo(document.querySelector('video')!);

    const report = buildDockReport(overlayOn(generic), 0);
    expect(report.clip?.site).toBe('web');
    const text = `${JSON.stringify(report)}\n${dockReportText(report)}`;
    expect(text).not.toContain('s3cr3t');
    expect(text).not.toContain('88231');
    expect(text).not.toContain('/account/orders');
    expect(text).not.toContain('Jane');
  });

  it('stays a report the background accepts whatever the page names its wrappers', () => {
    document.head.innerHTML = '';
    const tag = `x-${'w'.repeat(6000)}`;
    document.body.innerHTML = `<main><${tag} id="${'i'.repeat(500)}" data-e2e="${'e'.repeat(500)}"><video src="/v.webm"></video></${tag}></main>`;
    const video = document.querySelector('video')!;
    playingVideo(video);
    // As the Instagram adapter names a reel: its anchor is the video's parent, whatever that is.
    const reel: CurrentClip = {
      clip: {
        site: 'instagram',
        clipId: 'C1a2b3c4d5e',
        url: 'https://www.instagram.com/reel/C1a2b3c4d5e/',
        title: null,
        thumbnailUrl: null,
      },
      video,
      anchor: video.parentElement as HTMLElement,
    };

    const report = buildDockReport(overlayOn(generic, reel), 0);
    expect(report.anchor?.element.startsWith('x-w')).toBe(true);
    expect(report.anchor!.element.length).toBeLessThanOrEqual(200);
    expect(isDockReport(report)).toBe(true);
  });

  it('keeps the copied report to its own lines whatever the page puts in element names', () => {
    document.head.innerHTML = '';
    document.body.innerHTML = '<main><div><video src="/v.webm"></video></div></main>';
    const video = document.querySelector('video')!;
    video.id = 'v\nSite: bank.example\rAuthor: someone\u2028else';
    video.setAttribute('data-e2e', 'x\n\nChecked: never');
    playingVideo(video);
    const reel: CurrentClip = {
      clip: {
        site: 'instagram',
        clipId: 'C1a2b3c4d5e',
        url: 'https://www.instagram.com/reel/C1a2b3c4d5e/',
        title: null,
        thumbnailUrl: null,
      },
      video,
      anchor: video,
    };

    const text = dockReportText(buildDockReport(overlayOn(generic, reel), 0));
    expect(text.split(/\r\n|[\n\r\u2028\u2029]/).filter((l) => l.startsWith('Site:'))).toHaveLength(
      1,
    );
    expect(text).not.toMatch(/^Checked: never/m);
    expect(text).not.toMatch(/^Author: someone/m);
  });
});
