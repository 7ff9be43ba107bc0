// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import '../../../widgets/kith-share-button';
import { API, mount, shadow } from './fake-api';

beforeEach(() => {
  document.body.replaceChildren();
  document.title = 'Spring drop';
});
afterEach(() => vi.restoreAllMocks());

const link = (el: Element) => shadow(el).querySelector('[part="button"]') as HTMLAnchorElement;

describe('<kith-share-button>', () => {
  it('links to the share page on the Kith server, for the page by default', async () => {
    const el = mount(`<kith-share-button api="${API}"></kith-share-button>`);
    await vi.waitFor(() => expect(link(el)).not.toBeNull());
    const href = new URL(link(el).href);
    expect(href.origin + href.pathname).toBe(`${API}/share`);
    expect(href.searchParams.get('url')).toBe(location.href);
    expect(href.searchParams.get('title')).toBe('Spring drop');
    expect(link(el).target).toBe('_blank');
    expect(link(el).textContent).toBe('Share to Kith');
  });

  it('shares the url attribute when given, and emits kith:share', async () => {
    const el = mount(
      `<kith-share-button api="${API}" url="https://www.tiktok.com/@a/video/1" share-title="Look" label="Send to friends"></kith-share-button>`,
    );
    await vi.waitFor(() => expect(link(el)).not.toBeNull());
    const events: CustomEvent[] = [];
    document.addEventListener(
      'kith:share',
      (e) => {
        events.push(e as CustomEvent);
        e.preventDefault();
      },
      { once: true },
    );
    link(el).click();
    expect(events[0]!.detail).toEqual({
      url: 'https://www.tiktok.com/@a/video/1',
      title: 'Look',
      via: 'page',
    });
    expect(link(el).textContent).toBe('Send to friends');
  });

  it('hands off to the extension with a namespaced message on the page’s own origin', async () => {
    const posted: [unknown, string][] = [];
    window.addEventListener('message', (e) => {
      if ((e.data as { kith?: { type?: string } })?.kith?.type === 'share')
        posted.push([e.data, e.origin]);
    });
    // The extension's content script announces itself on the shared window.
    window.dispatchEvent(
      new MessageEvent('message', {
        data: { kith: { type: 'extension', v: 1 } },
        origin: location.origin,
        source: window,
      }),
    );
    const el = mount(
      `<kith-share-button url="https://example.com/p" api="${API}"></kith-share-button>`,
    );
    await vi.waitFor(() => expect(link(el)).not.toBeNull());
    const events: CustomEvent[] = [];
    document.addEventListener('kith:share', (e) => events.push(e as CustomEvent));
    const click = new MouseEvent('click', { bubbles: true, cancelable: true });
    link(el).dispatchEvent(click);
    expect(click.defaultPrevented).toBe(true);
    expect(events.at(-1)!.detail.via).toBe('extension');
    await vi.waitFor(() => expect(posted).toHaveLength(1));
    expect(posted).toEqual([
      [
        { kith: { type: 'share', v: 1, url: 'https://example.com/p', title: 'Spring drop' } },
        location.origin,
      ],
    ]);
  });

  it('answers Space like a button', async () => {
    const el = mount(`<kith-share-button api="${API}"></kith-share-button>`);
    await vi.waitFor(() => expect(link(el)).not.toBeNull());
    const clicked = vi.fn((e: Event) => e.preventDefault());
    link(el).addEventListener('click', clicked);
    link(el).dispatchEvent(
      new KeyboardEvent('keydown', { key: ' ', bubbles: true, cancelable: true }),
    );
    expect(clicked).toHaveBeenCalledOnce();
  });
});
