// Twentieth attack (issue 13), policy level: a device the steps "create" named `default` (the
// kernel refuses the name, but the scope counts it from the command on) made
// `net.ipv{4,6}.conf.default.KEY` a created device's key, so the host's default tree, which an
// IPv4 write copies to every device that has not set the key itself and every device made later,
// was written past the allowlist. ssh-attack20-default-name shows it on sshd hosts.
import { describe, expect, it } from 'vitest';
import { checkArgv, checkArgvOnHost, startScope } from './policy.ts';

const words = (s: string) => s.split(' ');

describe('attack20: a device named like a sysctl tree', () => {
  it.each(['ip link add default type bridge', 'ip link set dev b0 name default', 'ip link add all type bridge', 'ip link add va type veth peer name default'])('refuses %s on every backend', (step) => {
    expect(checkArgv(words(step))?.message).toMatch(/sysctl tree uses for every device|keyword|expected an interface name/);
  });

  // Were such a name in the scope all the same (the executor's scope moves on before a command's
  // exit), the keys under it are still the host's whole tree.
  it.each(['sysctl -w net.ipv4.conf.default.arp_ignore=8', 'sysctl -w net.ipv4.conf.default.rp_filter=1', 'sysctl -w net.ipv6.conf.default.disable_ipv6=1', 'sysctl -w net/ipv4/conf/default/proxy_arp=1', 'sysctl -w net.ipv4.conf.all.arp_ignore=8'])('refuses %s even with a device of the steps by that name', (step) => {
    const scope = { ...startScope('enp0s8'), devices: new Set(['default', 'all']) };
    expect(checkArgvOnHost(words(step), scope)?.message).toMatch(/not a key vxlab lets a scenario change/);
  });
});
