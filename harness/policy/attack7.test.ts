// Seventh attack (issue 13): the prefix length as iproute2 v6.1.0 reads it. get_netmask
// (lib/utils.c) first tries get_unsigned, then `get_addr_1(&addr, arg, AF_INET)` and mask2bits:
// (1) `default`, `all`, `any` are addresses to get_addr_1 (all-zero data), so `/default`, `/all`,
// `/any` are /0; (2) the dotted mask is read for either family, so `fd00:200::/255.255.0.0` is
// fd00:200::/16 to `ip -6`. readPrefix (prefixes.ts) reads neither, the cover check sees no address
// and lets the step through. Checked by hand on this machine (iproute2 6.1.0, in a namespace of
// the test's own): `ip route add 0/default dev a7` gives `default dev a7` (as `ip route add default
// dev a7` does, which the cover check refuses); `ip -6 route add fd00:200::/255.255.0.0 dev a7`
// gives `fd00::/16 dev a7`. (`ip addr add X/default` is refused earlier, by rules.cidr.)
import { describe, expect, it } from 'vitest';
import { checkArgvOnHost, coverageProblem, type GuardedAddress, type HostScope } from './policy.ts';

const protect: GuardedAddress[] = [{ address: '10.201.0.2', role: 'end' }, { address: '10.200.0.10', role: 'end' }, { address: '10.200.0.1', role: 'gateway' }];
const scope: HostScope = { devices: new Set(['a7']), namespaces: new Set(), nic: 'enp0s8', protect };
const protect6: GuardedAddress[] = [{ address: 'fd00:200::1', role: 'end' }, { address: 'fd00:200::10', role: 'end' }];

describe('attack7: a prefix length written as a word or (IPv6) a dotted mask, as get_netmask reads it', () => {
  it.each([
    'ip route add 0/default dev a7',
    'ip route prepend 0/default dev a7',
    'ip route prepend 0.0.0.0/all dev a7',
    'ip route append 0/any dev a7 metric 1',
    'ip route add 0/default dev a7 table local',
  ])('%s is refused (the cover check and preflight\'s coverageProblem)', (text) => {
    const argv = text.split(' ');
    expect(checkArgvOnHost(argv, scope)?.message).toMatch(/covers 10\.20[01]\.0\.(1|2|10)/);
    expect(coverageProblem(argv, protect)?.message).toMatch(/covers/);
  });

  it.each([
    'ip -6 route prepend fd00:200::/255.255.255.255 dev a7',
    'ip -6 route add fd00:200::/255.255.0.0 dev a7',
    'ip -6 route add ::/0.0.0.0 dev a7',
    'ip -6 route add ::/default dev a7',
  ])('%s is refused (IPv6, a dotted mask or a word)', (text) => {
    const argv = text.split(' ');
    expect(checkArgvOnHost(argv, { ...scope, protect: protect6 })?.message).toMatch(/covers fd00:200::1/);
    expect(coverageProblem(argv, protect6)?.message).toMatch(/covers/);
  });
});

// A device on the NIC's link joined to a master the steps create: the master (a bridge, a bond)
// may take any MAC (it is not on the NIC to macOnNic) and send onto the link through its port; a
// bond even gives its MAC to the port. ssh-attack7-bridge-mac.ssh.test.ts shows the switch then
// finds node1 behind node0's port.
describe('attack7: a device on the NIC\'s link joined to a master, or sent frames by mirred', () => {
  const onNic: HostScope = { ...scope, devices: new Set(['m7', 'b7']), onNic: new Set(['m7']), planned: { devices: new Set(['m7', 'b7', 'm8']), namespaces: new Set() } };
  it.each([
    'ip link set m7 master b7',
    'ip link set dev m7 master b7',
    'ip link add m8 link enp0s8 master b7 type macvlan mode bridge',
    // mirred sends a frame out of m7 as it is, with whatever source MAC its sender chose.
    'tc filter add dev b7 egress matchall action mirred egress redirect dev m7',
    'tc filter add dev b7 ingress matchall action mirred egress mirror dev m7',
  ])('%s is refused', (text) => {
    expect(checkArgvOnHost(text.split(' '), onNic)?.message).toMatch(/enp0s8/);
  });
});
