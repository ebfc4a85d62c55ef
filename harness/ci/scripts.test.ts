// The CI scripts the workflow calls, run here: the parts that need no lab.
import { execa } from 'execa';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../scenario/resolve.ts';

const script = (name: string) => join(PROJECT_ROOT, '.ci', 'gha', name);

describe('.ci/gha/setup-host.sh --dry-run', () => {
  it('names the packages and how VXLAN is loaded, and changes nothing', async () => {
    const r = await execa(script('setup-host.sh'), ['--dry-run'], { reject: false });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^\+ (sudo )?apt-get update -qq$/m);
    expect(r.stdout).toMatch(/^\+ (sudo )?apt-get install -y -qq --no-install-recommends iproute2 tcpdump iputils-ping bubblewrap util-linux kmod gcc linux-libc-dev$/m);
    expect(r.stdout).toMatch(/^vxlan: the kernel has it|modprobe vxlan \|\| \{ .*apt-get install -y linux-modules-extra-/m);
  });

  it('refuses an unknown option', async () => {
    const r = await execa(script('setup-host.sh'), ['--bogus'], { reject: false });
    expect(r.exitCode).toBe(2);
  });
});

describe('.ci/gha/artifact-name.sh', () => {
  it('names the artifact without a slash and hands it to GitHub', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vxlab-gha-'));
    try {
      const output = join(dir, 'output');
      const r = await execa(script('artifact-name.sh'), ['container', '2/2'], { env: { GITHUB_OUTPUT: output } });
      expect(r.stdout).toBe('name=labs-container-2-of-2');
      expect(await readFile(output, 'utf8')).toBe('name=labs-container-2-of-2\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
