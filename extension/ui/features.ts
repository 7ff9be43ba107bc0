import type { FunctionComponent } from 'preact';
import { chatFeature } from './chat-feature';
import { friendsFeature } from './friends-feature';
import type { FeatureId, Overlay } from './overlay-state';
import { shareFeature } from './share-feature';

/** One tab of the overlay panel; one file each (`<id>-feature.tsx`). */
export interface OverlayFeature {
  id: FeatureId;
  label: string;
  /**
   * Starts the feature for one overlay and returns what its tab shows. Every listener, effect
   * and request it starts stops when `signal` aborts.
   */
  mount(overlay: Overlay, signal: AbortSignal): FunctionComponent;
}

/** The panel's tabs, in order. A unit test keeps this list, the files and FeatureId in step. */
export const features: OverlayFeature[] = [shareFeature, chatFeature, friendsFeature];
