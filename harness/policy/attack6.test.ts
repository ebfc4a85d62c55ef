// Sixth attack (issue 13): the host scope's reading of addresses against iproute2 v6.1.0's.
// get_addr_ipv4 (lib/utils.c) reads each IPv4 part with strtoul(cp, &endp, 0), and get_netmask
// the prefix length with get_unsigned (strtoul too): strtoul skips leading white space and takes a
// sign, so `+10.201.0.2`, `10.+201.0.2`, `10.201.-0.2` are 10.201.0.2 to ip, and `/+24` is /24.
// readPrefix (prefixes.ts) takes only [0-9a-fA-Fx] parts, reads those words as no address at all,
// and the cover check lets the route through: `ip route add +10.201.0.2 dev a6` takes the host's
// way back to the harness off its management NIC (checked by hand on this machine: `ip route`
// shows `10.201.0.2 dev x`).
import { describe, expect, it } from 'vitest';
import { checkArgvOnHost, coverageProblem, type GuardedAddress, type HostScope } from './policy.ts';

// A routed connection: the harness at 10.201.0.2, the host 10.200.0.10, its gateway 10.200.0.1.
const protect: GuardedAddress[] = [{ address: '10.201.0.2', role: 'end' }, { address: '10.200.0.10', role: 'end' }, { address: '10.200.0.1', role: 'gateway' }];
const scope: HostScope = { devices: new Set(['a6']), namespaces: new Set(), nic: 'enp0s8', protect };

describe('attack6: addresses with a sign or white space, as strtoul reads them', () => {
  it.each([
    'ip route add +10.201.0.2 dev a6',
    'ip route add 10.+201.0.2 dev a6',
    'ip route add 10.201.-0.2 dev a6',
    'ip route add 10.201.0.0/+24 dev a6',
    'ip route add _10.201.0.2 dev a6',
    'ip route add +10.200.0.1 dev a6',
    'ip route append 0/+0 dev a6',
    'ip addr add 192.168.77.1/24 peer +10.200.0.1 dev a6',
    'ip addr add 192.168.77.1/24 peer 10.201.0.0/+24 dev a6',
    // The address itself is harmless; its broadcast puts `broadcast 10.200.0.1 dev a6` in table
    // local, and `ip route get 10.200.0.1` says `broadcast ... dev a6` (checked by hand).
    'ip addr add 192.168.77.1/24 broadcast +10.200.0.1 dev a6',
  ])('%s is refused (the cover check and preflight\'s coverageProblem)', (text) => {
    // `_` stands for a leading space inside the word (a tab is refused before: a control character).
    const argv = text.split(' ').map((w) => w.replace(/^_/, ' '));
    expect(checkArgvOnHost(argv, scope)?.message).toMatch(/covers 10\.20[01]\.0\.(1|2|10)/);
    expect(coverageProblem(argv, protect)?.message).toMatch(/covers/);
  });
});

// `ip route test` is RTM_NEWROUTE with NLM_F_EXCL and no NLM_F_CREATE (ip/iproute.c do_iproute);
// IPv6 creates the route all the same (fib6_add_1 warns "NLM_F_CREATE should be set when creating
// new route"), checked by hand on this machine (kernel 6.18): `ip -6 route test fd00:200::1/128 dev
// a6` exits 0 and `ip -6 route get fd00:200::1` says dev a6. ADDING leaves `test` out.
describe('attack6: a tab before the address', () => {
  it('is refused as a control character', () => {
    expect(checkArgvOnHost(['ip', 'route', 'add', '\t10.201.0.2', 'dev', 'a6'], scope)?.message).toMatch(/control character/);
  });
});

describe('attack6: `ip -6 route test` adds an IPv6 route', () => {
  const protect6: GuardedAddress[] = [{ address: 'fd00:200::1', role: 'end' }, { address: 'fd00:200::10', role: 'end' }];
  const scope6: HostScope = { ...scope, protect: protect6 };
  it.each([
    'ip -6 route test fd00:200::1/128 dev a6',
    'ip -6 route t fd00:200::/64 dev a6',
    'ip -6 r te default dev a6',
  ])('%s is refused (the cover check and preflight\'s coverageProblem)', (text) => {
    const argv = text.split(' ');
    expect(checkArgvOnHost(argv, scope6)?.message).toMatch(/covers fd00:200::1/);
    expect(coverageProblem(argv, protect6)?.message).toMatch(/covers/);
  });
});

// A device on the NIC's link may not choose its MAC: on a host whose one NIC carries ssh too, a
// macvlan with node1's MAC took node1's frames at the switch (ssh-attack6-mac.ssh.test.ts).
describe('attack6: a MAC address for a device on the NIC\'s link', () => {
  const onNic: HostScope = { ...scope, devices: new Set(['a6', 'm6', 'v6']), onNic: new Set(['m6']) };
  it.each([
    'ip link add m7 link enp0s8 address 02:00:00:00:00:01 type macvlan mode bridge',
    'ip link add m7 link enp0s8 addr 02:00:00:00:00:01 type macvlan',
    'ip link add link enp0s8 name m7 a 02:00:00:00:00:01 type vlan id 7',
    'ip link add m7 link m6 address 02:00:00:00:00:01 type macvlan',
    'ip link set m6 address 02:00:00:00:00:01',
    'ip link set dev m6 addr 02:00:00:00:00:01',
  ])('%s is refused', (text) => {
    expect(checkArgvOnHost(text.split(' '), { ...onNic, planned: { devices: new Set(['m6', 'm7', 'a6']), namespaces: new Set() } })?.message).toMatch(/sets the MAC address of .* on the host's NIC enp0s8's link/);
  });
  it.each([
    'ip link add m7 link enp0s8 type macvlan mode bridge',
    'ip link add v6 address 02:00:00:00:00:01 type bridge',
    'ip link set a6 address 02:00:00:00:00:01',
  ])('%s is allowed (no MAC chosen, or not on the NIC\'s link)', (text) => {
    expect(checkArgvOnHost(text.split(' '), { ...onNic, planned: { devices: new Set(['m6', 'm7', 'v6', 'a6']), namespaces: new Set() } })).toBeUndefined();
  });
});
