export { formatPrice } from '../shared/money';

/** The locale to format for: the nearest `lang` (the element's own, then the page's), else the browser's. */
export function localeOf(element: Element): string | undefined {
  return element.closest('[lang]')?.getAttribute('lang') || navigator.language || undefined;
}
