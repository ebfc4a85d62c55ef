import { describe, expect, it } from 'vitest';
import { loadScenario, parseScenarioText } from '../scenario/resolve.ts';
import { commandFacts } from '../policy/policy.ts';
import { fdbEntryAdded, nodeChanges } from './node-changes.ts';

describe('nodeChanges', () => {
  it('names the interfaces and guest namespaces the steps create, per node', async () => {
    const changes = nodeChanges(await loadScenario('bridge-netns'));
    const all = [...changes.values()];
    expect(all.some((c) => c.namespaces.includes('vm0'))).toBe(true);
    expect(all.some((c) => c.interfaces.includes('br0'))).toBe(true);
  });

  it('names p2p\'s vxlan0 on node0 and node1 and nothing on node2', async () => {
    const changes = nodeChanges(await loadScenario('p2p'));
    expect(changes.get('node0')).toEqual({ interfaces: ['vxlan0'], namespaces: [], fdb: [], sysctls: [], addressing: [['ip', 'addr', 'add', '10.20.1.2/24', 'dev', 'vxlan0']] });
    expect(changes.get('node2')).toEqual({ interfaces: [], namespaces: [], fdb: [], sysctls: [] });
  });

  it('names the FDB entries manual-fdb appends on each node, MAC, device and destination', async () => {
    const changes = nodeChanges(await loadScenario('manual-fdb'));
    expect(changes.get('test-1')?.fdb).toEqual([
      { mac: '00:00:00:00:00:00', dev: 'vxlan1', dst: '10.10.10.9' },
      { mac: '4e:e9:90:34:2e:b5', dev: 'vxlan1', dst: '10.10.10.9' },
    ]);
  });

  it('reads an FDB entry: MAC (in lower case), device, destination and vlan; fdb del and show add none', () => {
    const entry = (line: string) => fdbEntryAdded(line.split(' '), commandFacts(line.split(' ')));
    expect(entry('bridge fdb replace AA:BB:CC:00:00:01 master static vlan 10 dev br0')).toEqual({ mac: 'aa:bb:cc:00:00:01', dev: 'br0', vlan: 10 });
    expect(entry('bridge fdb add 00:00:00:00:00:00 dev vxlan0 dst 10.0.0.2 self permanent')).toEqual({ mac: '00:00:00:00:00:00', dev: 'vxlan0', dst: '10.0.0.2' });
    expect(entry('bridge fdb del 00:00:00:00:00:00 dev vxlan0 dst 10.0.0.2')).toBeUndefined();
    expect(entry('bridge fdb show dev vxlan0')).toBeUndefined();
  });

  it('names a device the steps create under its new name too, when they rename it', async () => {
    const text = 'lab: three-nodes\ntitle: t\ntutorial: t\nexplain: t\nsteps:\n  - node: node0\n    run:\n      - ip link add vx9 type bridge\n      - ip link set dev vx9 name __proto__\nchecks:\n  - ping: { from: node0, to: 192.168.8.101 }\n';
    const changes = nodeChanges(await parseScenarioText('rename.yaml', text));
    expect(changes.get('node0')!.interfaces).toEqual(['vx9', '__proto__']);
  });

  it('leaves out devices made inside a guest namespace, by `ip -n NS` or `netns NS` (they go with it; attack 12)', async () => {
    const text = 'lab: three-nodes\ntitle: t\ntutorial: t\nexplain: t\nsteps:\n  - node: node0\n    run:\n      - ip netns add ns1\n      - ip -n ns1 link add wg0 type veth peer name x0\n      - ip link add wg1 netns ns1 type veth peer name x1\n      - ip -netns ns1 link set dev wg0 name wg2\nchecks:\n  - ping: { from: node0, to: 192.168.8.101 }\n';
    const changes = nodeChanges(await parseScenarioText('guest.yaml', text)).get('node0')!;
    expect({ interfaces: changes.interfaces, namespaces: changes.namespaces }).toEqual({ interfaces: ['x1'], namespaces: ['ns1'] });
  });

  it('keeps every value the steps write to each sysctl key (dotted), so a restore can tell the run\'s value from an owner\'s', async () => {
    const text = 'lab: three-nodes\ntitle: t\ntutorial: t\nexplain: t\nsteps:\n  - node: node0\n    run:\n      - sysctl -w net.ipv4.ip_forward=1 net/ipv4/conf/enp0s8/arp_announce=2\n      - sysctl -w net.ipv4.ip_forward=0\nchecks:\n  - ping: { from: node0, to: 192.168.8.101 }\n';
    const changes = nodeChanges(await parseScenarioText('writes.yaml', text)).get('node0')!;
    expect(changes.sysctls).toEqual(['net.ipv4.ip_forward', 'net.ipv4.conf.enp0s8.arp_announce']);
    expect({ ...changes.sysctlWrites }).toEqual({ 'net.ipv4.ip_forward': ['1', '0'], 'net.ipv4.conf.enp0s8.arp_announce': ['2'] });
  });
});
