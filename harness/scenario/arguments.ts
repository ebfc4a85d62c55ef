// Checks the values inside the tutorials' commands that iproute2 would only refuse half-way
// through building a lab: VNIs, ports, addresses, MACs, interface names. Pure.
import { INTERFACE_NAME_RULE, ipObject, isInterfaceName } from '../lab/iproute2.ts';
import type { ArgvProblem } from './programs.ts';

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const CIDR = /^(.+)\/(\d{1,2})$/;
const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i;
export const MAX_VNI = 16_777_215;

const isInt = (v: string, min: number, max: number) => /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max;
const isIpv4 = (v: string) => IPV4.test(v);
const isMulticast = (v: string) => isIpv4(v) && Number(v.split('.')[0]) >= 224 && Number(v.split('.')[0]) <= 239;

type Rule = (value: string) => string | undefined;

const rules = {
  vni: (v: string) => (isInt(v, 0, MAX_VNI) ? undefined : `expected a VNI from 0 to ${MAX_VNI}, got "${v}"`),
  port: (v: string) => (isInt(v, 0, 65535) ? undefined : `expected a UDP port from 0 to 65535, got "${v}"`),
  ipv4: (v: string) => (isIpv4(v) ? undefined : `expected an IPv4 address, got "${v}"`),
  group: (v: string) => (isMulticast(v) ? undefined : `expected a multicast group (224.0.0.0 to 239.255.255.255), got "${v}"`),
  mac: (v: string) => (MAC.test(v) ? undefined : `expected a MAC address such as 4e:e9:90:34:2e:b5, got "${v}"`),
  ifname: (v: string) => (isInterfaceName(v) ? undefined : `expected ${INTERFACE_NAME_RULE}, got "${v}" (${v.length})`),
  mtu: (v: string) => (isInt(v, 68, 65535) ? undefined : `expected an MTU from 68 to 65535, got "${v}"`),
  cidr: (v: string) => {
    const m = CIDR.exec(v);
    return m && isIpv4(m[1]!) && Number(m[2]) <= 32 ? undefined : `expected an IPv4 address with prefix length such as 10.20.1.2/24, got "${v}"`;
  },
} satisfies Record<string, Rule>;

/** `keyword value` pairs checked wherever they appear in an ip link / bridge fdb / ip neigh command. */
const LINK_KEYWORDS: Record<string, Rule> = {
  id: rules.vni, vni: rules.vni, dstport: rules.port, port: rules.port, group: rules.group, remote: rules.ipv4,
  local: rules.ipv4, dev: rules.ifname, name: rules.ifname, master: rules.ifname, link: rules.ifname, mtu: rules.mtu,
  address: rules.mac, ttl: (v) => (v === 'inherit' || v === 'auto' || isInt(v, 0, 255) ? undefined : `expected a TTL from 0 to 255, got "${v}"`),
};
const FDB_KEYWORDS: Record<string, Rule> = { dev: rules.ifname, dst: rules.ipv4, vni: rules.vni, port: rules.port, via: rules.ifname, master: rules.ifname };
const NEIGH_KEYWORDS: Record<string, Rule> = { dev: rules.ifname, lladdr: rules.mac };
const ADDR_KEYWORDS: Record<string, Rule> = { dev: rules.ifname };

function keywords(argv: readonly string[], from: number, table: Record<string, Rule>): ArgvProblem | undefined {
  for (let i = from; i < argv.length - 1; i++) {
    const rule = table[argv[i]!];
    const message = rule?.(argv[i + 1]!);
    if (message) return { index: i + 1, message: `${argv[i]} ${message}` };
  }
  return undefined;
}

/** The value at `index` (a command's positional argument) against `rule`, then the keywords after it. */
function positionalThen(argv: readonly string[], index: number, rule: Rule, table: Record<string, Rule>): ArgvProblem | undefined {
  const value = argv[index];
  const message = value === undefined ? undefined : rule(value);
  return message ? { index, message } : keywords(argv, index + 1, table);
}

/**
 * Checks one `ip` or `bridge` command whose object starts at `at` (after global options),
 * e.g. argv[at] = "link", argv[at+1] = "add".
 */
export function checkArguments(program: 'ip' | 'bridge', argv: readonly string[], at: number): ArgvProblem | undefined {
  const object = argv[at] ?? '';
  const verb = argv[at + 1] ?? '';
  if (program === 'bridge') {
    const isFdb = object !== '' && 'fdb'.startsWith(object);
    return isFdb && ['add', 'append', 'replace', 'del', 'delete'].includes(verb) ? positionalThen(argv, at + 2, rules.mac, FDB_KEYWORDS) : undefined;
  }
  switch (ipObject(object)) {
    case 'link': {
      if (!['add', 'set', 'del', 'delete'].includes(verb)) return undefined;
      // The device name may come first (`ip link add vxlan0 type ...`), or after `name`/`dev`.
      const first = argv[at + 2];
      const named = first !== undefined && !(first in LINK_KEYWORDS) && first !== 'type';
      return named ? positionalThen(argv, at + 2, rules.ifname, LINK_KEYWORDS) : keywords(argv, at + 2, LINK_KEYWORDS);
    }
    case 'address':
      return ['add', 'del', 'delete', 'replace', 'change'].includes(verb) ? positionalThen(argv, at + 2, rules.cidr, ADDR_KEYWORDS) : undefined;
    case 'neighbor':
      return ['add', 'replace', 'change', 'del', 'delete'].includes(verb) ? positionalThen(argv, at + 2, rules.ipv4, NEIGH_KEYWORDS) : undefined;
    default:
      return undefined;
  }
}
