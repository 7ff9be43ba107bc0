import { chatFeature } from './chat-feature';
import { friendsFeature } from './friends-feature';
import type { OverlayFeature } from './overlay-feature';
import { shareFeature } from './share-feature';

export type { OverlayFeature };

/** The panel's tabs, in order. A unit test keeps this list, the files and FeatureId in step. */
export const features: OverlayFeature[] = [shareFeature, chatFeature, friendsFeature];
