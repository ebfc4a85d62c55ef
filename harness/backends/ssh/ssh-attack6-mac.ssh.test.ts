// Sixth and seventh strangers' attacks (issue 13): a host whose one NIC is both the lab's and the
// one vxlab reaches it by (a machine with one NIC, ssh'd to at the lab's address). A device that
// sends onto the NIC's link with node1's MAC address (here the ARP requests of one ping) teaches
// the switch that node1 is behind node0's port, and the harness's frames for node1 go to node0
// from then on, until node1 itself speaks again (it does not: its ssh session waits for the
// harness). Two roads: (6) a macvlan on the NIC given node1's MAC; (7) a bridge the steps create,
// given node1's MAC, with a macvlan on enp0s8 as its port (the same goes for a veth in that
// bridge: its peer may take any MAC, and may be in a guest namespace, where the host scope looks at
// nothing). The host scope checked such devices' addresses and routes, never their MAC; now a
// device on the NIC's link keeps the kernel's MAC, and so does anything that can send through one
// (refused at load, exit 2).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { heldAtMoment, macOf, onFreshHosts, onNode, onNode0, scenarioText, switchPortOf } from './testing/fresh-hosts.ts';
import type { SshdHosts } from './testing/sshd-hosts.ts';

/** Runs node0's steps (which get node1's MAC) held at `pauseAt`; where the switch finds node1 meanwhile, and the run's end. */
async function takeNode1sMac(hosts: SshdHosts, name: string, steps: (node1Mac: string) => string[], pauseAt: string) {
  const node1Mac = await macOf(hosts, 'node1', 'enp0s8');
  const file = join(hosts.dir, `${name}.yaml`);
  await writeFile(file, scenarioText(name, onNode0(steps(node1Mac)), onNode('node1', ['ip link show dev enp0s8'])));
  const child = hosts.startCli([file, '--reporter', 'tap'], { env: { VXLAB_PAUSE_AT: pauseAt } });
  const paused = await heldAtMoment(child);
  const node1Behind = await switchPortOf(hosts, node1Mac);
  // Teardown would wait on node1's diverted connection; the hosts' stop ends what is left.
  if (paused) child.kill('SIGKILL');
  const run = await child;
  return { node1Behind, run };
}

onFreshHosts('attack6: a macvlan on a one-NIC host that takes another host\'s MAC address is refused; the switch still finds node1 behind its port', async (hosts) => {
  const { node1Behind, run } = await takeNode1sMac(hosts, 'take-a-mac', (mac) => [
    `ip link add m6 link enp0s8 address ${mac} type macvlan mode bridge`,
    // An address of its own (a /32 that covers no ssh end): the cover check lets it through.
    'ip addr add 192.168.8.66/32 dev m6',
    'ip link set m6 up',
    // Bound to m6 (no route there: the kernel takes node2 as on-link), its ARP request and echo
    // requests leave with node1's MAC as their source; node2's replies come back to node0.
    'ping -c 2 -W 1 -I m6 192.168.8.102',
  ], 'step:2');
  // h1l is node1's port on the lab switch, h0l node0's.
  expect({ node1Behind, exitCode: run.exitCode }, `${String(run.stdout)}\n${String(run.stderr)}`).toEqual({ node1Behind: 'h1l', exitCode: 2 });
  expect(String(run.stderr)).toMatch(/take-a-mac\.yaml:8:\d+: steps\[0\]\.run\[0\] sets the MAC address of a new device on the host's NIC enp0s8's link/);
}, { sshOnNic: true, timeoutMs: 200_000 });

onFreshHosts('attack7: a bridge with another host\'s MAC, its port a macvlan on the NIC of a one-NIC host, is refused; the switch still finds node1 behind its port', async (hosts) => {
  const { node1Behind, run } = await takeNode1sMac(hosts, 'bridge-a-mac', (mac) => [
    'ip link add m7 link enp0s8 type macvlan mode bridge',
    `ip link add b7 address ${mac} type bridge`,
    'ip link set m7 master b7',
    'ip addr add 192.168.8.77/32 dev b7',
    'ip link set m7 up',
    'ip link set b7 up',
    // Had it run, the ping step would fail: node2's replies go to node1's MAC, now behind node0's port.
    'ping -c 2 -W 1 -I b7 192.168.8.102',
  ], 'teardown');
  expect({ node1Behind, exitCode: run.exitCode }, `${String(run.stdout)}\n${String(run.stderr)}`).toEqual({ node1Behind: 'h1l', exitCode: 2 });
}, { sshOnNic: true, timeoutMs: 200_000 });
