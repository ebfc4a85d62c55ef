import { describe, expect, it } from 'vitest';
import { getoptLong } from './getopt.ts';
import { batchLine, checkArgv, checkInvocation, commandFacts } from './policy.ts';
import { slashdot, SYSCTL_GETOPT, sysctlKeyProblem } from './sysctl.ts';
import { TCPDUMP_GETOPT } from './tcpdump.ts';

const check = (line: string) => checkArgv(line.split(' '));

describe('checkArgv', () => {
  it.each([
    'ip link add vxlan0 type vxlan id 42 dstport 4789 remote 192.168.8.101 local 192.168.8.100 dev enp0s8',
    'ip netns add vm0',
    'ip netns exec vm0 ip link set dev lo up',
    'ip link set veth0 netns vm0',
    'ip -n vm0 addr show',
    'ip -j -d link show',
    'bridge fdb append 00:00:00:00:00:00 dev vxlan1 dst 10.10.10.9',
    'ip neigh add 192.168.1.4 lladdr 4e:e9:90:34:2e:b5 dev vxlan1',
    'ping -c 3 10.20.1.3',
    'tcpdump -i enp0s8 -n',
    'sysctl -w net.ipv4.ip_forward=1',
    'sysctl net/ipv6/conf/all/disable_ipv6=1',
    'tc qdisc show',
    'ip netns exec vm0 ping -c 1 192.168.1.4',
  ])('allows %s', (line) => {
    expect(check(line)).toBeUndefined();
  });

  it('names the allowed programs when refusing one', () => {
    expect(check('curl http://example.com')).toEqual({
      index: 0,
      message: 'runs "curl", which is not allowed; allowed programs are ip, bridge, ping, tcpdump, sysctl, tc',
    });
    expect(check('/sbin/ip link')?.index).toBe(0);
  });

  it.each([
    ['ip link set vxlan0 netns 1', 5, /PID or path/],
    ['ip link set vxlan0 netns /proc/1/ns/net', 5, /PID or path/],
    ['ip -n 1 link', 2, /PID or path/],
    ['ip link add vx0 link-netns /proc/1/ns/net type vxlan id 1', 5, /PID or path/],
    ['ip link add veth0 type veth peer name veth1 netns 1', 10, /PID or path/],
    ['ip netns attach host 1', 2, /adopt a namespace/],
    ['ip netns att host 1', 2, /adopt a namespace/],
    ['ip net exec /proc/1/ns/net ip link', 3, /PID or path/],
    ['ip netns exec vm0 bash', 4, /"bash", which is not allowed/],
    ['ip netns exec vm0', 2, /needs a namespace and a command/],
    ['ip -batch /tmp/x', 1, /reads commands from a file/],
    ['bridge -b /tmp/x', 1, /reads commands from a file/],
    ['tcpdump -i eth0 -w /etc/x', 3, /-w/],
    ['tcpdump -i eth0 -z /bin/sh', 3, /-z/],
    ['sysctl -w kernel.panic=1', 2, /not private to the node/],
    ['sysctl -p', 1, /sysctl option/],
    ['sysctl --system', 1, /sysctl option/],
  ])('refuses %s', (line, index, message) => {
    const problem = check(line);
    expect(problem?.index).toBe(index);
    expect(problem?.message).toMatch(message);
  });

  it('tells `ip ne` (neigh) from `ip net` (netns), as iproute2 does', () => {
    expect(check('ip ne add 10.0.0.1 lladdr 00:11:22:33:44:55 dev vxlan0')).toBeUndefined();
    expect(check('ip net exec vm0 sh')?.message).toMatch(/"sh", which is not allowed/);
  });
});

