import { describe, expect, it } from 'vitest';
import { loadScenario } from '../scenario/resolve.ts';
import { commandFacts } from '../policy/policy.ts';
import { batchCommands, compileSteps, failedBatchLine, nodeNeeds, withMacPins, type NodeNeeds } from './compile.ts';
import type { Command } from './model.ts';

const cmd = (text: string): Command => ({ text, argv: text.split(' '), origin: 'test' });

describe('the interfaces a command creates (read by the policy)', () => {
  it.each([
    ['ip link add vxlan0 type vxlan id 42 dev enp0s8', ['vxlan0']],
    ['ip link add name br0 type bridge', ['br0']],
    ['ip link add veth0 type veth peer name veth1', ['veth0', 'veth1']],
    ['ip link add veth0 type veth peer veth1', ['veth0', 'veth1']],
    ['ip link add veth0 type veth peer name veth1 netns vm0', ['veth0']],
    ['ip link add link enp0s8 name mv0 type macvlan', ['mv0']],
    ['ip l add br0 address 02:00:00:00:00:01 type bridge', ['br0']],
    ['ip link set vxlan0 up', []],
    ['ip netns exec vm0 ip link add x type dummy', []],
  ])('%s creates %j', (text, names) => {
    expect(commandFacts(text.split(' ')).createdInterfaces).toEqual(names);
  });
});

describe('withMacPins', () => {
  it('pins a MAC right after the command that creates the interface', () => {
    const out = withMacPins([cmd('ip link add veth0 type veth peer name veth1'), cmd('ip link set veth0 netns vm0')], { veth0: '4e:e9:90:34:2e:b5' });
    expect(out.map((c) => c.text)).toEqual([
      'ip link add veth0 type veth peer name veth1',
      'ip link set dev veth0 address 4e:e9:90:34:2e:b5',
      'ip link set veth0 netns vm0',
    ]);
    expect(out[1]!.origin).toBe("lab: pin veth0's MAC address");
  });
});

describe('batchCommands', () => {
  it('joins consecutive ip commands into one ip -batch process, and bridge ones into bridge -batch', () => {
    const batches = batchCommands([
      cmd('ip link add vxlan1 type vxlan id 2 dstport 4789 dev eth0 nolearning'),
      cmd('ip link set vxlan1 up'),
      cmd('bridge fdb append 00:00:00:00:00:00 dev vxlan1 dst 10.10.10.9'),
      cmd('bridge fdb append 4e:e9:90:34:2e:b5 dev vxlan1 dst 10.10.10.9'),
      cmd('ping -c 1 10.10.10.9'),
      cmd('ip -n vm0 link set lo up'),
      cmd('ip addr add 192.168.1.3/24 dev vxlan1'),
    ]);
    expect(batches.map((b) => (b.kind === 'batch' ? `${b.argv.join(' ')} <<${b.commands.length}` : b.command.text))).toEqual([
      'ip -batch - <<2',
      'bridge -batch - <<2',
      'ping -c 1 10.10.10.9',
      'ip -n vm0 link set lo up',
      'ip addr add 192.168.1.3/24 dev vxlan1',
    ]);
    expect(batches[0]).toMatchObject({ input: 'link add vxlan1 type vxlan id 2 dstport 4789 dev eth0 nolearning\nlink set vxlan1 up\n' });
  });

  it('runs arguments that a batch line cannot carry on their own', () => {
    const quoted: Command = { text: 'x', argv: ['ip', 'link', 'set', 'dev', 'a b', 'up'], origin: 't' };
    expect(batchCommands([cmd('ip link set lo up'), quoted, cmd('ip link set lo up')]).map((b) => b.kind)).toEqual(['single', 'single', 'single']);
  });

  it('finds the failed line in iproute2\'s batch error', () => {
    expect(failedBatchLine('RTNETLINK answers: File exists\nCommand failed -:3\n')).toBe(3);
    expect(failedBatchLine('oops')).toBeUndefined();
  });
});

describe('compileSteps', () => {
  it('turns the p2p scenario into one ip batch per node', async () => {
    const compiled = compileSteps(await loadScenario('p2p'));
    expect(compiled.map((c) => [c.step.node, c.batches.map((b) => b.kind)])).toEqual([
      ['node0', ['batch']],
      ['node1', ['batch']],
    ]);
    const first = compiled[0]!.batches[0]!;
    expect(first.kind === 'batch' && first.input).toBe(
      'link add vxlan0 type vxlan id 42 dstport 4789 remote 192.168.8.101 local 192.168.8.100 dev enp0s8\naddr add 10.20.1.2/24 dev vxlan0\nlink set vxlan0 up\n',
    );
  });

  it('adds the scenario\'s MAC pins to proxy-arp', async () => {
    const compiled = compileSteps(await loadScenario('proxy-arp'));
    const texts = compiled.flatMap((c) => c.batches.flatMap((b) => (b.kind === 'batch' ? b.commands : [b.command]).map((x) => `${c.step.node}: ${x.text}`)));
    expect(texts).toContain('test-1: ip link set dev veth0 address 9e:ab:18:d5:25:55');
    expect(texts).toContain('test-2: ip link set dev veth0 address 4e:e9:90:34:2e:b5');
    expect(texts.indexOf('test-1: ip link set dev veth0 address 9e:ab:18:d5:25:55')).toBe(texts.indexOf('test-1: ip link add veth0 type veth peer name veth1') + 1);
  });
});

describe('node needs', () => {
  it.each([
    ['ip netns add vm0', true],
    ['ip netns exec vm0 ip link set lo up', true],
    ['ip link set veth0 netns vm0', true],
    ['ip -n vm0 addr show', true],
    ['ip link add vxlan0 type vxlan id 42 dev enp0s8', false],
    ['bridge fdb show dev vxlan0', false],
  ])('%s uses a guest namespace: %s', (text, uses) => {
    expect(commandFacts(text.split(' ')).usesGuestNamespace).toBe(uses);
  });

  it.each([
    ['sysctl -w net.ipv4.ip_forward=1', true],
    ['sysctl net.ipv4.conf.all.proxy_arp=1', true],
    ['sysctl -n net.ipv4.ip_forward', false],
    ['sysctl net.ipv4.ip_forward', false],
    ['ip link set vxlan0 up', false],
  ])('%s writes a sysctl: %s', (text, writes) => {
    expect(commandFacts(text.split(' ')).writesSysctl).toBe(writes);
  });

  const using = (needs: Map<string, NodeNeeds>, need: keyof NodeNeeds) => new Set([...needs].filter(([, n]) => n[need]).map(([node]) => node));

  it('name the nodes whose steps and checks use guest namespaces, and no node elsewhere', async () => {
    expect(using(nodeNeeds(await loadScenario('bridge-netns')), 'guestNamespaces')).toEqual(new Set(['test-1', 'test-2']));
    expect(using(nodeNeeds(await loadScenario('multicast-containers')), 'guestNamespaces')).toEqual(new Set(['node0', 'node1', 'node2']));
    expect(using(nodeNeeds(await loadScenario('p2p')), 'guestNamespaces')).toEqual(new Set());
    expect(using(nodeNeeds(await loadScenario('p2p')), 'sysctlWrites')).toEqual(new Set());
  });
});
