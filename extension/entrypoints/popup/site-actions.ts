import { computed, signal } from '@preact/signals';
import { type DockReport, dockReportText } from '../../lib/dock-report';
import { isSupportedOrigin, originPattern } from '../../lib/hosts';
import { explain, type PopupState } from './popup-state';

/**
 * "This site": turn Kith on or off for the current tab's site, and what the overlay found on
 * the tab (the dock report), with "try again" and "copy report".
 */
export function siteActions({ deps, notice, busy, sites, tab, act, loadSites }: PopupState) {
  /** The current tab's dock report; undefined until asked. */
  const dock = signal<DockReport | null | undefined>(undefined);
  deps.onDockChanged?.((tabId, report) => {
    if (tab.peek()?.id === tabId) dock.value = report;
  });

  async function loadDock() {
    await loadSites();
    const id = tab.peek()?.id;
    dock.value = id !== undefined && deps.dockReport ? await deps.dockReport(id) : null;
  }

  return {
    dock,

    /** Reads the current tab and its report again (the "This site" panel does on opening). */
    async loadDock() {
      await act('dock', loadDock);
    },

    /** Asks the tab's overlay to look for the video and the dock again. */
    async retryDock() {
      const id = tab.peek()?.id;
      if (id === undefined || !deps.dockRetry) return;
      await act('dock', async () => {
        const { sent } = await deps.dockRetry!(id);
        if (!sent) {
          throw new Error(
            'Kith is not running on this tab. Reload the page, then try again from here.',
          );
        }
        // The overlay reports its new look in a moment (dock.changed); ask too, in case.
        await new Promise((resolve) => setTimeout(resolve, 600));
        if (deps.dockReport) dock.value = await deps.dockReport(id);
      });
    },

    /** Copies the report as text, for a bug report. */
    async copyDockReport() {
      const report = dock.peek();
      if (!report) return;
      await act(
        'dock-copy',
        () => deps.copy(dockReportText(report, deps.version ? { version: deps.version } : {})),
        'Report copied. Paste it into your bug report.',
      );
    },

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
