import { defineConfig } from 'wxt';

// Extension build: Chrome MV3 and Firefox MV2 from one source tree under extension/.
export default defineConfig({
  srcDir: 'extension',
  outDir: '.output',
  modules: [],
  manifest: {
    name: 'Kith',
    description: 'Talk about short videos with your real-life friends, right beside the clip.',
    permissions: ['storage'],
    browser_specific_settings: { gecko: { id: 'kith@kith.app' } },
  },
});
