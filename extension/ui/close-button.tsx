/** The ✕ button that closes or dismisses a part of the overlay (`.kith-close`, plus `extraClass`). */
export function CloseButton({
  label,
  onClick,
  size = 14,
  extraClass,
}: {
  label: string;
  onClick: () => void;
  /** Width and height of the ✕, in pixels. */
  size?: number;
  extraClass?: string;
}) {
  return (
    <button
      type="button"
      class={extraClass ? `kith-close ${extraClass}` : 'kith-close'}
      aria-label={label}
      onClick={onClick}
    >
      <svg viewBox="0 0 24 24" width={size} height={size} aria-hidden="true" focusable="false">
        <path
          d="M6 6l12 12M18 6L6 18"
          stroke="currentColor"
          stroke-width="2"
          stroke-linecap="round"
        />
      </svg>
    </button>
  );
}
