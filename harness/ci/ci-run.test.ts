// What .ci/run promises CI: a closing `N passed, N failed, N skipped` line and required suites.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const script = readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8');

describe('.ci/run', () => {
  it('requires the tutorials, so the coverage test fails instead of skipping when they are missing', () => {
    expect(script).toMatch(/^export VXLAB_TUTORIALS=required$/m);
  });

  it('closes with passed, failed and skipped counts', () => {
    expect(script).toMatch(/console\.log\(`\$\{r\.numPassedTests\} passed, \$\{failed\} failed, \$\{.*\} skipped`\)/);
    expect(script).toMatch(/echo "0 passed, 1 failed, 0 skipped"/);
  });
});
