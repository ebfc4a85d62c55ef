// The host's IPv4 neighbour table, read before a run: a lab whose checks need more entries than
// the table has room for cannot work, and is refused with the reason (exit 3, like any other
// missing prerequisite of the machine).
import { readFile } from 'node:fs/promises';
import { neighbourDemand } from '../lab/neighbours.ts';
import type { Scenario } from '../lab/model.ts';
import { PrerequisiteError } from '../util/errors.ts';
import { DeadlineError, pollUntil } from '../util/poll.ts';

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
export function checkNeighbourRoom(scenarios: readonly Scenario[], table: NeighbourTable): void {
  const room = table.limit - table.used;
  for (const scenario of scenarios) {
    const demand = neighbourDemand(scenario);
    if (demand.entries <= room) continue;
    throw new PrerequisiteError(
      `scenario ${scenario.name} cannot work on this machine: its checks ping ${demand.pairs} node-address pairs, which need about ${demand.entries} IPv4 neighbour entries, ` +
        `and the kernel's neighbour table (one for all namespaces, net.ipv4.neigh.default.gc_thresh3 = ${table.limit}) has room for ${room} more (${table.used} in use)`,
      `ping fewer pairs (e.g. from one node to every other, not from every node to every other), or raise the limit as root: sysctl -w net.ipv4.neigh.default.gc_thresh3=${Math.max(2 * table.limit, table.used + demand.entries + 256)} (and gc_thresh2 below it)`,
    );
  }
}

/** How long a run waits for the kernel to free the neighbour entries of labs that just went away. */
export const NEIGHBOUR_ROOM_WAIT_MS = 20_000;

/**
 * Refuses at once a scenario that could not fit even in an empty table; otherwise waits (with a
 * deadline) for room: the entries of namespaces just deleted stay counted until the kernel's
 * cleanup of those namespaces runs, which can take seconds after a large lab (found running
 * scale-multicast-100 on two backends one after the other). Refuses with the reason if the
 * table is still too full when the deadline comes.
 */
export async function waitForNeighbourRoom(
  scenarios: readonly Scenario[],
  options: { timeoutMs?: number; signal?: AbortSignal; read?: () => Promise<NeighbourTable> } = {},
): Promise<void> {
  const read = options.read ?? readNeighbourTable;
  let table = await read();
  checkNeighbourRoom(scenarios, { limit: table.limit, used: 0 });
  const fits = (t: NeighbourTable) => {
    try {
      checkNeighbourRoom(scenarios, t);
      return true;
    } catch {
      return undefined;
    }
  };
  if (fits(table)) return;
  try {
    await pollUntil(async () => fits((table = await read())), {
      what: 'the kernel to free the neighbour entries of namespaces that just went away',
      timeoutMs: options.timeoutMs ?? NEIGHBOUR_ROOM_WAIT_MS,
      maxIntervalMs: 250,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (!(error instanceof DeadlineError)) throw error;
    checkNeighbourRoom(scenarios, table);
  }
}
