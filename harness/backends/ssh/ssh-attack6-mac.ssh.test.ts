// Sixth stranger's attack (issue 13): a host whose one NIC is both the lab's and the one vxlab
// reaches it by (a machine with one NIC, ssh'd to at the lab's address). A macvlan on the NIC may
// take any MAC address: given node1's, every frame it sends (here the ARP requests of one ping)
// teaches the switch that node1 is behind node0's port, and the harness's frames for node1 go to
// node0 from then on, until node1 itself speaks again (it does not: its ssh session waits for the
// harness). The host scope checked the macvlan's addresses and routes, never its MAC; now a
// device on the NIC's link keeps the kernel's MAC (refused at load).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../scenario/resolve.ts';
import { SshdHosts, sshdMissing } from './testing/sshd-hosts.ts';
import { stderrUntil } from '../../testing/host.ts';
import { PAUSED } from '../../testing/moments.ts';

const missing = await sshdMissing();

describe.skipIf(missing !== undefined)('attack6: a macvlan on a one-NIC host that takes another host\'s MAC address', () => {
  let hosts: SshdHosts;
  beforeAll(async () => {
    hosts = await SshdHosts.build(await loadLab('three-nodes'), { sshOnNic: true });
  });
  afterAll(() => hosts?.stop());

  it('is refused before anything runs; the switch still finds node1 behind node1\'s port', async () => {
    const mac = (node: string) => hosts.onHost(node, ['ip', '-j', 'link', 'show', 'enp0s8']).then((o) => (JSON.parse(o) as { address: string }[])[0]!.address);
    const node1Mac = await mac('node1');
    const file = join(hosts.dir, 'take-a-mac.yaml');
    await writeFile(file, [
      'lab: three-nodes', 'title: take a mac', 'tutorial: none', 'explain: none', 'steps:', '  - node: node0', '    run:',
      `      - ip link add m6 link enp0s8 address ${node1Mac} type macvlan mode bridge`,
      // An address of its own (a /32 that covers no ssh end): the cover check lets it through.
      '      - ip addr add 192.168.8.66/32 dev m6',
      '      - ip link set m6 up',
      // Bound to m6 (no route there: the kernel takes node2 as on-link), its ARP request and echo
      // requests leave with node1's MAC as their source; node2's replies come back to node0.
      '      - ping -c 2 -W 1 -I m6 192.168.8.102',
      '  - node: node1', '    run:', '      - ip link show dev enp0s8',
      'checks:', '  - ping: { from: node0, to: 192.168.8.101 }', '',
    ].join('\n'));
    const portOf = async (address: string) => {
      const r = await execa(hosts.inMgmt[0]!, [...hosts.inMgmt.slice(1), 'bridge', '-j', 'fdb', 'show', 'br', 'br0'], { reject: false });
      return (JSON.parse(String(r.stdout) || '[]') as { mac: string; ifname: string }[]).find((f) => f.mac === address)?.ifname ?? 'none';
    };
    const child = hosts.startCli([file, '--reporter', 'tap'], { env: { VXLAB_PAUSE_AT: 'step:2' } });
    const paused = await Promise.race([stderrUntil(child, PAUSED).then(() => true), child.then(() => false)]);
    let node1Behind = await portOf(node1Mac);
    if (paused) {
      node1Behind = await portOf(node1Mac);
      // Teardown would wait on node1's diverted connection; the hosts' stop ends what is left.
      child.kill('SIGKILL');
    }
    const run = await child;
    // h1l is node1's port on the lab switch, h0l node0's.
    // Refused at load (exit 2, at the step's file:line:col): a device on the NIC keeps the kernel's MAC.
    expect({ node1Behind, exitCode: run.exitCode }, `${String(run.stdout)}\n${String(run.stderr)}`).toEqual({ node1Behind: 'h1l', exitCode: 2 });
    expect(String(run.stderr)).toMatch(/take-a-mac\.yaml:8:\d+: steps\[0\]\.run\[0\] sets the MAC address of a new device on the host's NIC enp0s8's link/);
  }, 200_000);
});
