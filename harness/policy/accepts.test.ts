// The policy accepts everything vxlab itself runs: every scenario's commands and compiled batches,
// the argv every check builds, the tutorials' commands, and what a learner types from them.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tcpdumpArgv } from '../checks/capture.ts';
import { inNetns, pingArgv } from '../checks/ping.ts';
import { TABLE_COMMANDS } from '../checks/state-tables.ts';
import { compileSteps } from '../lab/compile.ts';
import type { Command, Scenario } from '../lab/model.ts';
import { listScenarioNames, loadScenario, PROJECT_ROOT } from '../scenario/resolve.ts';
import { tokenize } from './command-line.ts';
import { checkArgv, checkInvocation } from './policy.ts';

const argvOf = (text: string) => tokenize(text).map((t) => t.value);

/** Scenario files meant to be valid: scenarios/ and every fixtures/ directory but the bad-* corpora. */
async function validScenarios(): Promise<Scenario[]> {
  const files = (await listScenarioNames()).map((n) => join(PROJECT_ROOT, 'scenarios', `${n}.yaml`));
  const fixtureDirs = ['harness/backends/container/fixtures'];
  for (const dir of fixtureDirs) files.push(...readdirSync(join(PROJECT_ROOT, dir)).filter((f) => f.endsWith('.yaml')).map((f) => join(PROJECT_ROOT, dir, f)));
  return Promise.all(files.map((f) => loadScenario(f)));
}

const scenarios = await validScenarios();
const allCommands = (s: Scenario): Command[] => [
  ...s.steps.flatMap((step) => step.commands),
  ...s.checks.flatMap((c) => (c.kind === 'capture' ? c.during.flatMap((a) => (a.kind === 'run' ? a.commands : [])) : [])),
];

describe('every valid scenario', () => {
  it('holds at least the eleven tutorial scenarios', () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(12);
  });

  it.each(scenarios.map((s) => [s.name, s] as const))('%s: each command passes checkArgv and checkInvocation', (_name, scenario) => {
    for (const command of allCommands(scenario)) {
      expect(checkArgv(command.argv), command.text).toBeUndefined();
      expect(checkInvocation(command.argv), command.text).toBeUndefined();
    }
  });

  it.each(scenarios.map((s) => [s.name, s] as const))('%s: each compiled batch and single command passes checkInvocation', (_name, scenario) => {
    for (const { batches } of compileSteps(scenario)) {
      for (const batch of batches) {
        const problem = batch.kind === 'batch' ? checkInvocation(batch.argv, batch.input) : checkInvocation(batch.command.argv);
        expect(problem, batch.kind === 'batch' ? batch.input : batch.command.text).toBeUndefined();
      }
    }
  });

  it.each(scenarios.map((s) => [s.name, s] as const))('%s: each check\'s argv passes checkInvocation', (_name, scenario) => {
    for (const check of scenario.checks) {
      const argvs: string[][] = [];
      if (check.kind === 'ping') argvs.push(pingArgv(check.spec));
      if (check.kind === 'state') argvs.push(inNetns(check.spec.netns, TABLE_COMMANDS[check.spec.table]));
      if (check.kind === 'capture') {
        argvs.push(tcpdumpArgv(check.spec));
        for (const action of check.during) if (action.kind === 'ping') argvs.push(pingArgv(action.spec));
      }
      for (const argv of argvs) expect(checkInvocation(argv), argv.join(' ')).toBeUndefined();
    }
  });
});

describe('the argv the checks build', () => {
  it.each(Object.entries(TABLE_COMMANDS))('%s: %j, alone and in a guest namespace', (_table, argv) => {
    expect(checkInvocation(argv)).toBeUndefined();
    expect(checkInvocation(inNetns('vm0', argv))).toBeUndefined();
  });

  it('every shape of ping', () => {
    const base = { from: 'node0', to: '10.20.1.3', count: 3, expect: 'reachable' as const };
    for (const spec of [base, { ...base, expect: 'unreachable' as const }, { ...base, size: 1369, dontFragment: true }, { ...base, netns: 'vm0', timeoutSeconds: 9 }]) {
      expect(checkInvocation(pingArgv(spec)), pingArgv(spec).join(' ')).toBeUndefined();
    }
  });

  it('tcpdump with and without a filter, the filter after --', () => {
    expect(checkInvocation(tcpdumpArgv({ interface: 'enp0s8' }))).toBeUndefined();
    const argv = tcpdumpArgv({ interface: 'eth0', filter: 'port 4789 and udp[8:2] = 0x0800 & 0x0800 and udp[11:4] = 42 & 0x00FFFFFF' });
    expect(argv.slice(-2, -1)).toEqual(['--']);
    expect(checkInvocation(argv)).toBeUndefined();
    expect(checkInvocation(tcpdumpArgv({ interface: 'eth0', filter: 'len - 4 > 100' }))).toBeUndefined();
  });
});

describe('the tutorials\' commands', () => {
  const lines = readFileSync(new URL('../scenario/fixtures/tutorial-commands.txt', import.meta.url), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));

  it.each(lines)('allows %s', (line) => {
    expect(checkArgv(argvOf(line))).toBeUndefined();
  });
});

