import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The JSON report lets .ci/run print one closing `N passed, N failed` line.
    reporters: ['default', ['json', { outputFile: '.vitest-results.json' }]],
    // Once for every project: tests spawn the compiled CLI, built here when missing or stale.
    globalSetup: ['harness/testing/build-cli.global.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          sequence: { groupOrder: 0 },
          include: ['harness/**/*.test.ts', 'bench/**/*.test.ts'],
          exclude: ['harness/**/*.integration.test.ts', 'harness/**/*.container.test.ts', 'harness/**/*.ssh.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          // After the unit tests: vitest runs projects of one group with one worker limit, and
          // this project's own (6 files at once) is not the unit tests'.
          sequence: { groupOrder: 1 },
          include: ['harness/**/*.integration.test.ts'],
          globalSetup: ['harness/testing/host-safety.global.ts'],
          // Files run at once: they wait on the kernel and on child processes far more than on
          // the CPU, and every lab is isolated (issue 12: npm test in under 150 s on 2 cores).
          maxWorkers: 6,
          // Real labs on the real kernel: each test builds and tears down its own.
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'container',
          include: ['harness/**/*.container.test.ts'],
          globalSetup: ['harness/testing/host-safety.global.ts'],
          // The engine's bridges and rules live in the host's namespace, which the integration
          // tests compare before and after: the container tests run after them, not beside.
          sequence: { groupOrder: 2 },
          // One file at a time: learner.container's `clean --backend container` once ran beside the
          // scale parity run and that run ended with exit 70 after an all-ok TAP (CI, 2 Dec; NOTES).
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'ssh',
          include: ['harness/**/*.ssh.test.ts'],
          globalSetup: ['harness/testing/host-safety.global.ts'],
          // Everything lives in namespaces the tests build, but they assert that the root
          // namespace is unchanged around them, which the container tests (engine bridges and
          // veths in the root namespace) would disturb: after them, not beside.
          sequence: { groupOrder: 3 },
          // Two files at once: each builds sshd hosts of its own (namespaces of its own), and half
          // of a file's time is waiting on ssh round trips and deadlines (CI of 2 Dec: 25 files,
          // 246 s of file time, 313 s one at a time).
          maxWorkers: 2,
          testTimeout: 300_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
