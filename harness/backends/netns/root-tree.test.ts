import { lstat, mkdtemp, readFile, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MOUNT_POINTS, assembleRoot, parentDirectories, runDirOwner } from './root-tree.ts';

describe('parentDirectories', () => {
  it('lists every directory above the paths once, parents first', () => {
    expect(parentDirectories(['/usr/lib/x/libc.so', '/usr/sbin/ip', '/.vxlab/holder'])).toEqual(['/.vxlab', '/usr', '/usr/lib', '/usr/sbin', '/usr/lib/x']);
  });
});

describe('runDirOwner', () => {
  it('reads the run and the harness from the name alone', () => {
    expect(runDirOwner('vxlab-root-vx0a1b2c3d-4242-123456-Ab12Cd')).toEqual({ runId: 'vx0a1b2c3d', harnessPid: 4242, harnessStart: 123456 });
  });

  it('takes nothing else for a run directory', () => {
    for (const name of ['vxlab-root-vx0a-42-7', 'vxlab-root-x0a-42-7-abcdef', 'vxlab-underlay-abcdef', 'vxlab-root-vx0a-42-7-abcdef/..', 'other']) expect(runDirOwner(name), name).toBeUndefined();
  });
});

describe('assembleRoot', () => {
  it('holds the files at their paths (the same bytes), the mount points, and /var/run, all traversable', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vxlab-root-test-'));
    try {
      const root = join(dir, 'node');
      const self = new URL(import.meta.url).pathname;
      await assembleRoot(root, [{ path: '/usr/sbin/tool', source: self, mode: 0o755 }, { path: '/.vxlab/holder', source: self, mode: 0o755 }]);
      expect(await readFile(join(root, 'usr/sbin/tool'), 'utf8')).toBe(await readFile(self, 'utf8'));
      for (const dir of ['/', '/usr', '/usr/sbin', '/.vxlab', ...MOUNT_POINTS]) {
        const s = await stat(join(root, dir));
        expect(s.isDirectory(), dir).toBe(true);
        expect(s.mode & 0o777, dir).toBe(0o755);
      }
      expect((await lstat(join(root, 'var/run'))).isSymbolicLink()).toBe(true);
      expect(await readlink(join(root, 'var/run'))).toBe('../run');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
