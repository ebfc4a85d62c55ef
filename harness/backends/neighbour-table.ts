// The host's IPv4 neighbour table: a lab whose checks need more entries than the table could ever
// hold is refused before anything is built (exit 3, like any other missing prerequisite of the
// machine); every other lab waits for room and reserves it in the ledger (neighbour-ledger.ts).
import { readFile } from 'node:fs/promises';
import { neighbourDemand } from '../lab/neighbours.ts';
import type { Scenario } from '../lab/model.ts';
import { PrerequisiteError } from '../util/errors.ts';
import { pause } from '../util/poll.ts';
import { openLedger, type LedgerEntry, type NeighbourLedger } from './neighbour-ledger.ts';

export const DEFAULT_GC_THRESH3 = 1024;
const GC_THRESH3 = '/proc/sys/net/ipv4/neigh/default/gc_thresh3';
const ARP_STATS = '/proc/net/stat/arp_cache';

export interface NeighbourTable {
  /** The hard limit; the kernel's default when this namespace cannot see it (rootless mode). */
  limit: number;
  /** Entries held now, by every namespace of the machine; 0 when unknown. */
  used: number;
}

/** Reads the limit and the current use; both files exist only in the machine's own namespace. */
export async function readNeighbourTable(): Promise<NeighbourTable> {
  const limit = await readFile(GC_THRESH3, 'utf8').then((t) => Number(t.trim()), () => DEFAULT_GC_THRESH3);
  // The first column of the second line is the table's entries, in hex (the same on every CPU line).
  const used = await readFile(ARP_STATS, 'utf8').then((t) => parseInt(t.split('\n')[1]?.trim().split(/\s+/)[0] ?? '0', 16) || 0, () => 0);
  return { limit, used };
}

/** Throws PrerequisiteError for the first scenario whose pings could not all get a neighbour entry. */
export function checkNeighbourRoom(scenarios: readonly Scenario[], table: NeighbourTable, held = 0): void {
  // Labs running now hold up to their reservations, and what is in use may be theirs: the larger counts.
  const room = table.limit - Math.max(table.used, held);
  for (const scenario of scenarios) {
    const demand = neighbourDemand(scenario);
    if (demand.entries <= room) continue;
    const taken = held > 0 ? `${table.used} in use, ${held} reserved by labs running now` : `${table.used} in use`;
    throw new PrerequisiteError(
      `scenario ${scenario.name} cannot work on this machine: its checks ping ${demand.pairs} node-address pairs, which need about ${demand.entries} IPv4 neighbour entries, ` +
        `and the kernel's neighbour table (one for all namespaces, net.ipv4.neigh.default.gc_thresh3 = ${table.limit}) has room for ${room} more (${taken})`,
      `ping fewer pairs (e.g. from one node to every other, not from every node to every other), or raise the limit as root: sysctl -w net.ipv4.neigh.default.gc_thresh3=${Math.max(2 * table.limit, table.used + demand.entries + 256)} (and gc_thresh2 below it)`,
    );
  }
}

/** Refuses, before anything is built, a scenario that could not fit even in an empty table. */
export async function refuseLabsTooBigForTheTable(scenarios: readonly Scenario[], read = readNeighbourTable): Promise<void> {
  const table = await read();
  // Said with the room there is now: the scenario needs more than the limit, so more than that too.
  checkNeighbourRoom(scenarios.filter((s) => neighbourDemand(s).entries > table.limit), table);
}

/** How long a lab waits for room once no other lab holds any: the entries of namespaces just deleted. */
export const NEIGHBOUR_ROOM_WAIT_MS = 20_000;
/** The longest a lab waits behind other labs that hold room (a stuck run must not hold it forever). */
export const NEIGHBOUR_ROOM_MAX_WAIT_MS = 600_000;

export interface ReserveOptions {
  signal?: AbortSignal;
  read?: () => Promise<NeighbourTable>;
  /** The ledger shared by the labs of this machine; `null` for none (judged by the entries in use only). */
  ledger?: NeighbourLedger | null;
  timeoutMs?: number;
  maxWaitMs?: number;
  /** Told once, when the lab starts to wait, why. */
  onWait?: (reason: string) => void;
}

/**
 * Waits (with a deadline) until the table has room for the scenario's entries beside what is in
 * use and what labs running now have reserved, then reserves it in the ledger until disposed.
 * The deadline runs while no other lab holds room: the entries of namespaces just deleted stay
 * counted until the kernel's cleanup of those namespaces runs, seconds after a large lab (found
 * running scale-multicast-100 on two backends one after the other). While another lab holds room
 * it waits on (up to maxWaitMs): that lab frees it when it ends. Refuses with the reason at the end.
 */
export async function reserveNeighbourRoom(scenario: Scenario, options: ReserveOptions = {}): Promise<AsyncDisposable> {
  const entries = neighbourDemand(scenario).entries;
  if (entries === 0) return { [Symbol.asyncDispose]: async () => undefined };
  const read = options.read ?? readNeighbourTable;
  const ledger = options.ledger === undefined ? await openLedger() : (options.ledger ?? undefined);
  const waitMs = options.timeoutMs ?? NEIGHBOUR_ROOM_WAIT_MS;
  const started = performance.now();
  let deadline = started + waitMs;
  let interval = 2;
  let told = false;
  for (;;) {
    const attempt = async (live: readonly LedgerEntry[]): Promise<{ file: string | undefined } | { error: unknown; holders: readonly LedgerEntry[]; never: boolean }> => {
      const table = await read();
      const held = live.reduce((sum, e) => sum + e.entries, 0);
      try {
        checkNeighbourRoom([scenario], table, held);
      } catch (error) {
        // More than the limit: no wait could make room, so it is refused at once.
        return { error, holders: live, never: entries > table.limit };
      }
      return { file: await ledger?.add(scenario.name, entries) };
    };
    const verdict = ledger ? await ledger.locked(attempt, options.signal) : await attempt([]);
    if (!('error' in verdict)) {
      const file = verdict.file;
      return { [Symbol.asyncDispose]: async () => (file ? ledger?.remove(file) : undefined) };
    }
    if (verdict.never) throw verdict.error;
    const now = performance.now();
    if (verdict.holders.length > 0) deadline = Math.max(deadline, now + waitMs);
    if (now >= deadline || now - started >= (options.maxWaitMs ?? NEIGHBOUR_ROOM_MAX_WAIT_MS)) throw verdict.error;
    if (!told) {
      told = true;
      const holders = verdict.holders.map((h) => `${h.scenario} (${h.entries}, process ${h.harnessPid})`);
      options.onWait?.(`waiting for room in the kernel's neighbour table (${entries} entries)${holders.length > 0 ? `, held by ${holders.join(', ')}` : ', for the entries of namespaces just deleted to be freed'}`);
    }
    await pause(interval, options.signal);
    interval = Math.min(interval * 2, 250);
  }
}
