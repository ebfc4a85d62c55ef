import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildEnter, enterProbeAnswer } from './enter-build.ts';

const dir = mkdtempSync(join(tmpdir(), 'vxlab-enter-build-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('buildEnter', () => {
  it('builds a program with no C library that answers the probe vxlab asks before using it', () => {
    const output = join(dir, 'vxlab-enter');
    expect(buildEnter(output)).toBeUndefined();
    const probe = spawnSync(output, ['--probe'], { encoding: 'utf8' });
    // The hash of the source it was built from, which vxlab compares before using it.
    expect(probe.stdout.trim()).toBe(enterProbeAnswer());
    expect(probe.stdout.trim()).toMatch(/^vxlab-enter [0-9a-f]{16}$/);
    // Static, no interpreter: nothing of glibc starts with it.
    expect(spawnSync('readelf', ['-l', output], { encoding: 'utf8' }).stdout).not.toContain('INTERP');
  });

  it('says why it could not build, and leaves nothing, without a compiler', () => {
    const output = join(dir, 'none');
    expect(buildEnter(output, 'vxlab-no-such-cc')).toMatch(/^vxlab-no-such-cc could not run \(.*ENOENT/);
    expect(existsSync(output)).toBe(false);
    // One that exits 0 and writes nothing built nothing either.
    expect(buildEnter(output, 'true')).toMatch(/^true exited 0 but wrote no /);
  });
});
