// Facts of iproute2's grammar that several modules need. Pure.

/** `ip`'s objects in its own table order: a prefix names the first one it matches (`ip a`, `ip n`). */
const IP_OBJECTS = [
  'address', 'addrlabel', 'maddress', 'route', 'rule', 'neighbor', 'neighbour', 'ntable', 'ntbl', 'link', 'l2tp', 'fou', 'ila',
  'macsec', 'tunnel', 'tunl', 'tuntap', 'tap', 'token', 'tcpmetrics', 'tcp_metrics', 'monitor', 'xfrm', 'mroute', 'mrule',
  'netns', 'netconf', 'vrf', 'sr', 'nexthop', 'mptcp', 'ioam', 'stats',
] as const;

export type IpObject = (typeof IP_OBJECTS)[number];

/** The object an `ip` command's word names, as iproute2 resolves it (`neighbour` reads as `neighbor`). */
export function ipObject(word: string | undefined): IpObject | undefined {
  if (!word) return undefined;
  const found = IP_OBJECTS.find((o) => o.startsWith(word));
  return found === 'neighbour' ? 'neighbor' : found;
}

/** The kernel's rule for an interface name, as far as a pattern can say it (editors use it). */
export const INTERFACE_NAME_PATTERN = /^[^\s/:]{1,15}$/;

/** A name the kernel accepts for an interface: 1 to 15 bytes, no white space, '/' or ':', not '.' or '..'. */
export function isInterfaceName(name: string): boolean {
  return INTERFACE_NAME_PATTERN.test(name) && Buffer.byteLength(name) <= 15 && name !== '.' && name !== '..';
}

export const INTERFACE_NAME_RULE = 'an interface name of 1 to 15 characters without white space, "/" or ":"';
