// Perl's prove (TAP::Harness 3.44, in Debian's perl) reads vxlab's TAP 13 through `prove --exec`:
// prove runs `EXEC FILE` once per "test file", here a scenario file, which the CLI accepts as a path.
import { execa } from 'execa';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, hostSnapshot } from '../testing/host.ts';
import { PROJECT_ROOT } from '../scenario/resolve.ts';

const exec = (reporter: string) => `${process.execPath} ${CLI} --reporter ${reporter}`;
const files = ['p2p', 'multicast'].map((n) => join('scenarios', `${n}.yaml`));

function prove(reporter: string, extra: string[] = []) {
  return execa('prove', ['--exec', exec(reporter), ...extra, ...files], { cwd: PROJECT_ROOT, reject: false, env: { NO_COLOR: '1' }, all: true, timeout: 120_000 });
}

// Without Perl's prove (a machine with perl-base only) these are skipped, visibly; CI requires them.
const proveMissing = (await execa('prove', ['--version'], { reject: false })).exitCode !== 0;

describe('prove for these tests', () => {
  it.runIf(process.env.VXLAB_PROVE_TESTS === 'required')('is installed (CI requires the prove tests to run)', () => {
    expect(proveMissing).toBe(false);
  });
});

describe.skipIf(proveMissing)('prove --exec over vxlab', () => {
  it('accepts --reporter tap13 and reports every scenario passed', async () => {
    const before = await hostSnapshot();
    // -j2: prove's own parallelism; the netns backend runs labs side by side.
    const r = await prove('tap13', ['-j2']);
    expect(r.all).toMatch(/^All tests successful\.$/m);
    expect(r.all).toMatch(/^Files=2, Tests=2,/m);
    expect(r.all).toMatch(/^Result: PASS$/m);
    expect(r.exitCode).toBe(0);
    expect(await hostSnapshot()).toEqual(before);
  });

  it('refuses plain --reporter tap (TAP 14), which it does not know', async () => {
    const r = await prove('tap');
    expect(r.all).toContain("Parse errors: TAP specified version 14 but we don't know about versions later than 13");
    expect(r.all).toMatch(/^Result: FAIL$/m);
    expect(r.exitCode).not.toBe(0);
  });
});
