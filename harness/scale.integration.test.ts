// Labs of any size (issue 12) on the real kernel, through the command line: the two generated
// scale scenarios build, check their FDBs (multicast, head-end replication) and clean up; a
// scenario whose pings the kernel's neighbour table cannot hold is refused before anything is built.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { labResidue, runCli, runIdOf } from './testing/host.ts';
import { parseTap, pointsByScenario } from './testing/tap.ts';

const work = mkdtempSync(join(tmpdir(), 'vxlab-scale-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('generated labs on the real kernel', () => {
  it('scale-her-30: 30 nodes, 29 all-zeros FDB entries each, one ARP request as 29 copies, pings to every peer', { timeout: 180_000 }, async () => {
    const result = await runCli(['scale-her-30', '--reporter', 'tap']);
    const tap = await parseTap(result.stdout);
    expect(tap, result.stdout.slice(-3000)).toMatchObject({ ok: true, fail: 0, extra: [] });
    const points = pointsByScenario(result.stdout)['scale-her-30']!;
    expect(points).toHaveLength(33);
    expect(points).toContain('ok 30 - node29 has one all-zeros FDB entry for each of its 29 peers, and no group');
    expect(points).toContain('ok 31 - one ARP request leaves node0 as exactly 29 unicast copies, one per peer');
    expect(result.exitCode).toBe(0);
    expect(await labResidue(runIdOf(result.stdout))).toEqual([]);
  });

  it('scale-multicast-100: 100 nodes, the group FDB entry on each, node0 reaching and learning all 99 peers', { timeout: 300_000 }, async () => {
    const result = await runCli(['scale-multicast-100', '--reporter', 'tap']);
    const tap = await parseTap(result.stdout);
    expect(tap, result.stdout.slice(-3000)).toMatchObject({ ok: true, fail: 0, extra: [] });
    const points = pointsByScenario(result.stdout)['scale-multicast-100']!;
    expect(points).toHaveLength(103);
    expect(points).toContain('ok 101 - node0 reaches every other node over VXLAN (99 pings at once)');
    expect(points).toContain("ok 102 - node0 learned every peer's VTEP from their answers (99 FDB entries)");
    expect(result.exitCode).toBe(0);
    expect(await labResidue(runIdOf(result.stdout))).toEqual([]);
  });
});

describe('a scenario the neighbour table cannot hold', () => {
  it('every node of 30 pinging every other is refused with the reason, exit 3, nothing built', async () => {
    const file = join(work, 'mesh-30.yaml');
    writeFileSync(file, [
      'lab: scale-30', 'title: Full mesh', 'tutorial: none', 'explain: Every node pings every other.',
      'steps:', '  - forEach: node', '    run:',
      '      - ip link add vxlan0 type vxlan id 42 dstport 4789 group 239.1.1.1 dev enp0s8',
      '      - ip addr add 10.20.1.{{ node.index + 2 }}/24 dev vxlan0',
      'checks:', '  - name: "{{ node.name }} reaches every other node"', '    forEach: node',
      '    ping: { from: "{{ node.name }}", to: "10.20.1.{{ peer.index + 2 }}", count: 1 }', '',
    ].join('\n'));
    const result = await runCli([file, '--reporter', 'tap']);
    expect(result.stderr).toMatch(/^vxlab: scenario mesh-30 cannot work on this machine: its checks ping 870 node-address pairs, which need about 1800 IPv4 neighbour entries, and the kernel's neighbour table \(one for all namespaces, net\.ipv4\.neigh\.default\.gc_thresh3 = \d+\) has room for \d+ more/);
    expect(result.stdout).toMatch(/^TAP version 14\n1\.\.0 # SKIP scenario mesh-30 cannot work/);
    expect(result.exitCode).toBe(3);
    // `up` refuses it the same way, before a supervisor or a node exists.
    const labs = mkdtempSync(join(tmpdir(), 'vxlab-labs-'));
    try {
      const up = await runCli(['up', file], { env: { VXLAB_LABS_DIR: labs } });
      expect(up.stderr).toMatch(/^vxlab: scenario mesh-30 cannot work on this machine: its checks ping 870 node-address pairs/);
      expect(up.exitCode).toBe(3);
      expect(readdirSync(labs)).toEqual([]);
    } finally {
      // Were it let up (a regression), its supervisor and nodes go with `down`, not with the directory.
      await runCli(['down', 'mesh-30'], { env: { VXLAB_LABS_DIR: labs } });
      rmSync(labs, { recursive: true, force: true });
    }
  });
});
