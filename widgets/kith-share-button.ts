import { h, KithElement } from './kith-element';

/**
 * `<kith-share-button url="…">`: shares the page (or a clip) to a Kith group.
 *
 * With the Kith extension on the page, the link hands off to it through window messages,
 * namespaced `{ kith: … }` and sent to this page's own origin only (the content script shares the
 * window; nothing is ever posted to '*'):
 *   page → extension  { kith: { type: 'hello', v: 1 } }                 when this script loads
 *   extension → page  { kith: { type: 'extension', v: 1 } }             answer (or on its start)
 *   page → extension  { kith: { type: 'share', v: 1, url, title } }     on click; the extension
 *                                                                        asks which groups
 * Without it, the same element is a plain link to the share page on the Kith server, which
 * works with no script at all, in a new tab.
 * Attributes: `url` (default: this page), `share-title` (default: the page's title), `label`,
 * `api`. Emits a cancelable `kith:share` with `{ url, title, via: 'extension' | 'page' }`.
 */

const origin = location.origin === 'null' ? null : location.origin;
let extension = false;

if (origin) {
  window.addEventListener('message', (event) => {
    if (
      event.source === window &&
      event.origin === origin &&
      event.data?.kith?.type === 'extension'
    )
      extension = true;
  });
  window.postMessage({ kith: { type: 'hello', v: 1 } }, origin);
}

export class KithShareButton extends KithElement {
  static override observedAttributes = ['api', 'url', 'share-title', 'label'];

  protected render() {
    const url = new URL(this.getAttribute('url') || location.href, location.href).href;
    const title = this.getAttribute('share-title') ?? document.title;
    const page = new URL(`${this.api}/share`);
    page.searchParams.set('url', url);
    if (title) page.searchParams.set('title', title);
    const status = h('span', { class: 'sr', role: 'status' });
    const link = h(
      'a',
      {
        part: 'button',
        class: 'btn',
        href: page.href,
        target: '_blank',
        rel: 'noopener',
        onclick: (event: MouseEvent) => {
          const via = extension && origin ? 'extension' : 'page';
          if (!this.emit('kith:share', { url, title, via }, true)) return event.preventDefault();
          if (via === 'extension') {
            event.preventDefault();
            window.postMessage({ kith: { type: 'share', v: 1, url, title } }, origin!);
            status.textContent = 'Opening Kith…';
          }
        },
        // A link answers Enter; as the button it looks like, it answers Space too.
        onkeydown: (event: KeyboardEvent) => {
          if (event.key === ' ') {
            event.preventDefault();
            link.click();
          }
        },
      },
      this.getAttribute('label') || 'Share to Kith',
    );
    this.show(link, status);
  }
}

if (!customElements.get('kith-share-button'))
  customElements.define('kith-share-button', KithShareButton);
