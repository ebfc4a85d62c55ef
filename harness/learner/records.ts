// Where running labs (`up`) are recorded, one JSON file and one socket per lab, so that `exec`,
// `shell`, `check`, `status` and `down` in other processes find the supervisor that owns each.
// The directory is the user's own (0700, checked); the files in it are still read as untrusted.
import { constants, type Stats } from 'node:fs';
import { link, lstat, mkdir, open, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { harnessIdentity, isAlive, type HarnessIdentity } from '../backends/harness-identity.ts';
import { UsageError, errorMessage } from '../util/errors.ts';
import { takeLock } from '../util/file-lock.ts';

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

/** Why a directory above the labs directory could let another user swap what is under it, if it could. */
function parentProblem(stat: Stats, uid: number | undefined): string | undefined {
  if (stat.isSymbolicLink()) return 'is a symbolic link';
  if (!stat.isDirectory()) return 'is not a directory';
  if (uid !== undefined && stat.uid !== 0 && stat.uid !== uid) return `belongs to uid ${stat.uid}, neither root nor you (uid ${uid})`;
  // Sticky (/tmp): others may add entries there but not rename or remove ours.
  if ((stat.mode & 0o022) !== 0 && (stat.mode & 0o1000) === 0) return `can be written by other users (mode ${(stat.mode & 0o7777).toString(8)})`;
  return undefined;
}

/** The directories above `dir`, from `/` down: each checked with lstat; the first missing one ends the walk. */
async function checkParents(dir: string, uid: number | undefined): Promise<boolean> {
  const parents: string[] = [];
  for (let d = dirname(dir); ; d = dirname(d)) {
    parents.unshift(d);
    if (d === dirname(d)) break;
  }
  for (const parent of parents) {
    const stat = await lstat(parent).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (!stat) return false;
    const problem = parentProblem(stat, uid);
    if (problem) throw new UsageError(`the labs directory ${dir} is under ${parent}, which ${problem}: set VXLAB_LABS_DIR to a directory of your own whose parents only you and root can change`);
  }
  return true;
}

/**
 * Checks the labs directory and every directory above it (its sockets run commands in labs): the
 * leaf is the user's, 0700, not a symbolic link; each parent is a real directory of root's or the
 * user's that no one else may write to (unless sticky, as /tmp). `create` makes the directory
 * (`up`, the supervisor); without it a directory that does not exist means no lab is up (false).
 */
export async function ensureLabsDir({ create = true }: { create?: boolean } = {}): Promise<boolean> {
  const dir = resolve(labsDir());
  const uid = process.getuid?.();
  // Parents first: mkdir -p through a parent someone else controls would already be theirs.
  if (!(await checkParents(dir, uid)) && !create) return false;
  if (create) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await checkParents(dir, uid);
  }
  const stat = await lstat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' && !create) return undefined;
    throw error;
  });
  if (!stat) return false;
  const problem = !stat.isDirectory()
    ? 'is not a directory (a symbolic link?)'
    : uid !== undefined && stat.uid !== uid
      ? `belongs to uid ${stat.uid}, not to you (uid ${uid})`
      : (stat.mode & 0o077) !== 0
        ? `can be reached by other users (mode ${(stat.mode & 0o777).toString(8)})`
        : undefined;
  if (problem) throw new UsageError(`the labs directory ${dir} ${problem}: remove it, or set VXLAB_LABS_DIR to a directory of your own`);
  return true;
}

/** Opens a lab's log for its supervisor: never through a symbolic link. */
export async function openLog(name: string) {
  // O_NONBLOCK: a FIFO named like the log fails at once (ENXIO) instead of waiting for a reader.
  const handle = await open(logPath(name), constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600);
  if (!(await handle.stat()).isFile()) {
    await handle.close();
    throw new UsageError(`${logPath(name)} is not a regular file: remove it`);
  }
  return handle;
}

/**
 * A small regular file of the labs directory, never through a link, never a FIFO (which would
 * block the read, and a whole process with it, where no signal ends it); undefined otherwise.
 */
async function readOwnFile(path: string): Promise<string | undefined> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => undefined);
  if (!handle) return undefined;
  try {
    const stat = await handle.stat();
    return stat.isFile() && stat.size <= 64 * 1024 ? await handle.readFile('utf8') : undefined;
  } finally {
    await handle.close();
  }
}

