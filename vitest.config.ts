import { defineConfig } from 'vitest/config';
import { WxtVitest } from 'wxt/testing/vitest-plugin';

const jsx = { oxc: { jsx: { runtime: 'automatic' as const, importSource: 'preact' } } };

/**
 * Three projects. Most suites (server, integration, site adapters, browser) run in plain Node.
 * The extension's background and popup units run with WxtVitest(), which swaps `wxt/browser`
 * for the in-memory fakeBrowser and sets up WXT's auto-imports, as WXT's own examples do.
 * The fault tests (`test/faults/`) stop shared services (PostgreSQL) and load the machine, so
 * they run after the other two have finished (`sequence.groupOrder`), one file at a time.
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
          exclude: ['test/unit/extension/**', 'test/faults/**', '**/node_modules/**'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        plugins: [WxtVitest()],
        test: {
          name: 'extension',
          include: ['test/unit/extension/**/*.test.ts', 'test/unit/extension/**/*.test.tsx'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          sequence: { groupOrder: 1 },
          fileParallelism: false,
        },
      },
    ],
  },
});
