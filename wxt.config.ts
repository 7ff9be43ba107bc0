import preact from '@preact/preset-vite';
import { defineConfig } from 'wxt';
import { OPEN_OVERLAY_COMMAND, OPEN_OVERLAY_KEY } from './extension/background/commands';
import { releaseServerOrigin, SUPPORTED_SITES, serverHostPermissions } from './extension/lib/hosts';

export { SUPPORTED_SITES };

/** Any other site, granted one origin at a time from the popup. */
const OPTIONAL_SITES = ['https://*/*', 'http://*/*'];

/**
 * The server the build talks to. `npm run zip` (store builds) needs KITH_SERVER_URL, the https
 * origin of the server, and stops here without it; any other build uses it when set and talks
 * to the local server (`npm start`) otherwise.
 */
const zipping = process.argv.slice(2).includes('zip');
const SERVER_URL =
  zipping || process.env.KITH_SERVER_URL ? releaseServerOrigin(process.env.KITH_SERVER_URL) : null;

/** Firefox's data collection consent (`browser_specific_settings.gecko`), shown at install. */
const DATA_COLLECTED = [
  'authenticationInfo',
  'personalCommunications',
  'browsingActivity',
  'websiteContent',
  'financialAndPaymentInfo',
];

const ICONS = { 16: 'icon/16.png', 32: 'icon/32.png', 48: 'icon/48.png', 128: 'icon/128.png' };

export default defineConfig({
  srcDir: 'extension',
  // Icons and other files copied as they are (the top level of the repository is fixed).
  publicDir: 'extension/public',
  // KITH_OUT_DIR lets tests build and zip into a folder of their own, so they never clash with
  // a `wxt build` another test or person runs into `.output/` at the same time.
  outDir: process.env.KITH_OUT_DIR ?? '.output',
  vite: ({ mode }) => {
    // A production build (`wxt build`, `wxt zip`) is what ships, whatever NODE_ENV the shell has
    // (vitest sets `test`): Vite keys the development JSX transform (a file name and line number
    // on every element), `process.env.NODE_ENV` and Preact's devtools bridge on NODE_ENV, not on
    // the mode, and would put them all in the content script.
    if (mode === 'production') process.env.NODE_ENV = 'production';
    return {
      plugins: [preact()],
      // Read by extension/lib/hosts.ts (BUILT_SERVER_URL); empty means the local server.
      define: { __KITH_SERVER_URL__: JSON.stringify(SERVER_URL ?? '') },
    };
  },
  hooks: {
    // The overlay's shadow-root CSS is a web-accessible resource limited to the content script's
    // matches. Sites the user turns Kith on for (optional permissions) need it too; the URL is
    // per-session (`use_dynamic_url`), so this exposes nothing a page can fingerprint.
    'build:manifestGenerated': (_wxt, manifest) => {
      for (const entry of manifest.web_accessible_resources ?? []) {
        if (typeof entry === 'string' || !('matches' in entry)) continue;
        if (!entry.resources.some((r) => r.includes('overlay'))) continue;
        entry.matches = [...new Set([...(entry.matches ?? []), ...OPTIONAL_SITES])];
      }
    },
  },
  zip: {
    // The sources zip is what a store reviewer rebuilds from: no tests, no local data.
    excludeSources: ['test/**', 'bench-results/**', 'coverage/**', 'dist/**'],
  },
  manifest: ({ browser, manifestVersion }) => ({
    name: 'Kith',
    description: 'Talk about short videos with your real-life friends, right beside the clip.',
    icons: ICONS,
    // WXT fills in the popup; on MV2 it writes `browser_action` itself and would drop `action`.
    ...(manifestVersion === 2
      ? { browser_action: { default_title: 'Kith', default_icon: ICONS } }
      : { action: { default_title: 'Kith', default_icon: ICONS } }),
    // Least privilege: no "tabs" (activeTab gives the popup the current tab's address when the
    // user clicks the button), no broad hosts: the supported sites and the build's server only
    // (KITH_SERVER_URL, else the local one); any other site or server is an optional permission
    // the user grants from the popup.
    permissions: ['storage', 'notifications', 'alarms', 'scripting', 'activeTab'],
    host_permissions: [...SUPPORTED_SITES, ...serverHostPermissions(SERVER_URL)],
    // A keyboard shortcut for the overlay (extension/background/commands.ts); people can change
    // it at chrome://extensions/shortcuts or in Firefox's add-on shortcut settings.
    commands: {
      [OPEN_OVERLAY_COMMAND]: {
        suggested_key: { default: OPEN_OVERLAY_KEY },
        description: 'Open Kith on the clip you are watching',
      },
    },
    // MV2 (Firefox) has no optional_host_permissions: there they are optional permissions.
    ...(manifestVersion === 2
      ? { optional_permissions: OPTIONAL_SITES }
      : { optional_host_permissions: OPTIONAL_SITES }),
    ...(browser === 'firefox'
      ? {
          browser_specific_settings: {
            gecko: {
              id: 'kith@kith.app',
              // 140 (the ESR line) is the first to read data_collection_permissions.
              strict_min_version: '140.0',
              // What leaves the browser (Mozilla's taxonomy; see PRIVACY.md): sign-up details
              // and the session token, the messages people write, the addresses, titles and
              // images of clips the user acts on (shares, chats about, opens Kith on, buys
              // from; a clip merely watched is not sent, see PRIVACY.md), and the orders placed
              // from a clip.
              data_collection_permissions: {
                required: DATA_COLLECTED,
              },
            },
            gecko_android: { strict_min_version: '142.0' },
          },
        }
      : {}),
  }),
});
