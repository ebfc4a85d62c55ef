// Fourth stranger's attack (issue 13), the host scope's part: each case was a hole on main at
// 76369e1 (scratch-attack4); the expectation is the contained behaviour: refused at load, exit 2.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { heldAtMoment, onFreshHosts } from './testing/fresh-hosts.ts';

// tc's mirred reads its target with matches("dev"): `de mgmt` sends a copy of every frame
// leaving vxlan0 out of the host's management NIC, which the host scope never sees.
onFreshHosts('attack4: tc mirred by `de` on an ssh host: is refused at load (exit 2), and no filter mirrors to mgmt', async (hosts) => {
  const file = join(hosts.dir, 'mirred.yaml');
  await writeFile(file, [
    'lab: three-nodes', 'title: mirred', 'tutorial: none', 'explain: none', 'steps:', '  - node: node0', '    run:',
    '      - ip link add vxlan0 type vxlan id 42 dstport 4789 remote 192.168.8.101 local 192.168.8.100 dev enp0s8',
    '      - ip link set vxlan0 up',
    '      - tc qdisc add dev vxlan0 clsact',
    '      - tc filter add dev vxlan0 egress protocol all u32 match u32 0 0 action mirred egress mirror de mgmt',
    '  - node: node0', '    run:', '      - ip link show dev vxlan0',
    'checks:', '  - ping: { from: node0, to: 192.168.8.101 }', '',
  ].join('\n'));
  const child = hosts.startCli([file, '--reporter', 'tap'], { env: { VXLAB_PAUSE_AT: 'step:2' } });
  const paused = await heldAtMoment(child);
  let filters = '';
  if (paused) {
    filters = await hosts.onHost('node0', ['tc', 'filter', 'show', 'dev', 'vxlan0', 'egress']);
    child.kill('SIGINT');
  }
  const run = await child;
  expect({ mirrorsToMgmt: /Mirror to device mgmt/.test(filters) ? filters : false, exitCode: run.exitCode }).toEqual({ mirrorsToMgmt: false, exitCode: 2 });
});

// bridge/link.c tries `set` before `show`: `s` asks the kernel to change enp0s8's bridge-port
// flags (here enp0s8 is no port, so the kernel says "Operation not supported"; on a host whose
// NIC is a port of its own bridge, learning/state/cost change and nothing restores them).
onFreshHosts('attack4: `bridge link s` on the NIC: is refused at load (exit 2), before anything reaches the host', async (hosts) => {
  const file = join(hosts.dir, 'bridge-link-s.yaml');
  await writeFile(file, [
    'lab: three-nodes', 'title: bridge link s', 'tutorial: none', 'explain: none', 'steps:', '  - node: node0', '    run:',
    '      - bridge link s dev enp0s8 learning off',
    'checks:', '  - ping: { from: node0, to: 192.168.8.101 }', '',
  ].join('\n'));
  const run = await hosts.runCli([file, '--reporter', 'tap']);
  expect({ exitCode: run.exitCode, reachedTheKernel: /RTNETLINK answers/.test(run.stdout + run.stderr) }).toEqual({ exitCode: 2, reachedTheKernel: false });
});

// Inside a guest namespace the host scope checks only namespace names: no cover check, no
// look at addresses. A macvlan on enp0s8 in a guest, given node0's own 192.168.8.100, answers
// for it: one ARP request from the guest repoints node1's entry for the host to the guest's
// MAC. On a host whose lab NIC also carries the ssh connection, the same with the ssh end's
// address (or a ping of the gateway) takes the connection away: the host is stranded.
onFreshHosts('attack4: a macvlan on the NIC, moved to a guest namespace, takes the host\'s own address: is refused before anything runs; node1 still reaches node0 itself', async (hosts) => {
  const file = join(hosts.dir, 'macvlan-guest.yaml');
  await writeFile(file, [
    'lab: three-nodes', 'title: macvlan guest', 'tutorial: none', 'explain: none', 'steps:', '  - node: node0', '    run:',
    '      - ip link add link enp0s8 name mv0 type macvlan mode bridge',
    '      - ip netns add a4v',
    '      - ip link set mv0 netns a4v',
    '      - ip -n a4v addr add 192.168.8.100/24 dev mv0',
    '      - ip -n a4v link set mv0 up',
    '      - ip netns exec a4v ping -c 1 -W 2 192.168.8.101',
    '  - node: node0', '    run:', '      - ip link show dev enp0s8',
    'checks:', '  - ping: { from: node0, to: 192.168.8.101 }', '',
  ].join('\n'));
  const nicMac = JSON.parse(await hosts.onHost('node0', ['ip', '-j', 'link', 'show', 'enp0s8']))[0].address as string;
  const child = hosts.startCli([file, '--reporter', 'tap'], { env: { VXLAB_PAUSE_AT: 'step:2' } });
  const paused = await heldAtMoment(child);
  let node1Sees = nicMac;
  if (paused) {
    const neigh = JSON.parse(await hosts.onHost('node1', ['ip', '-j', 'neigh', 'show', '192.168.8.100', 'dev', 'enp0s8'])) as { lladdr?: string }[];
    node1Sees = neigh[0]?.lladdr ?? nicMac;
    child.kill('SIGINT');
  }
  const run = await child;
  expect({ node1SeesNode0At: node1Sees, refusedAtLoad: run.exitCode === 2 }).toEqual({ node1SeesNode0At: nicMac, refusedAtLoad: true });
});
