// The ledger of neighbour-table room held by the labs running on this machine: one file per lab,
// read and written under one lock. The kernel's neighbour table is one for every namespace,
// so two labs that each fit alone (two runs at once, as CI's test files are; or one run's --jobs)
// overflowed it together: 1 of 99 pings failed in scale-multicast-100 beside another 100-node lab.
import { constants } from 'node:fs';
import { access, lstat, mkdir, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { takeLock } from '../util/file-lock.ts';
import { harnessIdentity, isAlive, type HarnessIdentity } from './harness-identity.ts';

export interface LedgerEntry extends HarnessIdentity {
  scenario: string;
  entries: number;
  file: string;
}

export interface NeighbourLedger {
  readonly dir: string;
  /** Runs `decide` holding the ledger's lock, with the live entries (those of dead runs removed). */
  locked<T>(decide: (live: LedgerEntry[]) => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Adds an entry (call it inside `locked`); returns its file, for `remove`. */
  add(scenario: string, entries: number): Promise<string>;
  remove(file: string): Promise<void>;
  /** Removes the entries of runs that are gone (what `clean` does after a crash); returns them. */
  forgetDead(): Promise<LedgerEntry[]>;
}

/**
 * Root's /run (gone at reboot, like the labs); VXLAB_NEIGHBOUR_LEDGER names another. Undefined for
 * anyone else: their labs run in user namespaces of their own, and a shared directory in /tmp
 * would be one that another user could make first.
 */
export function ledgerDir(): string | undefined {
  if (process.env.VXLAB_NEIGHBOUR_LEDGER) return process.env.VXLAB_NEIGHBOUR_LEDGER;
  return process.getuid?.() === 0 ? '/run/vxlab/neighbours' : undefined;
}

export { LOCK_WAIT_MS } from '../util/file-lock.ts';
const ENTRY = /^\d+-\d+-[0-9a-f]+\.json$/;
const LOCK = 'lock';

/** A regular file's text; '' for anything else (a FIFO would block the read with the lock held). */
async function readRegularFile(file: string): Promise<string> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => undefined);
  if (!handle) return '';
  try {
    const info = await handle.stat();
    return info.isFile() && info.size < 4096 ? await handle.readFile('utf8') : '';
  } finally {
    await handle.close();
  }
}

function parseEntry(text: string, file: string): LedgerEntry | undefined {
  try {
    const e = JSON.parse(text) as Partial<LedgerEntry> | null;
    const whole = e !== null && typeof e === 'object' && Number.isInteger(e.harnessPid) && Number.isInteger(e.harnessStart) && Number.isInteger(e.entries) && typeof e.scenario === 'string';
    return whole ? { harnessPid: e.harnessPid!, harnessStart: e.harnessStart!, scenario: e.scenario!, entries: Math.max(0, e.entries!), file } : undefined;
  } catch {
    return undefined;
  }
}

/** Errors that mean this process may not keep a ledger here at all (a rootless run and root's /run). */
const NOT_OURS = new Set(['EACCES', 'EPERM', 'EROFS']);

/**
 * The ledger in `dir`, made if missing (0700); undefined where this process cannot keep one (a
 * rootless run cannot write root's /run): such a run judges by the entries in use alone. A
 * directory that is there but unsafe (a link, writable by others) is an error, never ignored:
 * a ledger quietly not kept would let labs overflow the table again.
 */
export async function openLedger(dir = ledgerDir(), { create = true }: { create?: boolean } = {}): Promise<NeighbourLedger | undefined> {
  if (dir === undefined) return undefined;
  if (create) {
    const refused = await mkdir(dir, { recursive: true, mode: 0o700 }).then(
      () => undefined,
      (error: NodeJS.ErrnoException) => error,
    );
    if (refused && NOT_OURS.has(refused.code ?? '')) return undefined;
    if (refused) throw new Error(`the neighbour ledger ${dir} cannot be made: ${refused.message}`);
  }
  const info = await lstat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' && !create) return undefined;
    throw new Error(`the neighbour ledger ${dir} cannot be read: ${error.message}`);
  });
  if (!info) return undefined;
  const uid = process.getuid?.();
  const writable = await access(dir, constants.W_OK).then(
    () => true,
    () => false,
  );
  // Another user's directory we cannot write (root's, seen from a rootless run) is not ours to keep;
  // one we can write but do not own (root and a directory another user made) is not safe.
  if (info.isDirectory() && info.uid !== uid && !writable) return undefined;
  const problem = !info.isDirectory()
    ? 'is not a directory (a symbolic link?)'
    : info.uid !== uid
      ? `belongs to uid ${info.uid}, not to you (uid ${uid})`
      : (info.mode & 0o022) !== 0
        ? `can be written by other users (mode ${(info.mode & 0o777).toString(8)})`
        : undefined;
  if (problem) throw new Error(`the neighbour ledger ${dir} ${problem}: remove it, or set VXLAB_NEIGHBOUR_LEDGER to a directory of your own`);
  const me = await harnessIdentity();
  let counter = 0;
  const lockFile = join(dir, LOCK);

  const sortEntries = async () => {
    const live: LedgerEntry[] = [];
    const dead: LedgerEntry[] = [];
    const names = await readdir(dir).catch((error: Error) => {
      throw new Error(`the neighbour ledger ${dir} cannot be read: ${error.message}`);
    });
    for (const name of names) {
      if (!ENTRY.test(name)) continue;
      const file = join(dir, name);
      const entry = parseEntry(await readRegularFile(file), file);
      // Written whole under the lock, so a broken entry is garbage; a dead run's entry is a leftover.
      if (entry && (await isAlive(entry))) {
        live.push(entry);
        continue;
      }
      if (entry) dead.push(entry);
      // One that cannot be removed (an immutable directory) is skipped: it holds no room.
      await rm(file, { force: true, recursive: true }).catch(() => undefined);
    }
    return { live, dead };
  };
  const locked = async <T>(decide: (sorted: { live: LedgerEntry[]; dead: LedgerEntry[] }) => Promise<T>, signal?: AbortSignal) => {
    const release = await takeLock(lockFile, "the neighbour ledger's lock", signal);
    try {
      return await decide(await sortEntries());
    } finally {
      await release();
    }
  };

  return {
    dir,
    locked: (decide, signal) => locked(async ({ live }) => decide(live), signal),
    forgetDead: () => locked(async ({ dead }) => dead),
    async add(scenario, entries) {
      const file = join(dir, `${me.harnessPid}-${counter++}-${Math.floor(Math.random() * 2 ** 32).toString(16)}.json`);
      try {
        const handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
        await handle.writeFile(`${JSON.stringify({ ...me, scenario, entries })}\n`).finally(() => handle.close());
      } catch (error) {
        await rm(file, { force: true }).catch(() => undefined);
        throw new Error(`the neighbour ledger ${dir} cannot be written: ${(error as Error).message}`, { cause: error });
      }
      return file;
    },
    async remove(file) {
      // Not removable (an immutable directory): the entry outlives this run, which ends soon, and
      // then it is a dead run's, dropped at the next look or by `clean`. Never a crash at teardown.
      await rm(file, { force: true }).catch(() => undefined);
    },
  };
}
