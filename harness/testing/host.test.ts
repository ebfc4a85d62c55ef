import { describe, expect, it } from 'vitest';
import { snapshotDifferences } from './host.ts';

describe('snapshotDifferences', () => {
  const before = { links: [{ ifname: 'eth0', mtu: 1500 }], sysctls: { 'net.ipv4.ip_forward': '0', 'net.ipv4.conf.all.rp_filter': '2' }, nftables: '' };

  it('finds nothing between equal snapshots', () => {
    expect(snapshotDifferences(before, structuredClone(before))).toEqual([]);
  });
  it('names each changed sysctl, a changed list, and a changed ruleset', () => {
    const after = { links: [{ ifname: 'eth0', mtu: 1450 }], sysctls: { 'net.ipv4.ip_forward': '1', 'net.ipv4.conf.all.rp_filter': '2' }, nftables: 'table inet vxlab {}' };
    expect(snapshotDifferences(before, after)).toEqual([
      'links: [{"ifname":"eth0","mtu":1500}] -> [{"ifname":"eth0","mtu":1450}]',
      'sysctls net.ipv4.ip_forward: "0" -> "1"',
      'nftables: "" -> "table inet vxlab {}"',
    ]);
  });
  it('notices a key that appeared', () => {
    expect(snapshotDifferences({ sysctls: {} }, { sysctls: { 'net.ipv6.conf.vx0.mtu': '1450' } })).toEqual(['sysctls net.ipv6.conf.vx0.mtu: undefined -> "1450"']);
  });
});
