// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import '../../../widgets/kith-shoppable-video';
import { API, fakeApi, mount, product, shadow } from './fake-api';

beforeEach(() => {
  document.body.replaceChildren();
  document.documentElement.lang = 'en-US';
});
afterEach(() => vi.unstubAllGlobals());

const CLIP = 'https://www.tiktok.com/@brand/video/7300000000000000001';

describe('<kith-shoppable-video>', () => {
  it('shows each tagged product as a chip during its moments, and a chip opens its card', async () => {
    const tote = { ...product({ title: 'Tote', priceCents: 2800 }), fromSeconds: 0, toSeconds: 5 };
    const mug = { ...product({ title: 'Mug', priceCents: 1900 }), fromSeconds: 4, toSeconds: null };
    const { calls } = fakeApi([tote, mug], { clip: { products: [tote, mug] } });
    const el = mount(
      `<kith-shoppable-video src="/v.webm" clip="${CLIP}" api="${API}"></kith-shoppable-video>`,
    );
    const video = () => shadow(el).querySelector('video')!;
    const chips = () => [...shadow(el).querySelectorAll('[part="chip"]')].map((c) => c.textContent);
    const at = (t: number) => {
      Object.defineProperty(video(), 'currentTime', { value: t, configurable: true });
      video().dispatchEvent(new Event('timeupdate'));
    };
    await vi.waitFor(() => expect(chips()).toEqual(['Tote · $28.00']));
    expect(calls[0]).toEqual({ path: 'shop.forClip', input: { url: CLIP }, method: 'GET' });
    expect(video().getAttribute('src')).toBe('/v.webm');
    at(4.5);
    expect(chips()).toEqual(['Tote · $28.00', 'Mug · $19.00']);
    at(7);
    expect(chips()).toEqual(['Mug · $19.00']);

    (shadow(el).querySelector('[part="chip"]') as HTMLButtonElement).click();
    const panel = shadow(el).querySelector('[part="panel"]') as HTMLElement;
    expect(panel.hidden).toBe(false);
    const card = panel.querySelector('kith-product-card')!;
    expect(card.getAttribute('product')).toBe(mug.id);
    expect(card.getAttribute('clip')).toBe(CLIP);
    // The card's product came with the clip: no second request.
    await vi.waitFor(() =>
      expect(card.shadowRoot!.querySelector('[part="title"]')?.textContent).toBe('Mug'),
    );
    expect(calls.filter((c) => c.path === 'products.get')).toHaveLength(0);

    panel.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    expect(panel.hidden).toBe(true);
  });
});
