import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../scenario/project-root.ts';
import { LONGEST_FILES, rankOf } from './slow-first.sequencer.ts';

describe('the slow-first order of test files', () => {
  it('names only files that exist, each once (a renamed file would silently start late)', () => {
    for (const file of LONGEST_FILES) expect(existsSync(join(PROJECT_ROOT, file)), file).toBe(true);
    expect(new Set(LONGEST_FILES).size).toBe(LONGEST_FILES.length);
  });

  it('ranks a listed file by its place and every other file after them all', () => {
    expect(rankOf(join(PROJECT_ROOT, 'harness/ablate-all.integration.test.ts'))).toBe(LONGEST_FILES.indexOf('harness/ablate-all.integration.test.ts'));
    expect(rankOf(join(PROJECT_ROOT, 'harness/runner.test.ts'))).toBe(LONGEST_FILES.length);
    // A path that only ends like a listed one, without the directory boundary, is another file.
    expect(rankOf('/x/notharness/ablate-all.integration.test.ts')).toBe(LONGEST_FILES.length);
  });
});
