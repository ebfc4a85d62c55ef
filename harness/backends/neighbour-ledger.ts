// The ledger of neighbour-table room held by the labs running on this machine: one file per lab,
// read and written under one lock file. The kernel's neighbour table is one for every namespace,
// so two labs that each fit alone (two runs at once, as CI's test files are; or one run's --jobs)
// overflowed it together: 1 of 99 pings failed in scale-multicast-100 beside another 100-node lab.
import { constants } from 'node:fs';
import { lstat, mkdir, open, readFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pause } from '../util/poll.ts';
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

/** How long a lock held by a live run is waited for: it is held for a read and a write, a few ms. */
export const LOCK_WAIT_MS = 10_000;
const LOCK = 'lock';
const ENTRY = /^\d+-\d+-[0-9a-f]+\.json$/;

const identityText = (h: HarnessIdentity) => `${h.harnessPid}.${h.harnessStart}`;

function parseIdentity(text: string): HarnessIdentity | undefined {
  const match = /^(\d{1,10})\.(\d{1,20})$/.exec(text.trim());
  return match ? { harnessPid: Number(match[1]), harnessStart: Number(match[2]) } : undefined;
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

/**
 * The ledger in `dir`, made if missing (0700); undefined where this process may not keep one (a
 * rootless run cannot write root's /run): such a run still judges by the entries in use.
 */
export async function openLedger(dir = ledgerDir(), { create = true }: { create?: boolean } = {}): Promise<NeighbourLedger | undefined> {
  if (dir === undefined) return undefined;
  const made = create
    ? await mkdir(dir, { recursive: true, mode: 0o700 }).then(
        () => true,
        () => false,
      )
    : true;
  const info = made ? await lstat(dir).catch(() => undefined) : undefined;
  // Only a real directory of our own: a file read here decides whether labs wait.
  if (!info?.isDirectory() || info.uid !== process.getuid?.() || (info.mode & 0o022) !== 0) return undefined;
  const me = await harnessIdentity();
  let counter = 0;
  const lockPath = join(dir, LOCK);

  const takeLock = async (signal?: AbortSignal) => {
    const deadline = performance.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        const handle = await open(lockPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
        await handle.writeFile(identityText(me)).finally(() => handle.close());
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = parseIdentity(await readFile(lockPath, 'utf8').catch(() => ''));
      // A lock left by a run killed while holding it is stale. One without a holder yet is being
      // written, unless it is old (its writer died between create and write).
      const stale = holder ? !(await isAlive(holder)) : await stat(lockPath).then((s) => Date.now() - s.mtimeMs > 1000, () => false);
      if (stale) {
        await rm(lockPath, { force: true });
        continue;
      }
      if (performance.now() > deadline) throw new Error(`the neighbour ledger's lock ${lockPath} was held by process ${holder?.harnessPid ?? '(unknown)'} for over ${LOCK_WAIT_MS / 1000} s`);
      await pause(1 + Math.random() * 4, signal);
    }
  };

  const sortEntries = async () => {
    const live: LedgerEntry[] = [];
    const dead: LedgerEntry[] = [];
    for (const name of await readdir(dir)) {
      if (!ENTRY.test(name)) continue;
      const file = join(dir, name);
      const entry = parseEntry(await readFile(file, 'utf8').catch(() => ''), file);
      // Written whole under the lock, so a broken entry is garbage; a dead run's entry is a leftover.
      if (entry && (await isAlive(entry))) {
        live.push(entry);
        continue;
      }
      if (entry) dead.push(entry);
      await rm(file, { force: true });
    }
    return { live, dead };
  };
  const locked = async <T>(decide: (sorted: { live: LedgerEntry[]; dead: LedgerEntry[] }) => Promise<T>, signal?: AbortSignal) => {
    await takeLock(signal);
    try {
      return await decide(await sortEntries());
    } finally {
      await rm(lockPath, { force: true });
    }
  };

  return {
    dir,
    locked: (decide, signal) => locked(async ({ live }) => decide(live), signal),
    forgetDead: () => locked(async ({ dead }) => dead),
    async add(scenario, entries) {
      const file = join(dir, `${me.harnessPid}-${counter++}-${Math.floor(Math.random() * 2 ** 32).toString(16)}.json`);
      const handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      await handle.writeFile(`${JSON.stringify({ ...me, scenario, entries })}\n`).finally(() => handle.close());
      return file;
    },
    async remove(file) {
      await rm(file, { force: true });
    },
  };
}
