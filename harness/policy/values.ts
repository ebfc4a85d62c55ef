// The values inside the tutorials' commands that iproute2 would only refuse half-way through
// building a lab (VNIs, ports, addresses, MACs, interface names), and the names that may refer
// to a namespace. Pure.

/**
 * The kernel's rule for an interface name, as far as a pattern can say it (editors use it), less
 * what `ip -batch` would read as a comment or a quote (`#`, `"`, `'`, `\`): a name vxlab may have
 * to put in a batch (a restore) must stay one word there.
 */
export const INTERFACE_NAME_PATTERN = /^[^\s/:#"'\\]{1,15}$/;

/** A name the kernel accepts for an interface (1 to 15 bytes, no white space, '/' or ':', not '.' or '..') and ip -batch keeps whole. */
export function isInterfaceName(name: string): boolean {
  return INTERFACE_NAME_PATTERN.test(name) && Buffer.byteLength(name) <= 15 && name !== '.' && name !== '..' && specialNameProblem(name) === undefined;
}

/** libpcap's capture sources that are not interfaces (pcap.c's capture_source_types: the D-Bus buses, netfilter's queues and logs, USB, Bluetooth). */
const PCAP_SOURCE = /^(dbus-|nflog|nfqueue|usbmon|bluetooth)/;

/** Why a well-formed name still cannot be an interface's: another tool reads it as something else. */
function specialNameProblem(name: string): string | undefined {
  // iproute2 reads `if%u` off a name no device has (ll_name_to_index: sscanf, the rest ignored): `if3x` is interface index 3.
  if (/^if[+-]?\d/.test(name)) return 'which iproute2 reads as interface index N (if<N>...) when no device has that name';
  // The kernel puts a number in place of %d: the device would get a name the steps never wrote.
  if (name.includes('%')) return 'with "%", in whose place the kernel puts a number of its choosing';
  if (PCAP_SOURCE.test(name)) return 'which libpcap opens as a capture source of its own (D-Bus, netfilter, USB, Bluetooth), not as an interface';
  // The kernel refuses them (dev_valid_name); /proc/sys/net/*/conf/ uses them for every device and for new ones.
  if (name === 'all' || name === 'default') return 'which the kernel refuses for a device and the sysctl tree uses for every device (conf/all, conf/default)';
  return undefined;
}

export const INTERFACE_NAME_RULE = 'an interface name of 1 to 15 characters without white space, "/", ":", "#", quotes or backslashes';

/** A guest namespace's name as scenarios write it (`ip netns add vm0`, a check's `netns:`). */
export const NETNS_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * A namespace may be named, never given as a PID or a path: those could be the host's. iproute2
 * opens /run/netns/NAME for a name without `/`, and reads digits as a PID where it accepts one.
 */
export function netnsNameProblem(ref: string): string | undefined {
  // Where /run/netns/NAME is missing, iproute2 reads a name strtol takes whole (base 0: `0x1`, `010`) as a PID.
  const plain = NETNS_NAME_PATTERN.test(ref) && !/^(\d+|0[xX][0-9a-fA-F]+)$/.test(ref) && ref !== '.' && ref !== '..' && !ref.startsWith('-');
  return plain ? undefined : `refers to namespace "${ref}" by PID or path; name a namespace this lab created (e.g. vm0)`;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const CIDR = /^(.+)\/(\d{1,2})$/;
const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i;
export const MAX_VNI = 16_777_215;

const isInt = (v: string, min: number, max: number) => /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max;
const isIpv4 = (v: string) => IPV4.test(v);
const isMulticast = (v: string) => isIpv4(v) && Number(v.split('.')[0]) >= 224 && Number(v.split('.')[0]) <= 239;

/** A value's problem, or undefined. */
export type Rule = (value: string) => string | undefined;

export const rules = {
  vni: (v: string) => (isInt(v, 0, MAX_VNI) ? undefined : `expected a VNI from 0 to ${MAX_VNI}, got "${v}"`),
  port: (v: string) => (isInt(v, 0, 65535) ? undefined : `expected a UDP port from 0 to 65535, got "${v}"`),
  ipv4: (v: string) => (isIpv4(v) ? undefined : `expected an IPv4 address, got "${v}"`),
  group: (v: string) => (isMulticast(v) ? undefined : `expected a multicast group (224.0.0.0 to 239.255.255.255), got "${v}"`),
  mac: (v: string) => (MAC.test(v) ? undefined : `expected a MAC address such as 4e:e9:90:34:2e:b5, got "${v}"`),
  ifname: (v: string) => {
    if (isInterfaceName(v)) return undefined;
    const special = INTERFACE_NAME_PATTERN.test(v) ? specialNameProblem(v) : undefined;
    return special ? `expected an interface name, got "${v}", ${special}` : `expected ${INTERFACE_NAME_RULE}, got "${v}" (${v.length})`;
  },
  mtu: (v: string) => (isInt(v, 68, 65535) ? undefined : `expected an MTU from 68 to 65535, got "${v}"`),
  ttl: (v: string) => (v === 'inherit' || v === 'auto' || isInt(v, 0, 255) ? undefined : `expected a TTL from 0 to 255, got "${v}"`),
  cidr: (v: string) => {
    const m = CIDR.exec(v);
    return m && isIpv4(m[1]!) && Number(m[2]) <= 32 ? undefined : `expected an IPv4 address with prefix length such as 10.20.1.2/24, got "${v}"`;
  },
  count: (v: string) => (/^\d{1,9}$/.test(v) ? undefined : `expected a whole number, got "${v}"`),
} satisfies Record<string, Rule>;
