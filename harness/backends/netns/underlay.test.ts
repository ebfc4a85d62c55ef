import { describe, expect, it } from 'vitest';
import { loadLab } from '../../scenario/resolve.ts';
import { underlayPlan } from './backend.ts';

describe('underlayPlan', () => {
  it('gives each node its NIC as the lab names it, on a flooding bridge in the switch', async () => {
    const plan = underlayPlan(await loadLab('two-vms'), 4242);
    expect(plan.switchBefore).toEqual(['link add br0 type bridge mcast_snooping 0', 'link set dev br0 up']);
    expect(plan.perNode.get('test-1')).toEqual([
      'link add eth0 address fa:16:3e:0c:e3:c6 mtu 1446 type veth peer name test-1 mtu 1446 netns 4242',
      'addr add 10.10.10.11/24 dev eth0',
      'link set dev eth0 up',
      'link set dev lo up',
    ]);
    expect(plan.switchAfter).toEqual(['link set dev test-1 master br0 up', 'link set dev test-2 master br0 up']);
  });

  it('leaves the MAC to the kernel when the lab does not fix it', async () => {
    const plan = underlayPlan(await loadLab('three-nodes'), 1);
    expect(plan.perNode.get('node2')![0]).toBe('link add enp0s8 mtu 1500 type veth peer name node2 mtu 1500 netns 1');
  });
});
