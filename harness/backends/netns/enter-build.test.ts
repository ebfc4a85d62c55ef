import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { processStartTime } from '../harness-identity.ts';
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

const crossTools = ['aarch64-linux-gnu-gcc', 'qemu-aarch64-static'].every((tool) => spawnSync(tool, ['--version']).status === 0);

// CI installs both (.ci/run); elsewhere this shows as skipped. qemu-user runs threads of its own,
// and the kernel refuses setns into a mount namespace to a threaded process, so a node cannot be
// entered under it: what runs before that (the holder's check, the other two forms) can.
describe.skipIf(!crossTools)('buildEnter for aarch64 (under qemu-user)', () => {
  const output = join(dir, 'vxlab-enter-aarch64');
  const run = (args: string[]) => spawnSync('qemu-aarch64-static', [output, ...args], { encoding: 'utf8' });

  it('builds, answers the probe, and checks a holder by its start time through /proc/PID (the ABI constants of that architecture)', async () => {
    const start = (await processStartTime(process.pid))!;
    expect(buildEnter(output, 'aarch64-linux-gnu-gcc')).toBeUndefined();
    expect(spawnSync('readelf', ['-h', output], { encoding: 'utf8' }).stdout).toMatch(/Machine:\s+AArch64/);
    expect(run(['--probe']).stdout.trim()).toBe(enterProbeAnswer());
    const wrong = run([String(process.pid), String(start + 1), '12288', '65534', '--', 'true']);
    expect(wrong.status).toBe(125);
    expect(wrong.stderr).toMatch(/refuses a holder that is not the one it was given/);
    // The right start time gets past the check, up to the mount namespace qemu-user cannot join.
    const right = run([String(process.pid), String(start), '12288', '65534', '--', 'true']);
    expect(right.stderr).not.toMatch(/refuses a holder|cannot open/);
  });

  it('runs the parent-death and network forms', () => {
    expect(run(['--pdeathsig', '--', 'true']).status).toBe(0);
    expect(run(['--pdeathsig', '--', 'vxlab-no-such-program']).status).toBe(127);
    expect(run(['--net', String(process.pid), '--', 'true']).status).toBe(0);
    expect(run(['--net', 'x', '--', 'true']).status).toBe(125);
  });
});

