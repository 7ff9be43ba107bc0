import { type KithError, scriptOrigin } from './api';
import theme from './theme.css?inline';

/**
 * What every Kith element shares: an open shadow root styled by constructable stylesheets (no
 * `<style>` or `style=""`, so a page's `style-src` CSP without 'unsafe-inline' is no obstacle),
 * a render that runs once per tick after attribute changes, an AbortSignal per connection, and
 * events that cross the shadow boundary.
 */

type Child = Node | string | number | null | undefined | false;
type Props = Record<string, unknown>;

/**
 * A DOM element. `on<event>` props become listeners; other props become attributes (true → "",
 * false/null → absent). Children that are strings become text nodes: text is never parsed as HTML.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: Props | null,
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const name in props) {
    const value = props[name];
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value as EventListener);
    else if (value != null && value !== false)
      el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat())
    if (child != null && child !== false)
      el.append(typeof child === 'number' ? String(child) : child);
  return el;
}

const sheets = new Map<string, CSSStyleSheet>();

function adopt(root: ShadowRoot, css: string) {
  if ('adoptedStyleSheets' in root) {
    let sheet = sheets.get(css);
    if (!sheet) {
      sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      sheets.set(css, sheet);
    }
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  } else {
    // Browsers before constructable stylesheets (Safari < 16.4): a <style> still works wherever
    // the page's CSP allows inline styles.
    (root as ShadowRoot).append(h('style', null, css));
  }
}

export abstract class KithElement extends HTMLElement {
  static observedAttributes = ['api', 'product'];
  /** The element's one child in its shadow root; everything it shows goes in here. */
  protected readonly base: HTMLDivElement;
  protected signal: AbortSignal = AbortSignal.abort();
  /** Bumped by each render, so a late answer for an old attribute value is dropped. */
  protected generation = 0;
  private controller: AbortController | null = null;
  private queued = false;

  constructor(css = '') {
    super();
    const root = this.attachShadow({ mode: 'open' });
    adopt(root, theme);
    if (css) adopt(root, css);
    this.base = h('div', { part: 'base', class: 'kith' });
    root.append(this.base);
  }

  connectedCallback() {
    this.controller = new AbortController();
    this.signal = this.controller.signal;
    this.queueRender();
  }

  disconnectedCallback() {
    this.controller?.abort();
  }

  attributeChangedCallback() {
    this.queueRender();
  }

  protected queueRender() {
    if (this.queued) return;
    this.queued = true;
    queueMicrotask(() => {
      this.queued = false;
      if (this.isConnected) {
        this.generation++;
        this.render();
      }
    });
  }

  protected abstract render(): void;

  /** The Kith server to ask: the `api` attribute, else the server this script came from. */
  get api(): string {
    return (this.getAttribute('api') || scriptOrigin).replace(/\/+$/, '');
  }

  protected show(...nodes: (Node | string)[]) {
    this.base.replaceChildren(...nodes);
  }

  /** Dispatches a `kith:*` event that bubbles out of the shadow root; false if cancelled. */
  emit(type: string, detail: unknown, cancelable = false): boolean {
    return this.dispatchEvent(
      new CustomEvent(type, { detail, bubbles: true, composed: true, cancelable }),
    );
  }
}

/** An inline message in place of the element (unknown product, no network, …). */
export function message(text: string, kind: 'error' | 'info' = 'error') {
  return h('p', { part: 'message', class: `msg ${kind}`, role: 'status' }, text);
}

/** What a buyer reads for a product that cannot be shown; the details go to the console. */
export function unavailable(error: KithError) {
  if (error.code === 'NETWORK') return message(error.message);
  console.warn(`Kith: ${error.message}`);
  return message('This product is not available.');
}
