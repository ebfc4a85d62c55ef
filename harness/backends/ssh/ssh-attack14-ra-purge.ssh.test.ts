// Fourteenth stranger's attack (issue 13): `sysctl -w net.ipv6.conf.DEV.forwarding=1` on a device
// the steps create (allowed: HOST_SYSCTLS.createdDevice has ipv6/forwarding) makes the kernel
// purge every default route router advertisements gave the host, on every device
// (addrconf_fixup_forwarding -> rt6_purge_dflt_routers, net/ipv6/addrconf.c, route.c: any write
// of 1, whatever the device, drops RTF_DEFAULT|RTF_ADDRCONF routes whose device has accept_ra
// != 2). The host's IPv6 default route on its management link is gone until the router's next
// unsolicited RA (up to MaxRtrAdvInterval, 600 s by default; never, if the router only answers
// solicitations). The state read skips `proto ra` routes, so the run neither restores nor names it.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect } from 'vitest';
import { pollUntil } from '../../util/poll.ts';
import { onFreshHosts, onNode0, scenarioText } from './testing/fresh-hosts.ts';

// One router advertisement (router lifetime 1800 s) out of DEV to all nodes; the kernel fills the checksum.
const RA = `import socket, struct, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
s.setsockopt(socket.SOL_SOCKET, 25, sys.argv[1].encode())
s.sendto(struct.pack('!BBHBBHII', 134, 0, 0, 64, 0, 1800, 0, 0), ('ff02::1', 0, 0, socket.if_nametoindex(sys.argv[1])))
`;

onFreshHosts('a created device\'s IPv6 forwarding does not take the host\'s RA default route', async (hosts) => {
  const script = join(hosts.dir, 'ra.py');
  await writeFile(script, RA);
  // The management switch's side acts as the router: node0 learns its IPv6 default route from it.
  // br0 can send once its link-local address has passed DAD (until then: EADDRNOTAVAIL), so the
  // advertisement is sent until node0 has the route.
  const defaults = async () => (await hosts.onHost('node0', ['ip', '-6', 'route', 'show', 'default'])).trim();
  const before = await pollUntil(async () => {
    const now = await defaults();
    if (now !== '') return now;
    await execa(hosts.inMgmt[0]!, [...hosts.inMgmt.slice(1), '/usr/bin/python3', script, 'br0'], { reject: false });
    return undefined;
  }, { what: 'node0 to learn its IPv6 default route from a router advertisement', timeoutMs: 15_000, maxIntervalMs: 200 });
  expect(before).toMatch(/proto ra/);
  const file = join(hosts.dir, 'ra.yaml');
  await writeFile(file, scenarioText('ra purge', onNode0(['ip link add va type veth peer name vb', 'sysctl -w net.ipv6.conf.va.forwarding=1'])));
  const run = await hosts.runCli([file, '--reporter', 'tap']);
  const after = await defaults();
  const said = `run ${run.exitCode}:\n${run.stdout}${run.stderr}`;
  expect(after.replace(/expires \d+sec/, ''), said).toBe(before.replace(/expires \d+sec/, ''));
});