describe('what a learner types while following the tutorials', () => {
  it.each([
    'ip a', 'ip -br a', 'ip -br -c a', 'ip -c a', 'ip -color=never link', 'ip --color=auto -4 addr show dev vxlan0', 'ip -d link show vxlan0',
    'ip -s -s link show dev vxlan0', 'ip -j -p route', 'ip r', 'ip route show table main', 'ip n', 'ip neigh show dev vxlan1', 'ip -6 neigh',
    'ip link', 'ip l set dev vxlan0 mtu 1400', 'ip link set vxlan0 down', 'ip link del vxlan0', 'ip addr flush dev vxlan0', 'ip neigh flush dev vxlan0',
    'ip route add 10.30.0.0/24 via 10.20.1.3 dev vxlan0', 'ip route get 10.20.1.3', 'ip rule', 'ip maddr show dev enp0s8', 'ip monitor', 'ip monitor link neigh',
    'ip -ts monitor', 'ip netns', 'ip netns list', 'ip netns list-id', 'ip netns identify', 'ip netns pids vm0', 'ip netns delete vm0', 'ip netns monitor',
    'ip -n vm0 a', 'ip -netns vm0 route', 'ip netns exec vm0 ip -br a', 'ip netns exec vm0 tcpdump -ni eth0 icmp', 'ip netns exec vm0 sysctl net.ipv4.ip_forward',
    'ip link add link enp0s8 name mv0 type macvlan', 'ip link add vxlan0 type vxlan id 42 dstport 4789 group 239.1.1.1 dev enp0s8 ttl 5',
    'ip link add veth0 type veth peer name veth1 netns vm0', 'ip link add vx0 link-netns vm0 type vxlan id 1', 'ip -- link', 'ip nexthop', 'ip stats', 'ip netconf', 'ip ntable',
    'ip help', 'ip -V', 'ip -l 2 addr flush dev vxlan0', 'ip -o link', 'ip -h -s link', 'ip -echo link set lo up',
    'bridge fdb', 'bridge fdb show dev vxlan1', 'bridge -j fdb show', 'bridge -c fdb', 'bridge -com vlan', 'bridge link', 'bridge -d link show',
    'bridge monitor fdb', 'bridge fdb del 00:00:00:00:00:00 dev vxlan1 dst 10.10.10.9', 'bridge -n vm0 fdb', 'bridge mdb', 'bridge vlan show',
    'tc qdisc show', 'tc -s qdisc show dev enp0s8', 'tc qdisc add dev enp0s8 root netem delay 100ms', 'tc qdisc del dev enp0s8 root',
    'tc qdisc add dev enp0s8 root netem delay 10ms 2ms distribution normal', 'tc qdisc add dev enp0s8 root handle 1: htb default 10',
    'tc class add dev enp0s8 parent 1: classid 1:10 htb rate 1mbit', 'tc qdisc add dev vxlan0 clsact',
    'tc filter add dev vxlan0 ingress protocol ip prio 1 u32 match ip dst 10.0.0.0/24 action drop',
    'tc filter add dev vxlan0 parent ffff: matchall action mirred egress redirect dev veth0', 'tc filter show dev vxlan0 ingress', 'tc -n vm0 qdisc', 'tc -color qdisc',
    'tcpdump -i enp0s8', 'tcpdump -ni enp0s8 udp port 4789', 'tcpdump -i enp0s8 -nn -e -c 5 udp port 4789', 'tcpdump -i eth0 -vvv -X udp', 'tcpdump -D',
    'tcpdump --interface=enp0s8 --immediate-mode -l', 'tcpdump -i any -c 10 arp', 'tcpdump -i enp0s8 udp -c 3', 'tcpdump -i enp0s8 -w -', 'tcpdump --version',
    'tcpdump -i enp0s8 -Q in --number -tttt icmp', 'tcpdump -s0 -i enp0s8 -w- port 4789',
    'ping 10.20.1.3', 'ping -c 3 10.20.1.3', 'ping -c3 -i 0.2 -W 1 10.20.1.3', 'ping -M do -s 1368 -c 1 192.168.1.4', 'ping 10.20.1.3 -c 2', 'ping -I vxlan0 10.20.1.3',
    'sysctl net.ipv4.ip_forward', 'sysctl -w net.ipv4.ip_forward=1', 'sysctl net.ipv4.conf.all.proxy_arp=1', 'sysctl -n net.ipv6.conf.all.disable_ipv6',
    'sysctl net/ipv4/conf/eth0.100/rp_filter', 'sysctl -w net.ipv4.conf.eth0/100.rp_filter=0', 'sysctl -qw net.ipv4.ip_forward=1', 'sysctl --values net.ipv4.ip_forward',
    'sysctl -e -N net.ipv4.ip_forward', 'sysctl --write net.ipv4.ip_forward=0',
  ])('allows %s', (line) => {
    expect(checkArgv(argvOf(line))).toBeUndefined();
  });
});
