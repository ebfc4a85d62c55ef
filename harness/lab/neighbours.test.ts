import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLedger, type NeighbourLedger } from '../backends/neighbour-ledger.ts';
import { checkNeighbourRoom, reserveNeighbourRoom } from '../backends/neighbour-table.ts';
import { pause, pollUntil } from '../util/poll.ts';
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

describe('waiting for room in the neighbour table, and reserving it', () => {
  const reader = (used: number[]) => {
    let reads = 0;
    return { read: async () => ({ limit: 1024, used: used[Math.min(reads++, used.length - 1)]! }), reads: () => reads };
  };
  const scratch: string[] = [];
  afterAll(() => scratch.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const scratchLedger = async () => (await openLedger(scratch[scratch.push(mkdtempSync(join(tmpdir(), 'vxlab-ledger-test-'))) - 1]))!;
  const files = (ledger: NeighbourLedger) => readdirSync(ledger.dir).filter((f) => f.endsWith('.json'));

  it('waits while the entries of labs just torn down are freed, then goes on', async () => {
    const scenario = await loadScenario('scale-multicast-100');
    const table = reader([900, 800, 600, 100]);
    await reserveNeighbourRoom(scenario, { read: table.read, ledger: null, timeoutMs: 5000 });
    // One read per try: three without room, then the one with it.
    expect(table.reads()).toBe(4);
  });

  it('refuses with the reason when the table stays full until the deadline, and says why it waited', async () => {
    const scenario = await loadScenario('scale-multicast-100');
    const waits: string[] = [];
    await expect(reserveNeighbourRoom(scenario, { read: reader([700]).read, ledger: null, timeoutMs: 300, onWait: (w) => waits.push(w) })).rejects.toThrow(/has room for 324 more \(700 in use\)/);
    expect(waits).toEqual(["waiting for room in the kernel's neighbour table (596 entries), for the entries of namespaces just deleted to be freed"]);
  });

  it('refuses at once a lab that could not fit even in an empty table', async () => {
    const scenario = await loadScenario('scale-multicast-100');
    const started = performance.now();
    await expect(reserveNeighbourRoom(scenario, { read: async () => ({ limit: 500, used: 0 }), ledger: null, timeoutMs: 60_000 })).rejects.toBeInstanceOf(PrerequisiteError);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('a second lab waits while the first holds its room, past the deadline, and goes on once it is released', async () => {
    const scenario = await loadScenario('scale-multicast-100');
    const ledger = await scratchLedger();
    const table = async () => ({ limit: 1024, used: 0 });
    const first = await reserveNeighbourRoom(scenario, { read: table, ledger });
    expect(files(ledger)).toHaveLength(1);
    const waits: string[] = [];
    let admitted = false;
    const second = reserveNeighbourRoom(scenario, { read: table, ledger, timeoutMs: 200, onWait: (w) => waits.push(w) }).then((r) => ((admitted = true), r));
    await pollUntil(() => (waits.length > 0 ? true : undefined), { what: 'the second lab to wait', timeoutMs: 5000 });
    // Well past its 200 ms deadline: a lab holding room frees it when it ends, so the wait goes on.
    await pause(600);
    expect(admitted).toBe(false);
    expect(waits[0]).toMatch(new RegExp(`^waiting for room in the kernel's neighbour table \\(596 entries\\), held by scale-multicast-100 \\(596, process ${process.pid}\\)$`));
    await first[Symbol.asyncDispose]();
    const held = await second;
    expect(admitted).toBe(true);
    expect(files(ledger)).toHaveLength(1);
    await held[Symbol.asyncDispose]();
    expect(files(ledger)).toEqual([]);
  });

  it('small labs go beside a large one while the table has room for all', async () => {
    const [large, small] = [await loadScenario('scale-multicast-100'), await loadScenario('multicast')];
    const ledger = await scratchLedger();
    const table = async () => ({ limit: 1024, used: 300 });
    const held = [await reserveNeighbourRoom(large, { read: table, ledger, timeoutMs: 100 })];
    for (let i = 0; i < 5; i++) held.push(await reserveNeighbourRoom(small, { read: table, ledger, timeoutMs: 100 }));
    expect(files(ledger)).toHaveLength(6);
    // 596 + 5 x ~30 reserved: another large lab does not fit beside them.
    await expect(reserveNeighbourRoom(large, { read: table, ledger, timeoutMs: 100, maxWaitMs: 300 })).rejects.toThrow(/\(300 in use, \d+ reserved by labs running now\)/);
    for (const h of held) await h[Symbol.asyncDispose]();
    expect(files(ledger)).toEqual([]);
  });

  it('a scenario that pings nothing reserves nothing', async () => {
    const scenario = await loadScenario('multicast');
    const ledger = await scratchLedger();
    const held = await reserveNeighbourRoom({ ...scenario, checks: [], steps: [] }, { read: async () => ({ limit: 1024, used: 1024 }), ledger });
    expect(files(ledger)).toEqual([]);
    await held[Symbol.asyncDispose]();
  });
});