export async function writeRecord(record: LabRecord): Promise<void> {
  const tmp = `${recordPath(record.name)}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  await rename(tmp, recordPath(record.name));
}

/** A lab's record, if there is one that is whole and names this lab (a record is read, never trusted). */
export async function readRecord(name: string): Promise<LabRecord | undefined> {
  const text = await readOwnFile(recordPath(name));
  if (text === undefined) return undefined;
  try {
    const record = JSON.parse(text) as Partial<LabRecord> | null;
    const whole = record !== null && typeof record === 'object' && record.name === name && Number.isInteger(record.harnessPid) && Number.isInteger(record.harnessStart) && Array.isArray(record.nodes);
    return whole ? (record as LabRecord) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What a lab leaves while it runs, removed once it has ended (its log too when `withLog`). Only the
 * lab's owner (its `up`, its supervisor) removes the claim this way: others use removeDeadClaim.
 */
export async function removeRecord(name: string, { withLog = true, claim = true }: { withLog?: boolean; claim?: boolean } = {}): Promise<void> {
  await removeUnlessDirectory(recordPath(name));
  await removeUnlessDirectory(socketPath(name));
  if (claim) await rm(lockPath(name), { force: true });
  if (withLog) await removeUnlessDirectory(logPath(name));
}

/** rm, except that a directory (never one of vxlab's, refused by refuseOddLabFiles) is left to its owner. */
async function removeUnlessDirectory(path: string): Promise<void> {
  const stat = await lstat(path).catch(() => undefined);
  if (stat && !stat.isDirectory()) await rm(path, { force: true });
}

function kindOf(stat: Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isSymbolicLink()) return 'a symbolic link';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isSocket()) return 'a socket';
  return stat.isFile() ? 'a file' : 'a device';
}

/**
 * Before a lab is brought up: what sits where its record, socket or log will go and would fail it
 * later with a raw error (a directory, which rename and rm refuse; a log that is not a regular file).
 */
export async function refuseOddLabFiles(name: string): Promise<void> {
  const places = [
    { path: recordPath(name), what: 'record', regularOnly: false },
    { path: socketPath(name), what: 'socket', regularOnly: false },
    { path: logPath(name), what: 'log', regularOnly: true },
  ];
  for (const { path, what, regularOnly } of places) {
    const stat = await lstat(path).catch(() => undefined);
    if (stat && (stat.isDirectory() || (regularOnly && !stat.isFile()))) throw new UsageError(`${path} is ${kindOf(stat)}, where lab ${name} keeps its ${what}: remove it`);
  }
}

interface ReadClaim {
  /** Who holds it, if the file says so in full. */
  holder: HarnessIdentity | undefined;
  /** The file read, so that only this one is ever removed. */
  ino: number;
  dev: number;
}

/** A lab's claim as one open of it reads it; undefined when there is none. A link, FIFO or socket is no one's claim. */
async function readClaim(name: string): Promise<ReadClaim | undefined> {
  const path = lockPath(name);
  const named = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!named) return undefined;
  if (named.isDirectory()) throw new UsageError(`${path} is a directory, not a lab's claim: remove it`);
  if (!named.isFile()) return { holder: undefined, ino: named.ino, dev: named.dev };
  // O_NOFOLLOW: not a link's target (one may have replaced the file since); O_NONBLOCK: a FIFO opens at once.
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => undefined);
  if (!handle) return { holder: undefined, ino: named.ino, dev: named.dev };
  try {
    const stat = await handle.stat();
    const text = stat.isFile() && stat.size < 4096 ? await handle.readFile('utf8') : '';
    return { holder: parseIdentity(text), ino: stat.ino, dev: stat.dev };
  } finally {
    await handle.close();
  }
}

/** An identity vxlab wrote in full, or undefined. */
function parseIdentity(text: string): HarnessIdentity | undefined {
  try {
    const parsed = JSON.parse(text) as Partial<HarnessIdentity> | null;
    if (parsed && Number.isInteger(parsed.harnessPid) && Number.isInteger(parsed.harnessStart)) return { harnessPid: parsed.harnessPid!, harnessStart: parsed.harnessStart! };
  } catch {
    // not a claim vxlab wrote in full
  }
  return undefined;
}

const sameIdentity = (a: HarnessIdentity | undefined, b: HarnessIdentity | undefined) => a !== undefined && b !== undefined && a.harnessPid === b.harnessPid && a.harnessStart === b.harnessStart;

/**
 * `.claims.lock`: a lab's name never starts with a dot (isLabName), so no lab's claim is this file.
 * Taken to remove a claim that is not one's own (a dead `up`'s, or a dead supervisor's): two `up`s
 * that both found a dead claim could both remove it, the second removing the first's new claim,
 * and both came up (6 at once: 2 of 10 rounds). Under it, a claim can appear (link) but not be
 * removed by anyone else, so the claim judged dead is the one removed.
 */
