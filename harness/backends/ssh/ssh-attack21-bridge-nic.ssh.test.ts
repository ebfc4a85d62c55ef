// Twenty-first stranger's attack: movedOffNic keeps a device on the NIC's link out of guests
// ("give the guest a veth to a bridge instead"), yet a bridge the steps create may take a
// macvlan on the NIC as a port (joinedProblem asks only that the bridge is created). A guest
// behind that bridge is then a station of the NIC's network whose addresses nothing checks: it
// takes the harness's own address (the ssh connection's other end) and ARP poisons node1's entry.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { onFreshHosts, onNode0, scenarioText } from './testing/fresh-hosts.ts';

const MAC = '02:aa:bb:cc:dd:ee';
const steps = [
  'ip link add mv1 link enp0s8 type macvlan mode bridge',
  'ip link add br9 type bridge',
  'ip link set dev mv1 master br9',
  'ip netns add g1',
  `ip link add v1 type veth peer name v1g address ${MAC} netns g1`,
  'ip link set dev v1 master br9',
  'ip link set dev mv1 up',
  'ip link set dev v1 up',
  'ip link set dev br9 up',
  'ip netns exec g1 ip link set dev v1g up',
  'ip netns exec g1 ip addr add 192.168.8.1/24 dev v1g',
  'ip netns exec g1 ping -c 2 -W 1 192.168.8.101',
];

onFreshHosts('a guest behind a bridge with a macvlan on the NIC takes the ssh connection\'s address', async (hosts) => {
  const file = join(hosts.dir, 'bridge-nic.yaml');
  await writeFile(file, scenarioText('bridge to the NIC', onNode0(steps)));
  const run = await hosts.runCli([file, '--reporter', 'tap']);
  const said = `run ${run.exitCode}:\n${run.stdout}${run.stderr}`;
  const neigh = await hosts.onHost('node1', ['ip', 'neigh', 'show', '192.168.8.1']);
  console.log(said, '\nnode1 neighbour of the harness (192.168.8.1):', neigh);
  expect(run.stderr, said).not.toMatch(/^$/);
  expect(neigh, said).not.toContain(MAC);
  expect(run.exitCode, said).toBe(2);
}, { sshOnNic: true, timeoutMs: 180_000 });
