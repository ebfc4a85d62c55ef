// Seventeenth stranger's attack: steps the host scope let through, each of which left the host
// changed or made the run own a name it had not made. Each is refused at load now (exit 2, the
// policy's reason, nothing run on any host); policy/attack17.test.ts has the policy's side.
// - An IPv6 multipath route with a leg whose gateway the kernel resolves to the NIC: IPv6 keeps
//   legs as sibling routes and deletes only those on a device that goes (fib6_ifdown), so the
//   NIC's leg (all of the host's IPv6 traffic, with ::/1 and 8000::/1) outlived the run.
// - A veth's guest end moved on to a second guest that is then deleted: the host end goes with
//   it, but stayed tied to the first guest, so the run owned (and teardown deleted) another
//   tool's device of that name.
// - `ip link add vc link-netns ns1 type veth peer name vd`: the kernel makes vd in ns1, the scope
//   owned vd in the host's namespace.
// - `ip netns exec ns1 ip netns add ns3`: ip's bind mount dies with exec's mount namespace, the
//   file /run/netns/ns3 stayed in the host's (the fifteenth attack closed the `-n` form).
// - proxy_arp with forwarding on a macvlan on the NIC: the host answered ARP on the lab's network
//   for the harness's own address (arp_fwd_proxy), on a host reached over its one NIC.
import { refusedAtLoad } from './testing/fresh-hosts.ts';
import type { SshdHosts } from './testing/sshd-hosts.ts';

const cases: [string, string[], RegExp][] = [
  ['ipv6 multipath', ['ip link add va type veth peer name vb', 'ip link set dev va up', 'ip -6 route add ::/1 metric 1 nexthop via fe80::2 dev va nexthop via fd00:8::66'], /`nexthop`/],
  ['ipv4 multipath', ['ip link add va type veth peer name vb', 'ip link set dev va up', 'ip route add 10.99.0.0/16 nexthop dev va nexthop via 192.168.8.77'], /`nexthop`/],
  ['guest move', ['ip netns add ns1', 'ip netns add ns2', 'ip link add wg0 type veth peer name vb netns ns1', 'ip -n ns1 link set vb netns ns2', 'ip netns del ns2'], /from one guest namespace to another/],
  ['link-netns', ['ip netns add ns1', 'ip link add va type veth peer name vb netns ns1', 'ip link add vc link-netns ns1 type veth peer name vd'], /link-netns/],
  ['exec netns add', ['ip netns add ns1', 'ip netns exec ns1 ip netns add ns3'], /inside guest namespace ns1/],
  ['proxy arp on the NIC', ['ip link add mp link enp0s8 type macvlan mode bridge', 'sysctl -w net.ipv4.conf.mp.forwarding=1', 'sysctl -w net.ipv4.conf.mp.proxy_arp=1', 'ip link set dev mp up'], /answer ARP for other stations/],
];

/** What the steps would have changed on node0: links, guest namespaces, routes, the NIC's sysctls. */
const stateOf = (hosts: SshdHosts) => hosts.onHost('node0', ['sh', '-c', 'ip -o link show; ls -A /run/netns 2>/dev/null; ip -4 route show table all; ip -6 route show table all; sysctl net.ipv4.conf.enp0s8.proxy_arp net.ipv4.conf.all.forwarding']);

refusedAtLoad('steps the seventeenth attack got through are refused at load, and no host changes', cases, stateOf, { sshOnNic: true });
