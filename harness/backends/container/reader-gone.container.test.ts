// A reader that goes away on the container backend (`| head -5`): the run tears down as for an
// interrupt and exits 141, leaving no container, network, bridge or forwarding rule, without `clean`.
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../scenario/resolve.ts';
import { containerResidue, engineMissing } from '../../testing/container.ts';
import { cliArgv, runIdOf } from '../../testing/host.ts';

const missing = await engineMissing();

describe.skipIf(missing !== undefined)('the container backend when stdout closes', () => {
  it('tears everything down and exits 141 without a stack trace', async () => {
    // As a user types it; the exit code is vxlab's own, not head's.
    const result = await execa('bash', ['-c', '"$@" | head -5; exit "${PIPESTATUS[0]}"', 'bash', ...cliArgv(['p2p', '--backend', 'container', '--reporter', 'tap'])], {
      cwd: PROJECT_ROOT,
      reject: false,
      timeout: 120_000,
    });
    expect(result.stdout).toMatch(/^TAP version 14\n1\.\.1\n# vxlab run vx[0-9a-f]+ on the container backend\n# Subtest: p2p\n {4}ok 1 - [^\n]+$/);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(141);
    // Checked at once, with no `clean`: teardown finished before vxlab exited.
    expect(await containerResidue(runIdOf(result.stdout))).toEqual([]);
  });
});
