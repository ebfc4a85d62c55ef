// A lab's node roots, assembled once per lab in a private directory on the host: hard links to
// the node's programs and libraries (copies where the kernel refuses a link: another file system,
// or a rootless user who does not own them), the directories above them and the mount points the
// sandbox covers. bwrap binds a root whole, read-only, as the node's `/`: one mount instead of one
// per file. The directory's name carries the harness's identity, so `clean` can tell a dead run's
// directory from a live one's by its name alone, even one that crashed before it held anything.
import { chmod, copyFile, link, lstat, mkdir, mkdtemp, readdir, realpath, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TreeFile } from '../node-tree.ts';
import { harnessIdentity, isAlive, type HarnessIdentity } from '../harness-identity.ts';
import { compareCodeUnits } from '../../util/compare.ts';

const PREFIX = 'vxlab-root-';

/** Where bwrap mounts its own file systems: a read-only root cannot grow them, so the tree has them. */
export const MOUNT_POINTS = ['/proc', '/dev', '/sys', '/run', '/tmp', '/var', '/.vxlab/sys'];

/** Every directory above these paths, parents first. */
export function parentDirectories(paths: readonly string[]): string[] {
  const dirs = new Set<string>();
  for (const path of paths) {
    const parts = path.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) dirs.add(`/${parts.slice(0, i).join('/')}`);
  }
  return [...dirs].sort((a, b) => a.split('/').length - b.split('/').length || compareCodeUnits(a, b));
}

/** `vxlab-root-RUNID-PID-START-XXXXXX`: whose run made it (pure). */
export function runDirOwner(name: string): (HarnessIdentity & { runId: string }) | undefined {
  const match = /^vxlab-root-(vx[0-9a-f]+)-(\d+)-(\d+)-[A-Za-z0-9]{6}$/.exec(name);
  return match ? { runId: match[1]!, harnessPid: Number(match[2]), harnessStart: Number(match[3]) } : undefined;
}

/** A new private (0700) directory for one lab's roots and underlay files, named after its run. */
export async function makeRunDir(runId: string): Promise<string> {
  const { harnessPid, harnessStart } = await harnessIdentity();
  return mkdtemp(join(tmpdir(), `${PREFIX}${runId}-${harnessPid}-${harnessStart}-`));
}

/** Where a source really is (a link to a symlink would resolve inside the tree), looked up once per process. */
const realSources = new Map<string, Promise<string>>();
function realSource(source: string): Promise<string> {
  let real = realSources.get(source);
  if (!real) {
    real = realpath(source);
    real.catch(() => realSources.delete(source));
    realSources.set(source, real);
  }
  return real;
}

/** Links (or copies) each file to its place under `root`, with every directory the node user must traverse. */
export async function assembleRoot(root: string, files: readonly TreeFile[]): Promise<void> {
  await mkdir(root);
  await chmod(root, 0o755);
  // Level by level (parents first), each level at once; 0755 whatever the umask: the node's user is not the tree's owner.
  const dirs = parentDirectories([...files.map((f) => f.path), ...MOUNT_POINTS.map((p) => `${p}/x`)]);
  for (let depth = 1; dirs.some((d) => d.split('/').length - 1 === depth); depth++) {
    await Promise.all(dirs.filter((d) => d.split('/').length - 1 === depth).map(async (dir) => {
      await mkdir(join(root, dir));
      await chmod(join(root, dir), 0o755);
    }));
  }
  await Promise.all([
    symlink('../run', join(root, 'var/run')),
    ...files.map(async (file) => {
      const source = await realSource(file.source);
      const target = join(root, file.path);
      await link(source, target).catch(async (error: NodeJS.ErrnoException) => {
        if (!['EXDEV', 'EPERM', 'EACCES'].includes(error.code ?? '')) throw error;
        await copyFile(source, target);
        await chmod(target, file.mode);
      });
    }),
  ]);
}

/** Removes a run's directory; only ever one this module named. */
export async function removeRunDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Removes the directories of runs whose harness is gone; returns how many each dead run had. */
export async function removeDeadRunDirs(): Promise<Map<string, number>> {
  const removed = new Map<string, number>();
  const base = tmpdir();
  const uid = process.getuid?.();
  for (const name of await readdir(base).catch(() => [] as string[])) {
    const owner = runDirOwner(name);
    if (!owner || (await isAlive(owner))) continue;
    const path = join(base, name);
    // A directory of this user's, never a link: /tmp is shared.
    const stat = await lstat(path).catch(() => undefined);
    if (!stat?.isDirectory() || (uid !== undefined && stat.uid !== uid)) continue;
    await removeRunDir(path);
    removed.set(owner.runId, (removed.get(owner.runId) ?? 0) + 1);
  }
  return removed;
}
