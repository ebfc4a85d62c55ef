// Checks the values inside `ip link`, `ip address`, `ip neigh` and `bridge fdb` commands, so a
// typo in a VNI, a port, an address or a name is reported at load time, where it was typed. Pure.
import { rules, type Rule } from './values.ts';
import type { ArgvProblem } from './types.ts';

/** `keyword value` pairs checked wherever they appear in an ip link / bridge fdb / ip neigh command. */
const LINK_KEYWORDS: Record<string, Rule> = {
  id: rules.vni, vni: rules.vni, dstport: rules.port, port: rules.port, group: rules.group, remote: rules.ipv4,
  local: rules.ipv4, dev: rules.ifname, name: rules.ifname, master: rules.ifname, link: rules.ifname, mtu: rules.mtu,
  address: rules.mac, ttl: rules.ttl,
};
const FDB_KEYWORDS: Record<string, Rule> = { dev: rules.ifname, dst: rules.ipv4, vni: rules.vni, port: rules.port, via: rules.ifname, master: rules.ifname };
const NEIGH_KEYWORDS: Record<string, Rule> = { dev: rules.ifname, lladdr: rules.mac };
const ADDR_KEYWORDS: Record<string, Rule> = { dev: rules.ifname };

function keywords(argv: readonly string[], from: number, table: Record<string, Rule>): ArgvProblem | undefined {
  for (let i = from; i < argv.length - 1; i++) {
    const rule = Object.hasOwn(table, argv[i]!) ? table[argv[i]!] : undefined;
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

/** `ip link add|set|delete`: the device name may come first (`ip link add vxlan0 type ...`), or after `name`/`dev`. */
export function checkLinkValues(argv: readonly string[], first: number): ArgvProblem | undefined {
  const word = argv[first];
  const named = word !== undefined && !Object.hasOwn(LINK_KEYWORDS, word) && word !== 'type';
  return named ? positionalThen(argv, first, rules.ifname, LINK_KEYWORDS) : keywords(argv, first, LINK_KEYWORDS);
}

export const checkAddressValues = (argv: readonly string[], first: number) => positionalThen(argv, first, rules.cidr, ADDR_KEYWORDS);
export const checkNeighValues = (argv: readonly string[], first: number) => positionalThen(argv, first, rules.ipv4, NEIGH_KEYWORDS);
export const checkFdbValues = (argv: readonly string[], first: number) => positionalThen(argv, first, rules.mac, FDB_KEYWORDS);
