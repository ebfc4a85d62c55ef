import { defineConfig } from 'vitest/config';
import SlowFirstSequencer from './harness/testing/slow-first.sequencer.ts';

// The unit, integration and ssh projects run at once, in one pool (vitest gives a group one
// worker limit): none of them changes the host's namespace, and together they keep both cores
// busy while each waits on the kernel, on sshd and on deadlines (issue 12; NOTES "npm test in one pool").
const WORKERS = 6;

export default defineConfig({
  test: {
    // The JSON report lets .ci/run print one closing `N passed, N failed` line.
    reporters: ['default', ['json', { outputFile: '.vitest-results.json' }]],
    // Once for every project: tests spawn the compiled CLI, built here when missing or stale.
    globalSetup: ['harness/testing/build-cli.global.ts'],
    // The measured longest files start first (a fresh clone has no durations cached).
    sequence: { sequencer: SlowFirstSequencer },
    projects: [
      {
        test: {
          name: 'unit',
          sequence: { groupOrder: 0 },
          maxWorkers: WORKERS,
          // Pure modules: a worker keeps what it imported for the next file (45 CPU-s to 26 here,
          // all 1510 tests passing either way; a test that sets process.env puts it back).
          isolate: false,
          // Beside the labs and sshd hosts, a CPU-heavy test (1 MB a byte at a time, 300 property
          // runs through a real sh) took over vitest's 5 s: the deadline is there for hangs.
          testTimeout: 60_000,
          include: ['harness/**/*.test.ts', 'bench/**/*.test.ts'],
          exclude: ['harness/**/*.integration.test.ts', 'harness/**/*.container.test.ts', 'harness/**/*.ssh.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          sequence: { groupOrder: 0 },
          include: ['harness/**/*.integration.test.ts'],
          globalSetup: ['harness/testing/host-safety.global.ts'],
          // A worker keeps its imports for its next file, as the unit and ssh projects do: with all
          // three, 567 to 501 CPU-s and 312 to 279 s for the three projects, every test passing.
          isolate: false,
          // Files run at once: they wait on the kernel and on child processes far more than on
          // the CPU, and every lab is isolated.
          maxWorkers: WORKERS,
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
          // and ssh tests compare before and after: the container tests run after them, not beside.
          sequence: { groupOrder: 1 },
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
          isolate: false,
          // Everything lives in namespaces the tests build, but they assert that the root
          // namespace is unchanged around them, which the container tests (engine bridges and
          // veths in the root namespace) would disturb: beside the integration tests, not them.
          sequence: { groupOrder: 0 },
          // Each file builds sshd hosts of its own (namespaces of its own), and half of a file's
          // time is waiting on ssh round trips and deadlines.
          maxWorkers: WORKERS,
          testTimeout: 300_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
