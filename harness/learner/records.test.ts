// Lab records are files in a directory of the user's own; still, what they say is never a path.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claimLab, ensureLabsDir, forgetDeadLabs, labsDir, listRecords } from './records.ts';

let root: string;
const saved = { labs: process.env.VXLAB_LABS_DIR, xdg: process.env.XDG_RUNTIME_DIR };
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'vxlab-records-'));
});
afterEach(() => {
  if (saved.labs === undefined) delete process.env.VXLAB_LABS_DIR;
  else process.env.VXLAB_LABS_DIR = saved.labs;
  if (saved.xdg === undefined) delete process.env.XDG_RUNTIME_DIR;
  else process.env.XDG_RUNTIME_DIR = saved.xdg;
  rmSync(root, { recursive: true, force: true });
});

describe('lab records', () => {
  it('a dead record whose name holds ../ deletes nothing outside the labs directory, and is not listed', async () => {
    const labs = join(root, 'labs');
    mkdirSync(labs, { mode: 0o700 });
    writeFileSync(join(root, 'precious.json'), '{}');
    writeFileSync(join(labs, 'x.json'), JSON.stringify({ name: '../precious', harnessPid: 999_999_999, harnessStart: 1, nodes: [] }));
    process.env.VXLAB_LABS_DIR = labs;
    expect(await listRecords()).toEqual([]);
    await forgetDeadLabs();
    expect(existsSync(join(root, 'precious.json'))).toBe(true);
  });

  it('a user who is not root gets no fixed directory in /tmp that another user could make first', () => {
    delete process.env.VXLAB_LABS_DIR;
    delete process.env.XDG_RUNTIME_DIR;
    const getuid = process.getuid;
    process.getuid = () => 12_346;
    try {
      expect(labsDir()).toBe('/tmp/vxlab-12346/labs');
      process.env.XDG_RUNTIME_DIR = '/run/user/12346';
      expect(labsDir()).toBe('/run/user/12346/vxlab/labs');
    } finally {
      process.getuid = getuid;
    }
  });

  it('refuses a labs directory that others can reach, or that is a symbolic link', async () => {
    const open = join(root, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    process.env.VXLAB_LABS_DIR = open;
    await expect(ensureLabsDir()).rejects.toThrow(/can be reached by other users \(mode 777\)/);
    const link = join(root, 'link');
    mkdirSync(join(root, 'real'), { mode: 0o700 });
    symlinkSync(join(root, 'real'), link);
    process.env.VXLAB_LABS_DIR = link;
    await expect(ensureLabsDir()).rejects.toThrow(/is not a directory \(a symbolic link\?\)/);
  });

  it('lets one claim of a lab through while its claimant lives, and takes over a dead claimant\'s', async () => {
    process.env.VXLAB_LABS_DIR = join(root, 'labs');
    await ensureLabsDir();
    await claimLab('p2p');
    await expect(claimLab('p2p')).rejects.toThrow(/lab p2p is being brought up by another `up` \(PID \d+\)/);
    writeFileSync(join(root, 'labs', 'p2p.lock'), JSON.stringify({ harnessPid: 999_999_999, harnessStart: 1 }));
    await expect(claimLab('p2p')).resolves.toBeUndefined();
  });
});
