import type { FunctionComponent } from 'preact';
import type { FeatureId, Overlay } from './overlay-state';

/** One tab of the overlay panel; one file each (`<id>-feature.tsx`), listed in features.ts. */
export interface OverlayFeature {
  id: FeatureId;
  label: string;
  /**
   * Starts the feature for one overlay and returns what its tab shows. Every listener, effect
   * and request it starts stops when `signal` aborts.
   */
  mount(overlay: Overlay, signal: AbortSignal): FunctionComponent;
}
