// Where running labs (`up`) are recorded, one JSON file and one socket per lab, so that `exec`,
// `shell`, `check`, `status` and `down` in other processes find the supervisor that owns each.
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isAlive, type HarnessIdentity } from '../backends/harness-identity.ts';

export interface LabRecord extends HarnessIdentity {
  /** The scenario's name: what `exec NAME ...` and `down NAME` use. */
  name: string;
  scenarioFile: string;
  backend: string;
  runId: string;
  bare: boolean;
  nodes: string[];
  startedAt: string;
}

/** The state directory: root's /run (gone at reboot, like the labs), or the user's runtime directory. */
export function labsDir(): string {
  if (process.env.VXLAB_LABS_DIR) return process.env.VXLAB_LABS_DIR;
  if (process.getuid?.() === 0) return '/run/vxlab/labs';
  return join(process.env.XDG_RUNTIME_DIR ?? '/tmp', 'vxlab', 'labs');
}

export const recordPath = (name: string) => join(labsDir(), `${name}.json`);
export const socketPath = (name: string) => join(labsDir(), `${name}.sock`);

export async function ensureLabsDir(): Promise<void> {
  // Only the owner may reach a supervisor: its socket runs commands in the lab.
  await mkdir(labsDir(), { recursive: true, mode: 0o700 });
}

export async function writeRecord(record: LabRecord): Promise<void> {
  const tmp = `${recordPath(record.name)}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, recordPath(record.name));
}

export async function readRecord(name: string): Promise<LabRecord | undefined> {
  const text = await readFile(recordPath(name), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  return text === undefined ? undefined : (JSON.parse(text) as LabRecord);
}

export async function removeRecord(name: string): Promise<void> {
  await rm(recordPath(name), { force: true });
  await rm(socketPath(name), { force: true });
  await rm(join(labsDir(), `${name}.log`), { force: true });
}

export interface RecordState {
  record: LabRecord;
  /** Is its supervisor still this same process (start time checked, since PIDs are reused)? */
  alive: boolean;
}

export async function listRecords(): Promise<RecordState[]> {
  const files = await readdir(labsDir()).catch(() => [] as string[]);
  const states: RecordState[] = [];
  for (const file of files.filter((f) => f.endsWith('.json')).sort()) {
    const record = await readRecord(file.slice(0, -'.json'.length)).catch(() => undefined);
    if (record) states.push({ record, alive: await isAlive(record) });
  }
  return states;
}

/** A lab's name as `exec`, `down` and friends take it: a scenario's file name, never a path. */
export function isLabName(name: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name);
}
