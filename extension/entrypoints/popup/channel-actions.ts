import type { ChannelClaim, PopupState, TagRequest } from './popup-state';

const SITE_NAMES: Record<ChannelClaim['site'], string> = {
  tiktok: 'TikTok',
  youtube: 'YouTube',
  instagram: 'Instagram',
};

/** The site's name as people say it. */
export const siteName = (site: ChannelClaim['site']) => SITE_NAMES[site] ?? site;

/** My channels: claiming one, verifying it by the code in its bio, and brands' tag requests. */
export function channelActions({ deps, act, channels, tagRequests, earnings }: PopupState) {
  async function loadChannels() {
    // Earnings are extra: the channels show even if they cannot be loaded.
    const earned = deps.api.creators.earnings.query().catch(() => null);
    const [mine, requests] = await Promise.all([
      deps.api.channels.mine.query(),
      deps.api.shop.tagRequests.query(),
    ]);
    channels.value = mine;
    tagRequests.value = requests.incoming;
    earnings.value = await earned;
  }
  return {
    async loadChannels() {
      await act('channels', loadChannels);
    },

    /** Starts a claim; answers it so the panel can show its code. */
    async claimChannel(url: string): Promise<ChannelClaim | undefined> {
      return act('claimChannel', async () => {
        const claim = await deps.api.channels.claim.mutate({ url });
        await loadChannels();
        return channels.value?.find((c) => c.claimId === claim.claimId) ?? undefined;
      });
    },

    async verifyChannel(claim: ChannelClaim) {
      await act(
        `verify:${claim.claimId}`,
        async () => {
          await deps.api.channels.verify.mutate({ claimId: claim.claimId });
          await loadChannels();
        },
        `@${claim.handle} on ${siteName(claim.site)} is verified as yours. You can take the code out of your bio now.`,
      );
    },

    /** Opens Stripe onboarding for payouts of commissions, in a new tab. */
    async connectPayouts() {
      await act('payouts', async () => {
        const { url } = await deps.api.creators.connect.mutate();
        window.open(url, '_blank', 'noopener');
      });
    },

    async copyCode(claim: ChannelClaim) {
      await act('copy', () => deps.copy(claim.code), 'Code copied: paste it into your bio.');
    },

    async respondTag(request: TagRequest, accept: boolean) {
      await act(
        `tag:${request.requestId}`,
        async () => {
          await deps.api.shop.respondTag.mutate({ requestId: request.requestId, accept });
          await loadChannels();
        },
        accept
          ? `${request.product.title} now shows in your clip.`
          : `${request.product.title} will not show in your clip.`,
      );
    },
  };
}
