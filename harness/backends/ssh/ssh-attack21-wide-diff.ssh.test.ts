// Twenty-first stranger's attack: a wide read of node0 (every net.* sysctl, rules, proxy
// neighbours, the NIC's flags and multicast list, nexthops) before a run of in-scope steps and
// after its teardown: anything that differs is a change the restore does not see.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { onFreshHosts, onNode, onNode0, scenarioText } from './testing/fresh-hosts.ts';
import { stderrUntil } from '../../testing/host.ts';
import { PAUSED } from '../../testing/moments.ts';
import type { SshdHosts } from './testing/sshd-hosts.ts';

const steps = (process.env.ATTACK21_STEPS ?? [
  'ip link add br9 type bridge',
  'ip link add va type veth peer name vb',
  'ip link set dev va master br9',
  'ip netns add g1',
  'ip link add vc type veth peer name vd netns g1',
  'ip link add vx9 type vxlan id 42 dstport 4789 dev enp0s8 group 239.1.1.9',
  'ip link add mv1 link enp0s8 type macvlan mode bridge',
  'sysctl -w net.ipv4.ip_forward=1',
  'sysctl -w net.ipv4.conf.all.forwarding=1',
  'sysctl -w net.ipv4.conf.enp0s8.forwarding=1',
  'sysctl -w net.ipv6.conf.va.disable_ipv6=1',
  'sysctl -w net.ipv4.conf.va.proxy_arp=1',
  'ip link set dev br9 up',
  'ip link set dev va up',
  'ip link set dev vb up',
  'ip link set dev vc up',
  'ip link set dev vx9 up',
  'ip link set dev mv1 up',
  'ip link set dev mv1 promisc on',
  'ip link set dev mv1 allmulticast on',
  'ip addr add 10.77.0.1/24 dev br9',
  'ip addr add 239.1.1.10/32 dev mv1 autojoin',
  'ip route add 10.78.0.0/24 via 10.77.0.2 dev br9 table 100',
  'ip neigh add 10.77.0.9 lladdr 02:00:00:00:00:09 dev br9 nud permanent',
  'bridge fdb add 02:00:00:00:00:0a dev vx9 dst 192.168.8.101 self',
  'ip maddr add 01:00:5e:00:00:42 dev mv1',
].join('|')).split('|');

const READS = [
  'ip -d link show dev enp0s8 | sed -E "s/ (numtxqueues|numrxqueues|gso|tso|gro|parentbus|parentdev)[^ ]* [^ ]*//g"',
  'ip maddr show dev enp0s8', 'ip rule', 'ip -6 rule', 'ip neigh show proxy', 'ip -6 neigh show proxy', 'ip nexthop 2>&1',
  'ip -o link show', 'ip -o addr show', 'ip -4 route show table all', 'ip -6 route show table all | grep -v -E "^(local|anycast|multicast)"', 'bridge fdb show dev enp0s8',
  'ls -A /run/netns /run/vxlab 2>&1', 'cat /proc/net/igmp', 'cat /proc/net/igmp6', 'cat /proc/net/dev_mcast',
];
const wide = async (hosts: SshdHosts) => {
  const out: string[] = [];
  for (const r of READS) out.push(`## ${r}\n${await hosts.onHost('node0', ['sh', '-c', `${r}; true`])}`);
  return out.join('\n');
};

onFreshHosts('a run of in-scope steps leaves node0 as it was (a wide read)', async (hosts) => {
  const file = join(hosts.dir, 'wide.yaml');
  await writeFile(file, scenarioText('wide', onNode0(steps), onNode('node1', ['ip link show dev enp0s8'])));
  const before = await wide(hosts);
  let said: string;
  if (process.env.ATTACK21_KILL) {
    const child = hosts.startCli([file, '--reporter', 'tap'], { env: { VXLAB_PAUSE_AT: process.env.ATTACK21_KILL } });
    await stderrUntil(child, PAUSED);
    child.kill('SIGKILL');
    const dead = await child;
    const clean = await hosts.runCli(['clean']);
    said = `killed ${dead.exitCode}\nclean ${clean.exitCode}:\n${clean.stdout}${clean.stderr}`;
  } else {
    const run = await hosts.runCli([file, '--reporter', 'tap']);
    said = `run ${run.exitCode}:\n${run.stdout}${run.stderr}`;
  }
  const after = await wide(hosts);
  const b = new Set(before.split('\n'));
  const a = new Set(after.split('\n'));
  const diff = [...[...a].filter((l) => !b.has(l)).map((l) => `+ ${l}`), ...[...b].filter((l) => !a.has(l)).map((l) => `- ${l}`)];
  console.log(said, '\nDIFF:\n', diff.join('\n'));
  expect(diff, said).toEqual([]);
}, { timeoutMs: 240_000 });
