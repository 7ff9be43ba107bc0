import { sql } from 'drizzle-orm';
import { brands, channelClaims, clipChannels, clipProducts, products } from '../db/schema';

/**
 * Whether a tag (a `clip_products` row, joined with its product and the product's brand) may
 * show to viewers: the clip's channel is verified, and its owner is the product's brand (or
 * that brand's owner), or the owner agreed to the tag (tagged it, or accepted the brand's
 * request) and still owns the channel. Any other tag is stored but shown to nobody.
 */
export const tagConsented = () => sql<boolean>`exists (
  select 1 from ${clipChannels}
  join ${channelClaims}
    on ${channelClaims.site} = ${clipChannels.site}
   and ${channelClaims.handle} = ${clipChannels.handle}
   and ${channelClaims.state} = 'verified'
  where ${clipChannels.clipRef} = ${clipProducts.clipRef}
    and (${channelClaims.brandId} = ${products.brandId}
      or ${channelClaims.userId} = ${brands.ownerId}
      or ${channelClaims.userId} = ${clipProducts.consentBy})
)`;
