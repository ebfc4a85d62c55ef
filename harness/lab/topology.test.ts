import { describe, expect, it } from 'vitest';
import { listScenarioNames, loadScenario, parseScenarioText } from '../scenario/resolve.ts';
import { topologyOf, vxlanPortsOf, type Interface, type Topology } from './topology.ts';

const topology = async (name: string) => topologyOf(await loadScenario(name));
const iface = (t: Topology, node: string, name: string, netns?: string): Interface => {
  const found = t.nodes.find((n) => n.name === node)!.interfaces.find((i) => i.name === name && i.netns === netns);
  if (!found) throw new Error(`no ${name} in ${node}${netns ? `/${netns}` : ''}`);
  return found;
};

describe('topologyOf, over the real scenarios', () => {
  it('p2p: node0 and node1 each have one VTEP with VNI 42, remote and local, on enp0s8; node2 has nothing', async () => {
    const t = await topology('p2p');
    expect(t).toMatchObject({ lab: 'three-nodes', subnet: '192.168.8.0/24', mtu: 1500 });
    expect(t.nodes.map((n) => [n.name, n.nic.name, n.nic.address, n.interfaces.length])).toEqual([
      ['node0', 'enp0s8', '192.168.8.100', 1],
      ['node1', 'enp0s8', '192.168.8.101', 1],
      ['node2', 'enp0s8', '192.168.8.102', 0],
    ]);
    expect(iface(t, 'node0', 'vxlan0')).toMatchObject({
      kind: 'vxlan',
      addresses: ['10.20.1.2/24'],
      vxlan: { id: '42', dstport: '4789', remote: '192.168.8.101', local: '192.168.8.100', dev: 'enp0s8', flags: [] },
    });
    expect(iface(t, 'node1', 'vxlan0').vxlan).toMatchObject({ remote: '192.168.8.100', local: '192.168.8.101' });
  });

  it('multicast: three VTEPs in group 239.1.1.1 with no remote', async () => {
    const t = await topology('multicast');
    for (const [node, address] of [['node0', '10.20.1.2/24'], ['node1', '10.20.1.3/24'], ['node2', '10.20.1.4/24']] as const) {
      const v = iface(t, node, 'vxlan0');
      expect(v.vxlan).toEqual({ id: '42', group: '239.1.1.1', dstport: '4789', dev: 'enp0s8', flags: [] });
      expect(v.addresses).toEqual([address]);
    }
  });

  it('bridge-netns: br0 with vxlan1 and veth1 as ports; veth0 moved into vm0 and renamed eth0, with its address', async () => {
    const t = await topology('bridge-netns');
    const node = t.nodes.find((n) => n.name === 'test-1')!;
    expect(node.namespaces).toEqual(['vm0']);
    expect(node.interfaces.map((i) => [i.name, i.kind, i.netns ?? '-', i.master ?? '-'])).toEqual([
      ['vxlan1', 'vxlan', '-', 'br0'],
      ['eth0', 'veth', 'vm0', '-'],
      ['veth1', 'veth', '-', 'br0'],
      ['br0', 'bridge', '-', '-'],
    ]);
    const eth0 = iface(t, 'test-1', 'eth0', 'vm0');
    expect(eth0).toMatchObject({ createdAs: 'veth0', movedIn: true, addresses: ['192.168.1.3/24'] });
    expect(eth0.peer).toBe(iface(t, 'test-1', 'veth1').key);
    expect(iface(t, 'test-1', 'veth1').peer).toBe(eth0.key);
    expect(iface(t, 'test-1', 'vxlan1').vxlan).toMatchObject({ id: '2', group: '224.0.0.6', dev: 'eth0' });
    expect(t.mtu).toBe(1446);
  });

  it('multicast-containers: docker0 with three ports per node, two containers each with its own eth0', async () => {
    const t = await topology('multicast-containers');
    for (const [n, node] of ['node0', 'node1', 'node2'].entries()) {
      const nt = t.nodes.find((x) => x.name === node)!;
      expect(nt.namespaces).toEqual(['c1', 'c2']);
      expect(iface(t, node, 'docker0')).toMatchObject({ kind: 'bridge', addresses: [`192.168.0.${n + 1}/24`] });
      expect(nt.interfaces.filter((i) => i.master === 'docker0').map((i) => i.name)).toEqual(['veth-c1', 'veth-c2', 'vxlan0']);
      expect(iface(t, node, 'eth0', 'c1')).toMatchObject({ createdAs: 'c1-eth0', addresses: [`192.168.0.${n + 1}0/24`] });
      expect(iface(t, node, 'eth0', 'c2')).toMatchObject({ createdAs: 'c2-eth0', addresses: [`192.168.0.${n + 1}1/24`] });
    }
  });

  it('vtep-group: the hand-kept all-zeros FDB entries, one per peer', async () => {
    const t = await topology('vtep-group');
    expect(iface(t, 'test-1', 'vxlan1').fdb).toEqual([
      { mac: '00:00:00:00:00:00', dst: '10.10.10.9' },
      { mac: '00:00:00:00:00:00', dst: '10.10.10.13' },
    ]);
    expect(iface(t, 'test-1', 'vxlan1').vxlan).not.toHaveProperty('group');
  });

  it('proxy-arp: nolearning and proxy are shown', async () => {
    expect(iface(await topology('proxy-arp'), 'test-1', 'vxlan1').vxlan?.flags).toEqual(['nolearning', 'proxy']);
  });

  it('reads commands as the policy does: abbreviations, `ip -n NS`, a peer created in its namespace, nomaster', async () => {
    const scenario = await parseScenarioText(
      'inline.yaml',
      [
        'lab: two-vms',
        'title: t',
        'tutorial: t',
        'explain: t',
        'steps:',
        '  - node: test-1',
        '    run:',
        '      - ip netns add ns1',
        '      - ip l a vx9 ty vxlan vni 9 remote 10.10.10.9 dev eth0',
        '      - ip link add v0 type veth peer name v1 netns ns1',
        '      - ip -n ns1 a add 10.0.0.1/24 dev v1',
        '      - ip link add b0 type bridge',
        '      - ip link set dev vx9 master b0',
        '      - ip link set vx9 nomaster',
        'checks:',
        '  - ping: { from: test-1, to: 10.10.10.9 }',
        '',
      ].join('\n'),
    );
    const t = topologyOf(scenario);
    expect(iface(t, 'test-1', 'vx9')).toMatchObject({ kind: 'vxlan', vxlan: { id: '9', remote: '10.10.10.9' } });
    expect(iface(t, 'test-1', 'vx9').master).toBeUndefined();
    expect(iface(t, 'test-1', 'v1', 'ns1')).toMatchObject({ movedIn: true, addresses: ['10.0.0.1/24'] });
  });

  it('derives a topology for every scenario without throwing, with every VTEP given a VNI', async () => {
    for (const name of await listScenarioNames()) {
      const t = await topology(name);
      const vteps = t.nodes.flatMap((n) => n.interfaces.filter((i) => i.kind === 'vxlan'));
      expect(vteps.length, name).toBeGreaterThan(0);
      for (const v of vteps) expect(v.vxlan?.id, `${name} ${v.key}`).toMatch(/^\d+$/);
    }
  });
});

