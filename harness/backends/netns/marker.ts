// A record inside each node's private /run that says which run made it and which process runs
// that run. `clean` trusts this marker, never a name alone: a holder is a dead run's leftover only
// if its marker names a harness process that no longer exists (or is another process now).
import { constants } from 'node:fs';
import { open, readFile, readdir, readlink, writeFile } from 'node:fs/promises';
import type { HarnessIdentity } from '../harness-identity.ts';

export const MARKER_PATH = 'run/vxlab.json';

/** What a sandbox's environment (and bwrap's argv) carries: `vxlab-RUNID-NODE`. */
export const NODE_LABEL_VARIABLE = 'VXLAB_NODE';
/** Beside it, the harness that started the sandbox (`PID.START`): judged even before a marker is written. */
export const HARNESS_LABEL_VARIABLE = 'VXLAB_HARNESS';

export const harnessLabel = (h: HarnessIdentity) => `${h.harnessPid}.${h.harnessStart}`;

/**
 * A marker made from a sandbox's label alone (pure), for a sandbox whose harness was killed while
 * bwrap was still setting it up, before the marker was written. Undefined when the label is not whole.
 */
export function markerFromLabel(node: string | undefined, harness: string | undefined): NodeMarker | undefined {
  const label = /^vxlab-(vx[0-9a-f]+)-(.+)$/.exec(node ?? '');
  const identity = /^(\d{1,10})\.(\d{1,20})$/.exec(harness ?? '');
  if (!label || !identity) return undefined;
  return { runId: label[1]!, node: label[2]!, harnessPid: Number(identity[1]), harnessStart: Number(identity[2]) };
}

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

/** A process's label variables, from bwrap's argv (`--setenv NAME VALUE`) or its environment. */
async function labelOf(pid: number): Promise<{ node?: string; harness?: string }> {
  const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
  const environ = (await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '')).split('\0');
  const value = (name: string) => {
    const at = argv.findIndex((a, i) => argv[i - 1] === name && argv[i - 2] === '--setenv');
    if (at >= 0) return argv[at];
    return environ.find((e) => e.startsWith(`${name}=`))?.slice(name.length + 1);
  };
  const node = value(NODE_LABEL_VARIABLE);
  const harness = value(HARNESS_LABEL_VARIABLE);
  return { ...(node !== undefined ? { node } : {}), ...(harness !== undefined ? { harness } : {}) };
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
    const label = await labelOf(pid);
    if (!label.node?.startsWith('vxlab-')) continue;
    // No marker yet: its harness died while bwrap set the sandbox up; the label says whose it is.
    const marker = (await readMarker(pid)) ?? markerFromLabel(label.node, label.harness);
    if (marker) found.push({ pid, marker });
  }
  return found;
}