describe('checkArgv on the values inside commands', () => {
  it.each([
    ['ip link add vxlan0 type vxlan id 16777216 dstport 4789 dev enp0s8', 7, 'id expected a VNI from 0 to 16777215, got "16777216"'],
    ['ip link add vxlan0 type vxlan id -1 dev enp0s8', 7, 'id expected a VNI from 0 to 16777215, got "-1"'],
    ['ip link add vxlan0 type vxlan id 42 dstport 65536 dev enp0s8', 9, 'dstport expected a UDP port from 0 to 65535, got "65536"'],
    ['ip link add vxlan0 type vxlan id 42 group 10.1.1.1 dev enp0s8', 9, 'group expected a multicast group (224.0.0.0 to 239.255.255.255), got "10.1.1.1"'],
    ['ip link add vxlan0 type vxlan id 42 remote 192.168.8.300 dev enp0s8', 9, 'remote expected an IPv4 address, got "192.168.8.300"'],
    ['ip link add averyveryverylongname type bridge', 3, 'expected an interface name of 1 to 15 characters without white space, "/", ":", "#", quotes or backslashes, got "averyveryverylongname" (21)'],
    ['ip link set vxlan0 master averyveryverylongname', 5, 'master expected an interface name of 1 to 15 characters without white space, "/", ":", "#", quotes or backslashes, got "averyveryverylongname" (21)'],
    ['ip link add veth0 type veth peer name averyveryverylongname', 8, 'name expected an interface name of 1 to 15 characters without white space, "/", ":", "#", quotes or backslashes, got "averyveryverylongname" (21)'],
    ['ip link add enp0s8# type bridge', 3, 'expected an interface name of 1 to 15 characters without white space, "/", ":", "#", quotes or backslashes, got "enp0s8#" (7)'],
    ["ip link set dev vx9 name 'x", 6, 'name expected an interface name of 1 to 15 characters without white space, "/", ":", "#", quotes or backslashes, got "\'x" (2)'],
    ['ip link set dev vxlan0 address 4e:e9:90:34:2e', 6, 'address expected a MAC address such as 4e:e9:90:34:2e:b5, got "4e:e9:90:34:2e"'],
    ['ip addr add 10.20.1.2/33 dev vxlan0', 3, 'expected an IPv4 address with prefix length such as 10.20.1.2/24, got "10.20.1.2/33"'],
    ['ip a add 10.20.1.2 dev vxlan0', 3, 'expected an IPv4 address with prefix length such as 10.20.1.2/24, got "10.20.1.2"'],
    ['ip neigh add 192.168.1.400 lladdr 4e:e9:90:34:2e:b5 dev vxlan1', 3, 'expected an IPv4 address, got "192.168.1.400"'],
    ['ip n add 192.168.1.4 lladdr 4e:e9:90:34:2e:zz dev vxlan1', 5, 'lladdr expected a MAC address such as 4e:e9:90:34:2e:b5, got "4e:e9:90:34:2e:zz"'],
    ['bridge fdb append 00:00:00:00:00 dev vxlan1 dst 10.10.10.9', 3, 'expected a MAC address such as 4e:e9:90:34:2e:b5, got "00:00:00:00:00"'],
    ['bridge fdb append 00:00:00:00:00:00 dev vxlan1 dst 10.10.10.999', 7, 'dst expected an IPv4 address, got "10.10.10.999"'],
    ['bridge fdb append 00:00:00:00:00:00 dev vxlan1 dst 10.10.10.9 vni 99999999', 9, 'vni expected a VNI from 0 to 16777215, got "99999999"'],
    ['ip netns exec vm0 ip link add vxlan9 type vxlan id 16777216', 11, 'id expected a VNI from 0 to 16777215, got "16777216"'],
  ])('refuses %s', (line, index, message) => {
    expect(check(line)).toEqual({ index, message });
  });

  it('accepts the edges of each range', () => {
    expect(check('ip link add vxlan0 type vxlan id 16777215 dstport 65535 group 239.255.255.255 dev enp0s8 ttl 255')).toBeUndefined();
    expect(check('ip link add vxlan0 type vxlan id 0 dstport 0 group 224.0.0.1 dev enp0s8')).toBeUndefined();
    expect(check('bridge -n vm0 fdb append 00:00:00:00:00:00 dev vxlan1 dst 10.10.10.9 vni 1 port 4789')).toBeUndefined();
  });
});

