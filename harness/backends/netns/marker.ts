// A record inside each node's private /run that says which run made it and which process runs
// that run. `clean` trusts this marker, never a name alone: a holder is a dead run's leftover only
// if its marker names a harness process that no longer exists (or is another process now).
import { readFile, readdir, readlink, writeFile } from 'node:fs/promises';
import type { HarnessIdentity } from '../harness-identity.ts';

export const MARKER_PATH = 'run/vxlab.json';

export interface NodeMarker extends HarnessIdentity {
  runId: string;
  node: string;
}

export async function writeMarker(holderPid: number, marker: NodeMarker): Promise<void> {
  // /proc/PID/root is the holder's view of the file system, private /run included.
  await writeFile(`/proc/${holderPid}/root/${MARKER_PATH}`, `${JSON.stringify(marker)}\n`, { mode: 0o644 });
}

export async function readMarker(pid: number): Promise<NodeMarker | undefined> {
  const text = await readFile(`/proc/${pid}/root/${MARKER_PATH}`, 'utf8').catch(() => undefined);
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

/** Every process inside a vxlab node's sandbox: its root (a mount namespace of its own) carries a marker. */
export async function findLabProcesses(): Promise<LabProcess[]> {
  const found: LabProcess[] = [];
  const self = await readlink('/proc/self/ns/mnt');
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const mnt = await readlink(`/proc/${pid}/ns/mnt`).catch(() => self);
    if (mnt === self) continue; // a node's processes always live in the node's own mount namespace
    const marker = await readMarker(pid);
    if (marker) found.push({ pid, marker });
  }
  return found;
}
