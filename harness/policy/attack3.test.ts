// Third attack (issue 13): host-wide sysctls that only a real host has. The ssh tests' hosts are
// network namespaces, where these keys do not exist (the kernel registers them for the initial
// namespace only), so the policy's own answer is what can be tested here. Refused since the fourth pass (fixscope).
import { describe, expect, it } from 'vitest';
import { checkArgvOnHost, type HostScope } from './policy.ts';

const scope: HostScope = { devices: new Set(['vxlan0']), namespaces: new Set(), nic: 'enp0s8' };

describe('ssh host scope: kernel-global net.ipv4 keys (tcp_mem 1 1 1 starves every TCP socket, the ssh connection too)', () => {
  it.each([
    ['sysctl', '-w', 'net.ipv4.tcp_mem=1 1 1'],
    ['sysctl', '-w', 'net.ipv4.udp_mem=1 1 1'],
    ['sysctl', '-w', 'net.ipv4.tcp_max_orphans=0'],
    ['sysctl', '-w', 'net.ipv4.fib_sync_mem=1'],
  ])('%s %s %s is refused on an ssh host', (...argv) => {
    expect(checkArgvOnHost(argv, scope)).toMatchObject({ index: 2, message: expect.stringMatching(/^sets "net\.ipv4\.[a-z_]+", which is not a key vxlab lets a scenario change on a real host/) });
  });
});
