const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** The elements Tab can reach inside `container`, in order. */
export function focusables(container: HTMLElement): HTMLElement[] {
  return [...container.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(
    (el) => !el.hidden && el.getClientRects().length > 0,
  );
}

/** The focused element inside the container's tree (through its shadow root). */
function activeIn(container: HTMLElement): Element | null {
  const root = container.getRootNode() as Document | ShadowRoot;
  return root.activeElement ?? null;
}

/**
 * Keeps Tab and Shift+Tab inside `container` (wrapping around), and calls `onEscape` on Esc.
 * Typing stays inside too: the overlay's shadow host stops key events before the site's own
 * shortcuts (space = pause, arrows = next clip) can see them. Stops when `signal` aborts.
 */
export function trapFocus(container: HTMLElement, onEscape: () => void, signal: AbortSignal): void {
  container.addEventListener(
    'keydown',
    (event) => {
      if (event.key === 'Escape' && !event.isComposing) {
        event.preventDefault();
        onEscape();
        return;
      }
      if (event.key !== 'Tab') return;
      const items = focusables(container);
      if (items.length === 0) {
        event.preventDefault();
        return;
      }
      const first = items[0]!;
      const last = items[items.length - 1]!;
      const active = activeIn(container);
      const inside = active instanceof HTMLElement && container.contains(active);
      if (event.shiftKey && (active === first || !inside)) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && (active === last || !inside)) {
        event.preventDefault();
        first.focus();
      }
    },
    { signal },
  );
}

/** Key and pointer events that must not reach the page from inside the overlay. */
export const ISOLATED_EVENTS = [
  'keydown',
  'keyup',
  'keypress',
  'click',
  'dblclick',
  'mousedown',
  'mouseup',
  'pointerdown',
  'pointerup',
  'wheel',
  'touchstart',
  'touchmove',
  'touchend',
  'contextmenu',
];
