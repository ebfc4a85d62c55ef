// A record inside each node's private /run that says which run made it and which process runs
// that run. `clean` trusts this marker, never a name alone: a holder is a dead run's leftover only
// if its marker names a harness process that no longer exists (or is another process now).
import { constants } from 'node:fs';
import { open, readFile, readdir, readlink, writeFile } from 'node:fs/promises';
import type { HarnessIdentity } from '../harness-identity.ts';

export const MARKER_PATH = 'run/vxlab.json';

/** What a sandbox's environment (and bwrap's argv) carries: `vxlab-RUNID-NODE`. */
export const NODE_LABEL_VARIABLE = 'VXLAB_NODE';

export interface NodeMarker extends HarnessIdentity {
  runId: string;
  node: string;
}

export async function writeMarker(holderPid: number, marker: NodeMarker): Promise<void> {
  // /proc/PID/root is the holder's view of the file system, private /run included.
  await writeFile(`/proc/${holderPid}/root/${MARKER_PATH}`, `${JSON.stringify(marker)}\n`, { mode: 0o644 });
}

export async function readMarker(pid: number): Promise<NodeMarker | undefined> {
  // Not through a link: a forged marker that points elsewhere is no marker.
  const text = await open(`/proc/${pid}/root/${MARKER_PATH}`, constants.O_RDONLY | constants.O_NOFOLLOW)
    .then(async (file) => {
      try {
        return await file.readFile('utf8');
      } finally {
        await file.close();
      }
    })
    .catch(() => undefined);
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as Partial<NodeMarker>;
    if (typeof value.runId === 'string' && typeof value.node === 'string' && typeof value.harnessPid === 'number' && typeof value.harnessStart === 'number') {
      return value as NodeMarker;
    }
  } catch {
    // A damaged marker proves nothing: such a process is left alone.
  }
  return undefined;
}

export interface LabProcess {
  pid: number;
  marker: NodeMarker;
}

/** Does this process carry a node label (bwrap's argv, or the holder's environment)? */
async function isLabelled(pid: number): Promise<boolean> {
  const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
  if (argv.some((a, i) => argv[i - 1] === NODE_LABEL_VARIABLE && a.startsWith('vxlab-'))) return true;
  const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
  return environ.split('\0').some((e) => e.startsWith(`${NODE_LABEL_VARIABLE}=vxlab-`));
}

/**
 * The first processes of vxlab's node sandboxes (bwrap's init and the holder): labelled, in a
 * mount namespace of their own, with a marker. Killing one ends its whole sandbox. A process of
 * someone else's container is never taken for one because it happens to have such a file.
 */
export async function findLabProcesses(): Promise<LabProcess[]> {
  const found: LabProcess[] = [];
  const self = await readlink('/proc/self/ns/mnt');
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const mnt = await readlink(`/proc/${pid}/ns/mnt`).catch(() => self);
    if (mnt === self) continue; // a node's processes always live in the node's own mount namespace
    if (!(await isLabelled(pid))) continue;
    const marker = await readMarker(pid);
    if (marker) found.push({ pid, marker });
  }
  return found;
}
