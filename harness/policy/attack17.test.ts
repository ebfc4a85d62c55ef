// Seventeenth attack (issue 13), policy level, low: words that make a step look names up on the
// host (its resolver over the network, /etc/hosts, /etc/ethers, /etc/networks): ping's address
// as a host name, and libpcap's filter primitives that take names (pcap_compile resolves them).
// The ssh tests (ssh-attack17-*) show the other findings on sshd hosts.
import { describe, expect, it } from 'vitest';
import { checkArgvOnHost, startScope } from './policy.ts';
import { scopeAfterSteps } from './testing/scope-after-steps.ts';

const scope = startScope('enp0s8', { planned: { devices: new Set(['va', 'vb']), namespaces: new Set(['ns1']) } });

describe('attack17: name lookups on an ssh host', () => {
  it.each([
    'ping -c 1 www.example.com',
    'tcpdump -i enp0s8 -c 1 host www.example.com',
    'tcpdump -i enp0s8 -c 1 ether host somebox',
    'tcpdump -i enp0s8 -c 1 gateway somebox',
    'tcpdump -i enp0s8 -c 1 net loopnet',
  ])('%s is refused', (step) => {
    expect(checkArgvOnHost(step.split(' '), scope)).toBeDefined();
  });
});

describe('attack17: what a filter or a ping may still say', () => {
  it.each([
    'ping -c 1 10.20.1.3',
    'ping -c 1 fd00:8::66',
    'tcpdump -i enp0s8 -c 1 udp port 4789 or udp port 8472 or icmp',
    'tcpdump -i enp0s8 -c 1 port 4789 and udp[8:2] = 0x0800 & 0x0800 and udp[11:4] = 42 & 0x00FFFFFF',
    'tcpdump -i enp0s8 -c 1 ether host 02:42:ac:11:00:02 and net 10.0.0.0/8',
    'tcpdump -i enp0s8 -c 1 icmp[icmptype] = icmp-echo',
  ])('%s is let through', (step) => {
    expect(checkArgvOnHost(step.split(' '), scope)).toBeUndefined();
  });
  it.each([
    ['ping -c 1 cafe', /look it up as a name/],
    ['ping -c 1 10.1', /look it up as a name/],
    ['ping -c 1 fe80::1%enp0s8', /look it up as a name/],
    ['tcpdump -i enp0s8 -c 1 ip proto \\tcp', /"\\"/],
    ['tcpdump -i enp0s8 -c 1 udp port domain', /"domain".*look up/],
    ['tcpdump -i enp0s8 -c 1 host 10.0.0.1 or cafe', /"cafe".*look up/],
  ])('%s is refused', (step, message) => {
    expect(checkArgvOnHost(step.split(' '), scope)?.message).toMatch(message);
  });
});

describe('attack17: the host scope', () => {
  const after = (steps: string[]) => scopeAfterSteps(steps, ['va', 'vb', 'vc', 'vd', 'wg0', 'mp'], ['ns1', 'ns2']);
  const made = ['ip link add va type veth peer name vb', 'ip link set dev vb up', 'ip link set dev va up'];

  it('refuses multipath routes and nexthop objects (an IPv6 leg outlives the device)', () => {
    const s = after(made);
    expect(checkArgvOnHost('ip -6 route add ::/1 metric 1 nexthop via fe80::2 dev va nexthop via fd00:8::66'.split(' '), s)?.message).toMatch(/`nexthop`/);
    expect(checkArgvOnHost('ip route add 10.9.0.0/16 dev va nhid 5'.split(' '), s)?.message).toMatch(/`nhid`/);
    expect(checkArgvOnHost('ip route add 10.9.0.0/16 via 10.8.0.1 dev va'.split(' '), s)).toBeUndefined();
  });

  it('refuses link-netns (a peer made in a guest under a name the scope would own in the host)', () => {
    const s = after(['ip netns add ns1', 'ip link add va type veth peer name vb netns ns1']);
    expect(checkArgvOnHost('ip link add vc link-netns ns1 type veth peer name vd'.split(' '), s)?.message).toMatch(/link-netns/);
  });

  it('refuses moving a device on from one guest to another (the host end stays tied to the first)', () => {
    const s = after(['ip netns add ns1', 'ip netns add ns2', 'ip link add wg0 type veth peer name vb netns ns1']);
    expect(checkArgvOnHost('ip -n ns1 link set vb netns ns2'.split(' '), s)?.message).toMatch(/from one guest namespace to another/);
    expect(checkArgvOnHost('ip netns exec ns1 ip link set vb netns ns2'.split(' '), s)?.message).toMatch(/from one guest namespace to another/);
  });

  it('drops a VXLAN from the scope when its lower device moves to a guest (the kernel deletes it then)', () => {
    const s = after(['ip netns add ns1', ...made, 'ip link add wg0 type vxlan id 5 dev va dstport 4789', 'ip link set dev va netns ns1']);
    expect(s.devices.has('wg0')).toBe(false);
    expect(s.devices.has('vb')).toBe(true);
    // A macvlan stays (and now goes with the guest its lower device went to).
    const m = after(['ip netns add ns1', ...made, 'ip link add mp link va type macvlan', 'ip link set dev va netns ns1']);
    expect(m.devices.has('mp')).toBe(true);
    expect(m.goesWith?.get('mp')).toEqual({ namespace: 'ns1' });
  });

  it('refuses proxy_arp and forwarding on a device on the NIC\'s link, not on one off it', () => {
    const s = after(['ip link add mp link enp0s8 type macvlan mode bridge', ...made]);
    expect(checkArgvOnHost('sysctl -w net.ipv4.conf.mp.proxy_arp=1'.split(' '), s)?.message).toMatch(/answer ARP for other stations/);
    expect(checkArgvOnHost('sysctl -w net.ipv4.conf.mp.forwarding=1'.split(' '), s)?.message).toMatch(/answer ARP for other stations/);
    expect(checkArgvOnHost('sysctl -w net.ipv4.conf.va.proxy_arp=1'.split(' '), s)).toBeUndefined();
  });
});
