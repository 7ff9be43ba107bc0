import preact from '@preact/preset-vite';
import { defineConfig } from 'wxt';

/** Sites the overlay runs on out of the box; any other site is enabled per site from the popup. */
export const SUPPORTED_SITES = [
  '*://www.tiktok.com/*',
  '*://m.tiktok.com/*',
  '*://www.youtube.com/*',
  '*://m.youtube.com/*',
  '*://www.instagram.com/*',
];

export default defineConfig({
  srcDir: 'extension',
  outDir: '.output',
  vite: () => ({ plugins: [preact()] }),
  manifest: ({ browser }) => ({
    name: 'Kith',
    description: 'Talk about short videos with your real-life friends, right beside the clip.',
    permissions: ['storage', 'notifications', 'alarms', 'scripting', 'tabs'],
    host_permissions: [...SUPPORTED_SITES, 'http://localhost/*', 'http://127.0.0.1/*'],
    optional_host_permissions: ['https://*/*', 'http://*/*'],
    ...(browser === 'firefox'
      ? {
          browser_specific_settings: {
            gecko: { id: 'kith@kith.app', strict_min_version: '115.0', data_collection_permissions: { required: ['none'] } },
          },
        }
      : {}),
  }),
});
