/**
 * The one script a brand adds: `<script type="module" src="https://<kith>/widgets/kith.js">`.
 * It stays tiny and is cached briefly; each element's code is a content-hashed chunk fetched only
 * when that element is on the page (now, or added later by a framework).
 */
const elements: Record<string, () => Promise<unknown>> = {
  'kith-shop-button': () => import('./kith-shop-button'),
  'kith-product-card': () => import('./kith-product-card'),
  'kith-shoppable-video': () => import('./kith-shoppable-video'),
  'kith-cart': () => import('./kith-cart'),
  'kith-share-button': () => import('./kith-share-button'),
};
const pending = new Set(Object.keys(elements));

function load(tag: string) {
  pending.delete(tag);
  elements[tag]!().catch((error) => {
    pending.add(tag);
    console.error(`Kith: could not load <${tag}>`, error);
  });
}

function scan(root: ParentNode) {
  for (const tag of pending) if (root.querySelector(tag)) load(tag);
}

function cartWaiting(): boolean {
  try {
    for (let i = 0; i < localStorage.length; i++)
      if (localStorage.key(i)?.startsWith('kith:cart:')) return true;
  } catch {}
  return false;
}

scan(document);
// A cart filled on another page of the site shows up here too, once any Kith element does.
if (
  pending.size < Object.keys(elements).length &&
  !document.querySelector('kith-cart') &&
  cartWaiting()
) {
  const cart = document.createElement('kith-cart');
  cart.setAttribute('floating', '');
  document.body.append(cart);
}

const observer = new MutationObserver((records) => {
  for (const record of records)
    for (const node of record.addedNodes)
      if (node instanceof Element) {
        if (pending.has(node.localName)) load(node.localName);
        scan(node);
      }
  if (!pending.size) observer.disconnect();
});
observer.observe(document.documentElement, { childList: true, subtree: true });
