import { describe, expect, it } from 'vitest';
import { checkNeighbourRoom, waitForNeighbourRoom } from '../backends/neighbour-table.ts';
import { PrerequisiteError } from '../util/errors.ts';
import { loadScenario } from '../scenario/resolve.ts';
import { neighbourDemand } from './neighbours.ts';

describe('the neighbour entries a scenario needs', () => {
  it('scale-multicast-100: 99 pings from node0 and 100 VTEPs in a group', async () => {
    expect(neighbourDemand(await loadScenario('scale-multicast-100'))).toEqual({ pairs: 99, entries: 99 * 4 + 200 });
    expect(neighbourDemand(await loadScenario('scale-multicast-100')).entries).toBe(596);
  });
  it('scale-her-30: node0 and node29 ping every other node, no group', async () => {
    // node0 -> 29 peers, node29 -> 29 peers (node0 and node29 ping each other: one pair's entries
    // counted once), and the capture's ping from node0 to 10.20.1.3 repeats one of them.
    expect(neighbourDemand(await loadScenario('scale-her-30'))).toEqual({ pairs: 58, entries: 58 * 4 - 4 });
  });
  it('head-end replication with IPv6 left on: every all-zeros entry costs an underlay entry', async () => {
    const her = await loadScenario('scale-her-30');
    const ipv6On = { ...her, steps: her.steps.map((s) => ({ ...s, commands: s.commands.filter((c) => c.argv[0] !== 'sysctl') })) };
    // 870 underlay entries from the replicated IPv6 multicast, plus the pings' overlay entries (2 per pair).
    expect(neighbourDemand(ipv6On).entries).toBe(30 * 29 + 58 * 2 - 2);
  });
  it('multicast (3 nodes) needs a few', async () => {
    expect(neighbourDemand(await loadScenario('multicast')).entries).toBeLessThan(40);
  });
});

describe('refusing a lab the neighbour table cannot hold', () => {
  it('passes when there is room, and refuses with the reason and the fix when there is not', async () => {
    const scenario = await loadScenario('scale-multicast-100');
    expect(() => checkNeighbourRoom([scenario], { limit: 1024, used: 100 })).not.toThrow();
    try {
      checkNeighbourRoom([scenario], { limit: 1024, used: 500 });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(PrerequisiteError);
      const e = error as PrerequisiteError;
      expect(e.missing).toBe(
        "scenario scale-multicast-100 cannot work on this machine: its checks ping 99 node-address pairs, which need about 596 IPv4 neighbour entries, and the kernel's neighbour table (one for all namespaces, net.ipv4.neigh.default.gc_thresh3 = 1024) has room for 524 more (500 in use)",
      );
      expect(e.fix).toContain('sysctl -w net.ipv4.neigh.default.gc_thresh3=2048');
    }
  });
});

describe('waiting for room in the neighbour table', () => {
  const reader = (used: number[]) => {
    let reads = 0;
    return { read: async () => ({ limit: 1024, used: used[Math.min(reads++, used.length - 1)]! }), reads: () => reads };
  };

  it('waits while the entries of labs just torn down are freed, then goes on', async () => {
    const scenario = await loadScenario('scale-multicast-100');
    const table = reader([900, 800, 600, 100]);
    await waitForNeighbourRoom([scenario], { read: table.read, timeoutMs: 5000 });
    expect(table.reads()).toBe(4);
  });

  it('refuses with the reason when the table stays full until the deadline', async () => {
    const scenario = await loadScenario('scale-multicast-100');
    await expect(waitForNeighbourRoom([scenario], { read: reader([700]).read, timeoutMs: 300 })).rejects.toThrow(/has room for 324 more \(700 in use\)/);
  });

  it('refuses at once a lab that could not fit even in an empty table', async () => {
    const scenario = await loadScenario('scale-multicast-100');
    const table = { read: async () => ({ limit: 500, used: 0 }) };
    await expect(waitForNeighbourRoom([scenario], { ...table, timeoutMs: 60_000 })).rejects.toBeInstanceOf(PrerequisiteError);
  });
});

