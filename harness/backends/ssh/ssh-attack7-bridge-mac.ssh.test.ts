// Seventh stranger's attack (issue 13): macOnNic keeps the kernel's MAC on a device built on the
// NIC's link (macvlan, vlan...), but a device that is not on the link may choose any MAC and send
// onto the link through one that is: a bridge the steps create, given node1's MAC, with a
// macvlan on enp0s8 as its port. The bridge's own frames (the ARP requests of one ping) leave
// enp0s8 with node1's MAC as their source, the switch learns node1 behind node0's port, and the
// harness's frames for node1 go to node0 (as in ssh-attack6-mac, by another road). The same goes
// for a veth in that bridge (its peer may take any MAC, and may be in a guest namespace, where the
// host scope looks at nothing).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../scenario/resolve.ts';
import { SshdHosts, sshdMissing } from './testing/sshd-hosts.ts';
import { stderrUntil } from '../../testing/host.ts';
import { PAUSED } from '../../testing/moments.ts';

const missing = await sshdMissing();

describe.skipIf(missing !== undefined)('attack7: a bridge with another host\'s MAC, its port a macvlan on the NIC of a one-NIC host', () => {
  let hosts: SshdHosts;
  beforeAll(async () => {
    hosts = await SshdHosts.build(await loadLab('three-nodes'), { sshOnNic: true });
  });
  afterAll(() => hosts?.stop());

  it('is refused before anything runs; the switch still finds node1 behind node1\'s port', async () => {
    const mac = (node: string) => hosts.onHost(node, ['ip', '-j', 'link', 'show', 'enp0s8']).then((o) => (JSON.parse(o) as { address: string }[])[0]!.address);
    const node1Mac = await mac('node1');
    const file = join(hosts.dir, 'bridge-a-mac.yaml');
    await writeFile(file, [
      'lab: three-nodes', 'title: bridge a mac', 'tutorial: none', 'explain: none', 'steps:', '  - node: node0', '    run:',
      '      - ip link add m7 link enp0s8 type macvlan mode bridge',
      `      - ip link add b7 address ${node1Mac} type bridge`,
      '      - ip link set m7 master b7',
      '      - ip addr add 192.168.8.77/32 dev b7',
      '      - ip link set m7 up',
      '      - ip link set b7 up',
      '      - ping -c 2 -W 1 -I b7 192.168.8.102',
      '  - node: node1', '    run:', '      - ip link show dev enp0s8',
      'checks:', '  - ping: { from: node0, to: 192.168.8.101 }', '',
    ].join('\n'));
    const portOf = async (address: string) => {
      const r = await execa(hosts.inMgmt[0]!, [...hosts.inMgmt.slice(1), 'bridge', '-j', 'fdb', 'show', 'br', 'br0'], { reject: false });
      return (JSON.parse(String(r.stdout) || '[]') as { mac: string; ifname: string }[]).find((f) => f.mac === address)?.ifname ?? 'none';
    };
    const child = hosts.startCli([file, '--reporter', 'tap'], { env: { VXLAB_PAUSE_AT: 'teardown' } });
    const paused = await Promise.race([stderrUntil(child, PAUSED).then(() => true), child.then(() => false)]);
    let node1Behind = await portOf(node1Mac);
    if (paused) {
      node1Behind = await portOf(node1Mac);
      // Paused before teardown (the ping step fails: node2's replies go to node1's MAC, which is
      // now behind node0's port). Teardown would wait on node1's diverted connection; the hosts' stop ends what is left.
      child.kill('SIGKILL');
    }
    const run = await child;
    // h1l is node1's port on the lab switch, h0l node0's. Expected: refused at load (exit 2).
    expect({ node1Behind, exitCode: run.exitCode }, `${String(run.stdout)}\n${String(run.stderr)}`).toEqual({ node1Behind: 'h1l', exitCode: 2 });
  }, 200_000);
});