describe('vxlanPortsOf: the ports a capture decodes as VXLAN', () => {
  it('reads dstport, and Linux\'s 8472 for a device created without one', async () => {
    expect(vxlanPortsOf(await loadScenario('p2p'))).toEqual([4789]);
    expect(vxlanPortsOf(await loadScenario('dstport-mismatch'))).toEqual([4789, 8472]);
    expect(vxlanPortsOf(await loadScenario('vni-isolation'))).toEqual([4789]);
  });

  it('counts a VTEP made inside a guest namespace, and gives every capture check the lab\'s ports', async () => {
    const text = `lab: three-nodes\ntitle: t\ntutorial: s\nexplain: e\nsteps:\n  - node: node0\n    run:\n      - ip netns add t1\n      - ip netns exec t1 ip link add vx1 type vxlan id 7 dstport 4790 dev lo\n      - ip link add vx0 type vxlan id 8 dstport 0 group 239.1.1.1 dev enp0s8\nchecks:\n  - capture:\n      node: node1\n      interface: enp0s8\n      during: [ { ping: { from: node0, to: 10.20.1.3 } } ]\n      expect: [ { that: x, match: { vxlan: { vni: 7 } }, count: 1 } ]\n`;
    const scenario = await parseScenarioText('ports.yaml', text);
    expect(vxlanPortsOf(scenario)).toEqual([4790, 8472]);
    expect(scenario.checks[0]).toMatchObject({ kind: 'capture', vxlanPorts: [4790, 8472] });
  });
});