async function takeClaimsLock(signal?: AbortSignal): Promise<() => Promise<void>> {
  try {
    return await takeLock(join(labsDir(), '.claims.lock'), "the labs directory's claims lock", signal);
  } catch (error) {
    // A lock that cannot be taken (not a regular file, flock missing) is the user's to fix, not a crash.
    if (signal?.aborted) throw error;
    throw new UsageError(errorMessage(error));
  }
}

/** Removes a claim judged dead under the claims lock, if it is still that file. */
async function removeDeadClaim(name: string, judged: ReadClaim): Promise<void> {
  const now = await lstat(lockPath(name)).catch(() => undefined);
  if (now && now.ino === judged.ino && now.dev === judged.dev) await rm(lockPath(name), { force: true });
}

/**
 * Claims lab `name` for one `up` (an exclusive lock file): two at once cannot both bring it up.
 * A lock whose `up` is gone, with no live supervisor behind it, is stale and taken over.
 */
export async function claimLab(name: string, signal?: AbortSignal): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    // Written whole before it has its name (a link fails if the name is taken): a lock created empty
    // and written after was read as no one's by a second `up` at once, which removed it and took it
    // too (both came up; CI, 3 Dec).
    const tmp = `${lockPath(name)}.${process.pid}.${attempt}.tmp`;
    await rm(tmp, { force: true }); // a crashed `up` of the same PID's
    await writeFile(tmp, JSON.stringify(await harnessIdentity()), { mode: 0o600, flag: 'wx' });
    try {
      await link(tmp, lockPath(name));
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      await rm(tmp, { force: true });
    }
    const release = await takeClaimsLock(signal);
    try {
      const record = await readRecord(name);
      if (record && (await isAlive(record))) throw new UsageError(`lab ${name} is already up (supervisor PID ${record.harnessPid}): \`npm run lab -- down ${name}\` first`);
      const claim = await readClaim(name);
      // A live claim is never taken, whatever dead record lies beside it (a takeover killed half-way).
      if (claim?.holder && (await isAlive(claim.holder))) throw new UsageError(`lab ${name} is being brought up by another \`up\` (PID ${claim.holder.harnessPid})`);
      // Gone meanwhile: the next attempt links at once.
      if (!claim) continue;
      // The dead lab's record first, its claim last: killed in between, what is left is a dead claim alone.
      await removeRecord(name, { withLog: false, claim: false });
      await removeDeadClaim(name, claim);
    } finally {
      await release();
    }
  }
  throw new UsageError(`lab ${name} could not be claimed: another \`up\` keeps taking it`);
}

/**
 * The supervisor takes over its `up`'s claim before it builds anything, so that an `up` killed
 * later leaves no stale claim. Only its own `up`'s (its parent's, read when it started): an `up`
 * killed before this moment may have had its claim taken over by another `up`, whose lab this
 * supervisor would otherwise overwrite (two supervisors for one lab, the 31st attack).
 */
export async function holdClaim(name: string, up: HarnessIdentity | undefined): Promise<void> {
  const release = await takeClaimsLock();
  try {
    const claim = await readClaim(name);
    if (!sameIdentity(claim?.holder, up)) throw new UsageError(`lab ${name} was claimed by another \`up\` after the one that started this supervisor ended`);
    const tmp = `${lockPath(name)}.${process.pid}.tmp`;
    await rm(tmp, { force: true }); // a dead process's of the same PID
    await writeFile(tmp, JSON.stringify(await harnessIdentity()), { mode: 0o600, flag: 'wx' });
    await rename(tmp, lockPath(name));
  } finally {
    await release();
  }
}

/**
 * What an owner leaves when its lab has ended (its `up` after a failure, its supervisor): removed
 * only if it is still theirs, under the claims lock. Once an owner's claim is gone, another `up`
 * may hold the lab, and its claim, record, socket and log are its own (the 31st attack: a failed
 * `up` removed a newer lab's files, and a third `up` brought the lab up twice).
 */
export async function releaseLab(name: string, owners: readonly (HarnessIdentity | undefined)[], { withLog = true }: { withLog?: boolean } = {}): Promise<void> {
  const ours = (identity: HarnessIdentity | undefined) => owners.some((o) => sameIdentity(o, identity));
  const release = await takeClaimsLock();
  try {
    const claim = await readClaim(name);
    if (claim && !ours(claim.holder)) return;
    const record = await readRecord(name);
    if (record && !ours(record)) return;
    await removeRecord(name, { withLog, claim: false });
    if (claim) await removeDeadClaim(name, claim);
  } finally {
    await release();
  }
}

