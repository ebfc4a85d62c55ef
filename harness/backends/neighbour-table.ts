// The host's IPv4 neighbour table, read before a run: a lab whose checks need more entries than
// the table has room for cannot work, and is refused with the reason (exit 3, like any other
// missing prerequisite of the machine).
import { readFile } from 'node:fs/promises';
import { neighbourDemand } from '../lab/neighbours.ts';
import type { Scenario } from '../lab/model.ts';
import { PrerequisiteError } from '../util/errors.ts';

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