describe('checkInvocation', () => {
  it('accepts vxlab\'s own batches, checking every line as a command of that program', () => {
    expect(checkInvocation(['ip', '-batch', '-'], 'link add vxlan0 type vxlan id 42 dev enp0s8\nlink set vxlan0 up\n')).toBeUndefined();
    expect(checkInvocation(['bridge', '-batch', '-'], 'fdb append 00:00:00:00:00:00 dev vxlan1 dst 10.10.10.9\n')).toBeUndefined();
  });

  it.each([
    ['link set lo up\nvrf exec default sh\n', 2, '`ip vrf`'],
    ['link set lo up\n-n 1 link\n', 2, 'starts with an option'],
    ['link set "a b" up\n', 1, 'not plain words'],
    ['link set lo up # x\n', 1, 'not plain words'],
    ['link  set lo up\n', 1, 'not plain words'],
    ['netns exec vm0 sh\n', 1, 'runs "sh"'],
    ['monitor file /tmp/x\n', 1, 'dump file'],
  ])('refuses batch input %j at its line %i', (input, line, reason) => {
    const problem = checkInvocation(['ip', '-batch', '-'], input);
    expect(problem?.line).toBe(line);
    expect(problem?.message).toContain(reason);
  });

  it('gives an input to nothing but vxlab\'s own batch argv', () => {
    expect(checkInvocation(['ip', '-batch', '/etc/passwd'], 'link\n')?.message).toMatch(/only vxlab's own/);
    expect(checkInvocation(['ip', '-ba', '-'], 'link\n')?.message).toMatch(/only vxlab's own/);
    expect(checkInvocation(['ip', 'route', 'restore'], 'x')?.message).toMatch(/only vxlab's own/);
    expect(checkInvocation(['tc', '-batch', '-'], 'qdisc\n')?.message).toMatch(/only vxlab's own/);
    // Without an input, `-batch -` is what a scenario typed: refused.
    expect(checkInvocation(['ip', '-batch', '-'])?.message).toMatch(/reads commands from a file/);
  });

  it('makes a batch line only of commands it accepts, without global options or odd characters', () => {
    expect(batchLine(['ip', 'link', 'set', 'lo', 'up'])).toEqual({ program: 'ip', line: 'link set lo up' });
    expect(batchLine(['ip', '-n', 'vm0', 'link'])).toBeUndefined();
    expect(batchLine(['ip', 'link', 'set', 'dev', 'a#b', 'up'])).toBeUndefined();
    expect(batchLine(['tc', 'qdisc'])).toBeUndefined();
  });

  it('never batches `ip netns exec` (in a batch ip forks the program, which a signal to ip would miss)', () => {
    expect(batchLine(['ip', 'netns', 'exec', 'vm0', 'ping', '-c', '1', '10.0.0.2'])).toBeUndefined();
    expect(batchLine(['ip', 'net', 'e', 'vm0', 'ip', 'link', 'set', 'lo', 'up'])).toBeUndefined();
    expect(batchLine(['ip', 'netns', 'add', 'vm0'])).toEqual({ program: 'ip', line: 'netns add vm0' });
  });
});

describe('reading as the programs read', () => {
  it.each([
    ['ip -fam inet link', 'link'], ['ip -f inet6 a', 'address'], ['ip -br -c a', 'address'], ['ip --json n', 'neighbor'], ['ip -- r', 'route'],
    ['ip -n vm0 l', 'link'], ['ip -color=never ru', 'rule'], ['ip -l 3 ntbl', 'ntable'], ['ip neighbour', 'neighbor'], ['ip m', 'maddress'], ['ip mo', 'monitor'],
  ])('%s names object %s', (line, object) => {
    expect(commandFacts(line.split(' ')).object).toBe(object);
  });

  it('reads `-c=bogus` as no color (iproute2 then finds no option at all), `-com` as compressvlans in bridge', () => {
    expect(check('ip -c=bogus link')?.message).toMatch(/not an option vxlab allows/);
    expect(check('bridge -com vlan')).toBeUndefined();
    expect(check('tc -col qdisc')).toBeUndefined();
  });

  it('reads getopt bundles, attached values, permutation and long prefixes', () => {
    const parsed = getoptLong(['tcpdump', '-nvi', 'eth0', 'udp', '-c5', '--imm', '--snap=96', '--', '-x'], 1, TCPDUMP_GETOPT);
    expect(parsed).toEqual({
      options: [
        { id: 'n', spelled: '-n', index: 1 }, { id: 'v', spelled: '-v', index: 1 }, { id: 'i', spelled: '-i', index: 1, value: 'eth0', valueIndex: 2 },
        { id: 'c', spelled: '-c', index: 4, value: '5', valueIndex: 4 }, { id: 'immediate-mode', spelled: '--immediate-mode', index: 5 },
        { id: 's', spelled: '--snapshot-length', index: 6, value: '96', valueIndex: 6 },
      ],
      operands: [{ value: 'udp', index: 3 }, { value: '-x', index: 8 }],
    });
    expect(getoptLong(['sysctl', '--no'], 1, SYSCTL_GETOPT)).toMatchObject({ message: expect.stringMatching(/does not have/) });
    expect(getoptLong(['sysctl', '--na'], 1, SYSCTL_GETOPT)).toMatchObject({ options: [{ id: 'N' }] });
    expect(getoptLong(['sysctl', '--write=1'], 1, SYSCTL_GETOPT)).toMatchObject({ message: expect.stringMatching(/takes none/) });
  });

  it('turns sysctl keys into paths as procps does', () => {
    expect(slashdot('net.ipv4.conf.eth0/100.rp_filter', '/')).toBe('net/ipv4/conf/eth0.100/rp_filter');
    expect(slashdot('net/ipv4/conf/eth0.100/rp_filter', '/')).toBe('net/ipv4/conf/eth0.100/rp_filter');
    expect(slashdot('net/ipv4/ip_forward', '.')).toBe('net.ipv4.ip_forward');
    expect(sysctlKeyProblem('net.ipv4.ip_forward', true)).toBeUndefined();
    expect(sysctlKeyProblem('net.ipv4./../.kernel', true)).toMatch(/procps reads as the path/);
  });

  it('notes guest namespaces and sysctl writes inside `ip netns exec`', () => {
    expect(commandFacts('ip netns exec vm0 sysctl -w net.ipv4.ip_forward=1'.split(' '))).toMatchObject({ usesGuestNamespace: true, writesSysctl: true, nested: { program: 'sysctl' } });
    expect(commandFacts('bridge -n vm0 fdb'.split(' ')).usesGuestNamespace).toBe(true);
    expect(commandFacts('ip link add vx0 link-netns vm0 type vxlan id 1'.split(' ')).usesGuestNamespace).toBe(true);
  });
});