export interface RecordState {
  record: LabRecord;
  /** Is its supervisor still this same process (start time checked, since PIDs are reused)? */
  alive: boolean;
}

/** Every lab recorded (status, clean); a labs directory that fails ensureLabsDir's checks is an error. */
export async function listRecords(): Promise<RecordState[]> {
  return recordsAmong(await labsDirFiles());
}

/** The labs directory's entries; none when it does not exist (ensureLabsDir's checks apply). */
async function labsDirFiles(): Promise<string[]> {
  if (!(await ensureLabsDir({ create: false }))) return [];
  return readdir(labsDir()).catch(() => [] as string[]);
}

/** The records among the labs directory's `files`, each judged alive or not. */
async function recordsAmong(files: readonly string[]): Promise<RecordState[]> {
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

/** A temporary file of a claim or record (`NAME.lock.PID[.N].tmp`, `NAME.json.PID.tmp`): its writer's PID. */
function tmpWriter(file: string): number | undefined {
  const match = /^[A-Za-z0-9_][A-Za-z0-9_.-]*\.(?:lock|json)\.(\d+)(?:\.\d+)?\.tmp$/.exec(file);
  return match ? Number(match[1]) : undefined;
}

const processExists = (pid: number) => lstat(`/proc/${pid}`).then(() => true, () => false);

/**
 * What dead processes left beside the records (status, clean): a claim whose `up` or supervisor
 * is gone with no record beside it (killed before it wrote one), and temporary files whose writer
 * is gone (killed between writing one and giving it its name). Under the claims lock, as any
 * removal of a claim that is not one's own.
 */
async function removeDeadLeftovers(files: readonly string[]): Promise<void> {
  const claims: string[] = [];
  for (const file of files.filter((f) => f.endsWith('.lock') && isLabName(f.slice(0, -'.lock'.length)))) {
    // Read first without the lock, which is taken only when something may be dead.
    const claim = await readClaim(file.slice(0, -'.lock'.length)).catch(() => undefined);
    if (claim && !(claim.holder && (await isAlive(claim.holder)))) claims.push(file);
  }
  // Likewise only the files of writers gone: a live `up`'s must not make `status` wait for the lock (the 33rd attack).
  const tmps: { file: string; writer: number }[] = [];
  for (const file of files) {
    const writer = tmpWriter(file);
    if (writer !== undefined && !(await processExists(writer))) tmps.push({ file, writer });
  }
  if (claims.length === 0 && tmps.length === 0) return;
  const release = await takeClaimsLock();
  try {
    for (const file of claims) {
      const name = file.slice(0, -'.lock'.length);
      const claim = await readClaim(name).catch(() => undefined);
      if (!claim || (claim.holder && (await isAlive(claim.holder)))) continue;
      // Beside a record, the claim is the record's business: a live lab's is left to it, a dead one's goes with it below.
      if ((await readRecord(name)) !== undefined) continue;
      await removeDeadClaim(name, claim);
    }
    for (const { file, writer } of tmps) {
      // Asked again: a PID in use may be a writer about to link its file; the file waits for that PID to end.
      if (!(await processExists(writer))) await removeUnlessDirectory(join(labsDir(), file));
    }
  } finally {
    await release();
  }
}

/** Drops the records of labs whose supervisor is gone (their nodes went with it), and names them; removes what dead processes left beside them. */
export async function forgetDeadLabs(): Promise<LabRecord[]> {
  const files = await labsDirFiles();
  const dead = (await recordsAmong(files)).filter((s) => !s.alive).map((s) => s.record);
  await removeDeadLeftovers(files);
  if (dead.length === 0) return dead;
  const release = await takeClaimsLock();
  try {
    for (const listed of dead) {
      // Read again under the lock: a new `up` of the lab may have replaced the record meanwhile.
      const record = await readRecord(listed.name).catch(() => undefined);
      if (!record || !sameIdentity(record, listed) || record.runId !== listed.runId || (await isAlive(record))) continue;
      await removeRecord(record.name, { claim: false });
      // The claim only if it is still a dead one's: a new `up` of the lab may hold it by now.
      const claim = await readClaim(record.name).catch(() => undefined);
      if (claim && !(claim.holder && (await isAlive(claim.holder)))) await removeDeadClaim(record.name, claim);
    }
  } finally {
    await release();
  }
  return dead;
}
