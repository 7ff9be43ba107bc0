import { computed } from '@preact/signals';
import { isSupportedOrigin, originPattern } from '../../lib/hosts';
import { explain, type PopupState } from './popup-state';

/** "This site": turn Kith on or off for the current tab's site. */
export function siteActions({ deps, notice, busy, sites, tab, act, loadSites }: PopupState) {
  return {
    async enableSite() {
      const current = tab.value;
      if (!current?.origin) return;
      const origin = current.origin;
      busy.value = 'site';
      notice.value = null;
      try {
        // The permission prompt needs the click's user gesture: ask before anything else.
        const granted = await deps.requestOrigins([originPattern(origin)]);
        if (!granted) {
          notice.value = {
            kind: 'error',
            text: `Kith stays off on ${new URL(origin).hostname}: the permission was not given. Click the button again and choose Allow to turn it on.`,
          };
          return;
        }
        await deps.siteEnable(origin, current.id);
        await loadSites();
        notice.value = {
          kind: 'ok',
          text: `Kith is on for ${new URL(origin).hostname}. Play a video to see it.`,
        };
      } catch (error) {
        notice.value = { kind: 'error', text: explain(error) };
      } finally {
        busy.value = null;
      }
    },

    async disableSite(origin: string) {
      await act(
        `site:${origin}`,
        async () => {
          await deps.siteDisable(origin);
          await loadSites();
        },
        `Kith is off for ${new URL(origin).hostname}.`,
      );
    },

    /** What the "This site" panel says about the current tab. */
    siteState: computed(() => {
      const origin = tab.value?.origin ?? null;
      if (!origin) return { kind: 'none' as const };
      if (isSupportedOrigin(origin)) return { kind: 'builtIn' as const, origin };
      const on = sites.value.some((s) => s.origin === origin);
      return { kind: on ? ('on' as const) : ('off' as const), origin };
    }),
  };
}
