// Where running labs (`up`) are recorded, one JSON file and one socket per lab, so that `exec`,
// `shell`, `check`, `status` and `down` in other processes find the supervisor that owns each.
// The directory is the user's own (0700, checked); the files in it are still read as untrusted.
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { harnessIdentity, isAlive, type HarnessIdentity } from '../backends/harness-identity.ts';
import { UsageError } from '../util/errors.ts';

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

/**
 * The state directory: root's /run (gone at reboot, like the labs), or the user's runtime
 * directory, or else a directory of the user's own in /tmp: never a fixed path that another user
 * could make first.
 */
export function labsDir(): string {
  if (process.env.VXLAB_LABS_DIR) return process.env.VXLAB_LABS_DIR;
  const uid = process.getuid?.();
  if (uid === 0) return '/run/vxlab/labs';
  if (process.env.XDG_RUNTIME_DIR) return join(process.env.XDG_RUNTIME_DIR, 'vxlab', 'labs');
  return join('/tmp', `vxlab-${uid ?? 'user'}`, 'labs');
}

export const recordPath = (name: string) => join(labsDir(), `${name}.json`);
export const socketPath = (name: string) => join(labsDir(), `${name}.sock`);
export const logPath = (name: string) => join(labsDir(), `${name}.log`);
const lockPath = (name: string) => join(labsDir(), `${name}.lock`);

/** Makes the labs directory and checks it is this user's alone: its sockets run commands in labs. */
export async function ensureLabsDir(): Promise<void> {
  const dir = labsDir();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const stat = await lstat(dir);
  const uid = process.getuid?.();
  const problem = !stat.isDirectory()
    ? 'is not a directory (a symbolic link?)'
    : uid !== undefined && stat.uid !== uid
      ? `belongs to uid ${stat.uid}, not to you (uid ${uid})`
      : (stat.mode & 0o077) !== 0
        ? `can be reached by other users (mode ${(stat.mode & 0o777).toString(8)})`
        : undefined;
  if (problem) throw new UsageError(`the labs directory ${dir} ${problem}: remove it, or set VXLAB_LABS_DIR to a directory of your own`);
}

/** Opens a lab's log for its supervisor: never through a symbolic link. */
export async function openLog(name: string) {
  return open(logPath(name), constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
}

export async function writeRecord(record: LabRecord): Promise<void> {
  const tmp = `${recordPath(record.name)}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  await rename(tmp, recordPath(record.name));
}

/** A lab's record, if there is one that is whole and names this lab (a record is read, never trusted). */
export async function readRecord(name: string): Promise<LabRecord | undefined> {
  const text = await readFile(recordPath(name), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (text === undefined) return undefined;
  try {
    const record = JSON.parse(text) as Partial<LabRecord> | null;
    const whole = record !== null && typeof record === 'object' && record.name === name && Number.isInteger(record.harnessPid) && Number.isInteger(record.harnessStart) && Array.isArray(record.nodes);
    return whole ? (record as LabRecord) : undefined;
  } catch {
    return undefined;
  }
}

/** What a lab leaves while it runs, removed once it has ended (its log too when `withLog`). */
export async function removeRecord(name: string, { withLog = true }: { withLog?: boolean } = {}): Promise<void> {
  await rm(recordPath(name), { force: true });
  await rm(socketPath(name), { force: true });
  await rm(lockPath(name), { force: true });
  if (withLog) await rm(logPath(name), { force: true });
}

/**
 * Claims lab `name` for one `up` (an exclusive lock file): two at once cannot both bring it up.
 * A lock whose `up` is gone, with no live supervisor behind it, is stale and taken over.
 */
export async function claimLab(name: string): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const file = await open(lockPath(name), 'wx', 0o600);
      await file.writeFile(JSON.stringify(await harnessIdentity()));
      await file.close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const record = await readRecord(name);
    if (record && (await isAlive(record))) throw new UsageError(`lab ${name} is already up (supervisor PID ${record.harnessPid}): \`npm run lab -- down ${name}\` first`);
    const holder = await readFile(lockPath(name), 'utf8').then((t) => JSON.parse(t) as HarnessIdentity).catch(() => undefined);
    if (holder && Number.isInteger(holder.harnessPid) && (await isAlive(holder)) && !record) {
      throw new UsageError(`lab ${name} is being brought up by another \`up\` (PID ${holder.harnessPid})`);
    }
    await removeRecord(name, { withLog: false });
  }
  throw new UsageError(`lab ${name} could not be claimed: another \`up\` keeps taking it`);
}

/** The supervisor holds its lab's claim from its first moment: an `up` killed meanwhile leaves no stale claim. */
export async function holdClaim(name: string): Promise<void> {
  const tmp = `${lockPath(name)}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(await harnessIdentity()), { mode: 0o600, flag: 'wx' });
  await rename(tmp, lockPath(name));
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
    // The file's name is the lab's: a record naming another lab, or a path, is not read.
    const name = file.slice(0, -'.json'.length);
    if (!isLabName(name)) continue;
    const record = await readRecord(name).catch(() => undefined);
    if (record) states.push({ record, alive: await isAlive(record) });
  }
  return states;
}

/** A lab's name as `exec`, `down` and friends take it: a scenario's file name, never a path. */
export function isLabName(name: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name) && !name.includes('..');
}

/** Drops the records of labs whose supervisor is gone (their nodes went with it), and names them. */
export async function forgetDeadLabs(): Promise<LabRecord[]> {
  const dead = (await listRecords()).filter((s) => !s.alive).map((s) => s.record);
  for (const record of dead) await removeRecord(record.name);
  return dead;
}
