import { describe, expect, it } from 'vitest';
import { checkArgv } from './programs.ts';

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
    ['ip netns attach host 1', 2, /adopt a namespace/],
    ['ip netns att host 1', 2, /adopt a namespace/],
    ['ip net exec /proc/1/ns/net ip link', 3, /PID or path/],
    ['ip netns exec vm0 bash', 4, /"bash", which is not allowed/],
    ['ip netns exec vm0', 2, /needs a namespace and a command/],
    ['ip -batch /tmp/x', 1, /batch file/],
    ['bridge -b /tmp/x', 1, /batch file/],
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
