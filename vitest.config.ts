import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The JSON report lets .ci/run print one closing `N passed, N failed` line.
    reporters: ['default', ['json', { outputFile: '.vitest-results.json' }]],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['harness/**/*.test.ts', 'bench/**/*.test.ts'],
          exclude: ['harness/**/*.integration.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['harness/**/*.integration.test.ts'],
          globalSetup: ['harness/testing/host-safety.global.ts'],
          // Real labs on the real kernel: each test builds and tears down its own.
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
