import { describe, expect, it } from 'vitest';
import { loadLab } from '../../scenario/resolve.ts';
import { nicPlan, nodeSysctls } from './backend.ts';

describe('nicPlan', () => {
  it("renames the engine's eth0 to the lab's NIC and gives it the lab's address only", async () => {
    const lab = await loadLab('three-nodes');
    expect(nicPlan(lab.nodes[0]!)).toEqual([
      'link set dev eth0 down',
      'link set dev eth0 name enp0s8',
      'link set dev enp0s8 mtu 1500',
      'addr flush dev enp0s8',
      'addr add 192.168.8.100/24 dev enp0s8',
      'link set dev enp0s8 up',
      'link set dev lo up',
    ]);
  });

  it("keeps eth0's name where the lab's NIC is eth0, and sets its MTU and MAC", async () => {
    const lab = await loadLab('two-vms');
    expect(nicPlan(lab.nodes[0]!).slice(0, 3)).toEqual(['link set dev eth0 down', 'link set dev eth0 mtu 1446 address fa:16:3e:0c:e3:c6', 'addr flush dev eth0']);
  });
});

describe('nodeSysctls', () => {
  it('turns IPv6 back on, as in a fresh network namespace', () => {
    expect(nodeSysctls()).toEqual({
      'net.ipv6.conf.all.disable_ipv6': '0',
      'net.ipv6.conf.default.disable_ipv6': '0',
      'net.ipv6.conf.lo.disable_ipv6': '0',
      'net.ipv6.conf.eth0.disable_ipv6': '0',
    });
  });
});
