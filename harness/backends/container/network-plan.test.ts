import { describe, expect, it } from 'vitest';
import { loadLab } from '../../scenario/resolve.ts';
import type { Lab } from '../../lab/model.ts';
import { networkPlan, unusedGateway } from './network-plan.ts';

const lab = (subnet: string, addresses: string[], mtus: number[] = addresses.map(() => 1500)): Lab => {
  const [network, prefix] = subnet.split('/');
  return {
    name: 'test', file: 'test.yaml', title: '', source: '', diagram: '',
    subnet: { network: network!, prefixLength: Number(prefix) },
    nodes: addresses.map((address, i) => ({ name: `n${i}`, macs: {}, nic: { name: 'eth0', address, prefixLength: Number(prefix), mtu: mtus[i]! } })),
  };
};

describe('unusedGateway', () => {
  it('takes the highest host address', () => {
    expect(unusedGateway(lab('192.168.8.0/24', ['192.168.8.100']))).toBe('192.168.8.254');
  });

  it('steps past addresses the nodes use', () => {
    expect(unusedGateway(lab('10.0.0.0/24', ['10.0.0.254', '10.0.0.253']))).toBe('10.0.0.252');
  });

  it('says so when the subnet has no address left', () => {
    expect(() => unusedGateway(lab('10.0.0.0/30', ['10.0.0.1', '10.0.0.2']))).toThrow(/no address left/);
  });
});

describe('networkPlan', () => {
  it("names everything after the run and keeps the lab's subnet", async () => {
    const plan = networkPlan(await loadLab('three-nodes'), 'vx12345678');
    expect(plan).toMatchObject({ name: 'vxlab-vx12345678', bridge: 'br-vx12345678', subnet: '192.168.8.0/24', gateway: '192.168.8.254', mtu: 1500 });
    // A bridge name must fit the kernel's 15 characters.
    expect(plan.bridge.length).toBeLessThanOrEqual(15);
    expect(plan.options).toMatchObject({ 'com.docker.network.bridge.name': 'br-vx12345678', 'com.docker.network.bridge.enable_ip_masquerade': 'false' });
  });

  it("uses the lab's MTU (two-vms: 1446), the largest when nodes differ", async () => {
    expect(networkPlan(await loadLab('two-vms'), 'vx1').mtu).toBe(1446);
    expect(networkPlan(lab('10.0.0.0/24', ['10.0.0.1', '10.0.0.2'], [1400, 1450]), 'vx1').mtu).toBe(1450);
  });

  it('gives the engine the network address, whatever address the lab wrote the subnet with', () => {
    expect(networkPlan(lab('10.1.2.77/16', ['10.1.0.5']), 'vx1').subnet).toBe('10.1.0.0/16');
  });
});
