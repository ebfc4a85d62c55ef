// Twelfth attack (issue 13), policy level (this kernel has no act_vlan/act_nat, so no ssh test for (1)):
// (1) tc actions that rewrite frames on a device on the NIC's link. The sixth and seventh attacks
// kept such a device to the kernel's MAC (no `address`, no master, no mirred to it) and the
// eighth refused skbmod; but act_vlan's `pop_eth` + `push_eth dst_mac X src_mac Y` (tc-vlan(8),
// iproute2 >= 5.9, CONFIG_NET_ACT_VLAN=m on Debian) rewrites the Ethernet header of every frame
// the device sends: node1's MAC leaves node0's macvlan onto the lab network (the switch moves
// node1, and with sshOnNic its ssh, behind node0's port), and act_nat rewrites its IPv4 source to
// a protected address (another host's ssh end, the gateway).
// (2) tcpdump without -i captures on the host's first device (tcpdump -D order: often the
// management NIC carrying ssh), which `-i mgmt` is refused for; nor may a device the steps name
// `any` open `-i any` (libpcap's every-interface pseudo-device).
import { describe, expect, it } from 'vitest';
import { checkArgv, checkArgvOnHost, scopeAfter, startScope, type HostScope } from './policy.ts';

function afterSteps(steps: string[]): HostScope {
  let scope = startScope('enp0s8', { planned: { devices: new Set(['mv']), namespaces: new Set() }, protect: [{ address: '10.200.0.11', role: 'end' }] });
  for (const step of steps) {
    const argv = step.split(' ');
    expect(checkArgvOnHost(argv, scope)).toBeUndefined();
    scope = scopeAfter(argv, scope);
  }
  return scope;
}

describe('attack12: frames of a chosen MAC or source address out of a device on the NIC\'s link', () => {
  const scope = afterSteps(['ip link add mv link enp0s8 type macvlan mode bridge', 'tc qdisc add dev mv clsact']);
  it.each([
    'tc filter add dev mv egress protocol all u32 match u32 0 0 action vlan pop_eth pipe action vlan push_eth dst_mac ff:ff:ff:ff:ff:ff src_mac 02:00:0a:c8:00:0b',
    'tc filter add dev mv egress protocol ip u32 match u32 0 0 action nat egress 0.0.0.0/0 10.200.0.11',
    // ct's nat rewrites addresses too, and its entries stay in the host's table; sample reaches the host's listeners.
    'tc filter add dev mv egress protocol ip u32 match u32 0 0 action ct commit nat src addr 10.200.0.11',
    'tc filter add dev mv ingress protocol all u32 match u32 0 0 action sample rate 1 group 5',
    // A later action's kind follows the last one's options with no keyword.
    'tc filter add dev mv egress protocol all u32 match u32 0 0 action gact pipe vlan pop_eth',
  ])('%s is refused', (text) => {
    expect(checkArgvOnHost(text.split(' '), scope)?.message).toBeDefined();
  });
});

describe('attack12: tcpdump reads only the NIC or the steps\' devices', () => {
  it('tcpdump without -i (the host\'s first device) is refused like -i mgmt', () => {
    const scope = afterSteps([]);
    expect(checkArgvOnHost(['tcpdump', '-i', 'mgmt', '-c', '5'], scope)?.message).toMatch(/reads device "mgmt"/);
    expect(checkArgvOnHost(['tcpdump', '-c', '5', '-n'], scope)?.message).toBeDefined();
  });

  // libpcap reads `-i any` as its all-interfaces pseudo-device even when a real device has that
  // name (checked in unshare --net: a veth named any, `tcpdump -i any` sees another veth's frames).
  it('a device the steps name `any` does not make `tcpdump -i any` (every host interface) a read of the steps\' device', () => {
    let scope = startScope('enp0s8', { planned: { devices: new Set(['any', 'any2']), namespaces: new Set() } });
    const make = 'ip link add any type veth peer name any2'.split(' ');
    const refusedAtCreate = checkArgvOnHost(make, scope);
    if (!refusedAtCreate) scope = scopeAfter(make, scope);
    expect(refusedAtCreate ?? checkArgvOnHost(['tcpdump', '-i', 'any', '-c', '5'], scope)).toBeDefined();
  });
});

describe('attack12: a sysctl number spelled other than in plain decimal', () => {
  // The kernel reads base 0 (01 and 0x1 are 1); a restore comparing the value read back with the
  // step's text took 01 for the owner's value and left ip_forward on. Refused on every backend.
  it.each(['01', '0x1', '+1', '-0', '1 00', '0X10'])('net.ipv4.ip_forward=%s is refused, naming the spelling', (value) => {
    expect(checkArgv(['sysctl', '-w', `net.ipv4.ip_forward=${value}`])?.message).toMatch(/a number the kernel may read as another .* write numbers in plain decimal/);
  });
  it.each(['1', '0', '-1', '32768 60999', 'cubic', '2001:db8::1'])('net.ipv4.ip_forward=%s is a plain value', (value) => {
    expect(checkArgv(['sysctl', '-w', `net.ipv4.ip_forward=${value}`])).toBeUndefined();
  });
});
