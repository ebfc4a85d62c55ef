// Orders test files so the longest start first (issue 12: `npm test` is as long as its longest
// file when that file starts last). Vitest sorts by the durations in its own cache, which a fresh
// clone (CI) lacks, and then by file size, which says little here: ablate-all is 1.2 kB and runs
// 106 s. So the files measured as the longest go first, then vitest's own order.
import type { TestSpecification } from 'vitest/node';
import { BaseSequencer } from 'vitest/node';

/** The longest files, longest first (clean-clone CI of 2 Dec, ef2ec08: seconds each, 6 workers). */
export const LONGEST_FILES: readonly string[] = [
  'harness/backends/container/backend.container.test.ts', // 167 s
  'harness/ablate-all.integration.test.ts', // 106 s
  'harness/lifecycle.integration.test.ts', // 90 s
  'harness/backends/ssh/ssh-attack24-lost-marker.ssh.test.ts', // 68 s: waits out a lost host's minute
  'harness/backends/ssh/ssh-containment.ssh.test.ts', // 67 s
  'harness/ablate.integration.test.ts', // 61 s
  'harness/learner.integration.test.ts', // 61 s
  'harness/learner-supervisor.integration.test.ts', // 53 s
  'harness/crash-signals.integration.test.ts', // 47 s
  'harness/backends/ssh/ssh-backend.ssh.test.ts', // 37 s
  'harness/crash.integration.test.ts', // 35 s
  'harness/backends/ssh/ssh-teardown.ssh.test.ts', // 32 s
  'harness/prerequisites.integration.test.ts', // 29 s
  'harness/ablate-scale.integration.test.ts', // 28 s
];

/** A file's place in LONGEST_FILES, or the list's length for every other file. */
export function rankOf(moduleId: string): number {
  const at = LONGEST_FILES.findIndex((file) => moduleId.endsWith(`/${file}`));
  return at === -1 ? LONGEST_FILES.length : at;
}

export default class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const byVitest = await super.sort(files);
    const place = new Map(byVitest.map((spec, i) => [spec, i]));
    // Groups still run in their order; inside one, the measured longest lead.
    return [...byVitest].sort((a, b) =>
      a.project.config.sequence.groupOrder - b.project.config.sequence.groupOrder
      || rankOf(a.moduleId) - rankOf(b.moduleId)
      || place.get(a)! - place.get(b)!);
  }
}
