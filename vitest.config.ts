import { defineConfig } from 'vitest/config';
import { WxtVitest } from 'wxt/testing/vitest-plugin';

const jsx = { oxc: { jsx: { runtime: 'automatic' as const, importSource: 'preact' } } };

/**
 * Two projects. Most suites (server, integration, site adapters, browser) run in plain Node.
 * The extension's background and popup units run with WxtVitest(), which swaps `wxt/browser`
 * for the in-memory fakeBrowser and sets up WXT's auto-imports, as WXT's own examples do.
 */
export default defineConfig({
  ...jsx,
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
          exclude: ['test/unit/extension/**', '**/node_modules/**'],
        },
      },
      {
        extends: true,
        plugins: [WxtVitest()],
        test: {
          name: 'extension',
          include: ['test/unit/extension/**/*.test.ts', 'test/unit/extension/**/*.test.tsx'],
        },
      },
    ],
  },
});
