// `tcpdump` 4.99: parsed with getopt_long semantics, options from an explicit list.
// Followed: tcpdump-4.99.3 tcpdump.c:675 (SHORTOPTS, with Debian 12's build flags: B, D, I, j, J,
// Q and U present), 707-757 (longopts; no --list-remote-interfaces or --debug-filter-parser in
// Debian's build), 1544-1940 (what each option does), 2231-2233 (operands are the filter).
import { getoptLong, isProblem, type GetoptSpec } from './getopt.ts';
import { refuse, type CommandFacts, type Reading } from './types.ts';
import { rules } from './values.ts';

export const TCPDUMP_GETOPT: GetoptSpec = {
  shorts: 'aAbB:c:C:dDeE:fF:G:hHi:Ij:JKlLm:M:nNOpqQ:r:s:StT:uUvV:w:W:xXy:Yz:Z:#',
  longs: [
    { name: 'buffer-size', arity: 'required', id: 'B' },
    { name: 'list-interfaces', arity: 'none', id: 'D' },
    { name: 'help', arity: 'none', id: 'h' },
    { name: 'interface', arity: 'required', id: 'i' },
    { name: 'monitor-mode', arity: 'none', id: 'I' },
    { name: 'time-stamp-type', arity: 'required', id: 'j' },
    { name: 'list-time-stamp-types', arity: 'none', id: 'J' },
    { name: 'micro', arity: 'none', id: 'micro' },
    { name: 'nano', arity: 'none', id: 'nano' },
    { name: 'time-stamp-precision', arity: 'required', id: 'time-stamp-precision' },
    { name: 'dont-verify-checksums', arity: 'none', id: 'K' },
    { name: 'list-data-link-types', arity: 'none', id: 'L' },
    { name: 'no-optimize', arity: 'none', id: 'O' },
    { name: 'no-promiscuous-mode', arity: 'none', id: 'p' },
    { name: 'direction', arity: 'required', id: 'Q' },
    { name: 'snapshot-length', arity: 'required', id: 's' },
    { name: 'absolute-tcp-sequence-numbers', arity: 'none', id: 'S' },
    { name: 'packet-buffered', arity: 'none', id: 'U' },
    { name: 'linktype', arity: 'required', id: 'y' },
    { name: 'immediate-mode', arity: 'none', id: 'immediate-mode' },
    { name: 'relinquish-privileges', arity: 'required', id: 'Z' },
    { name: 'count', arity: 'none', id: 'count' },
    { name: 'fp-type', arity: 'none', id: 'fp-type' },
    { name: 'number', arity: 'none', id: '#' },
    { name: 'print', arity: 'none', id: 'print' },
    { name: 'version', arity: 'none', id: 'version' },
  ],
};

type Allowed = true | ((value: string) => string | undefined);
const WORD = (v: string) => (/^[A-Za-z0-9_.-]{1,32}$/.test(v) ? undefined : `expected a word, got "${v}"`);
const ALLOWED: Record<string, Allowed> = {
  a: true, A: true, b: true, B: rules.count, c: rules.count, d: true, D: true, e: true, f: true, h: true, H: true,
  // A number is an entry of `tcpdump -D`'s list, which also holds libpcap's other capture sources (the D-Bus buses).
  i: (v) => (v === 'any' ? undefined : /^\d+$/.test(v) ? `expected an interface's name, got "${v}", which tcpdump reads as an entry of its -D list (where libpcap's D-Bus and netfilter sources stand too)` : rules.ifname(v)),
  // `-j adapter*` turns on the device's hardware time stamping and `-I` a wireless card's monitor mode: the NIC's settings, which nothing puts back.
  j: (v) => (v === 'host' ? undefined : `sets time stamp type "${v}"; only host is allowed (the adapter types change the device's hardware settings, which nothing puts back)`), J: true, K: true, l: true, L: true,
  n: true, N: true, O: true, p: true, q: true, Q: (v) => (['in', 'out', 'inout'].includes(v) ? undefined : `expected in, out or inout, got "${v}"`),
  s: rules.count, S: true, t: true, T: WORD, u: true, U: true, v: true, x: true, X: true, y: WORD, Y: true, '#': true,
  micro: true, nano: true, 'time-stamp-precision': WORD, 'immediate-mode': true, count: true, 'fp-type': true, print: true, version: true,
  // Only to standard output, which vxlab reads: its own capture check runs `tcpdump ... -w -`.
  w: (v) => (v === '-' ? undefined : 'writes a file'),
};
const WHY: Record<string, string> = {
  r: 'reads a capture file', V: 'reads a list of capture files', F: 'reads the filter from a file', z: 'runs a command on each saved file',
  Z: 'changes user and may chroot', C: 'rotates saved files', G: 'rotates saved files', W: 'limits saved files', E: 'may read its secrets from a file',
  M: 'takes a TCP-MD5 secret', m: 'loads MIB files',
};

/** Reads `tcpdump ...` with argv[base] = "tcpdump". */
export function readTcpdump(argv: readonly string[], base: number): Reading {
  const parsed = getoptLong(argv, base + 1, TCPDUMP_GETOPT);
  if (isProblem(parsed)) return { problem: parsed };
  for (const option of parsed.options) {
    const rule = ALLOWED[option.id];
    const spelled = argv[option.index] === option.spelled ? `\`${option.spelled}\`` : `\`${option.spelled}\` (in \`${argv[option.index]}\`)`;
    if (option.id === 'I') return refuse(option.index, `uses ${spelled}, which puts a wireless card in monitor mode, a setting of the device that nothing puts back`);
    if (!rule || (option.id === 'w' && option.value !== '-')) {
      const why = option.id === 'w' ? 'writes a file other than standard output' : WHY[option.id];
      if (!why) return refuse(option.index, `uses ${spelled}, which is not an option vxlab allows for tcpdump`);
      return refuse(option.index, `uses ${spelled}, which reads or writes files or runs commands outside the lab (it ${why}); use a capture check instead`);
    }
    if (rule !== true && option.value !== undefined) {
      const problem = rule(option.value);
      if (problem) return refuse(option.valueIndex ?? option.index, `${option.spelled} ${problem}`);
    }
  }
  for (const operand of parsed.operands) {
    const problem = filterProblem(operand.value);
    if (problem) return refuse(operand.index, problem.message);
  }
  const facts: CommandFacts = { program: 'tcpdump', usesGuestNamespace: false, writesSysctl: false, createdInterfaces: [] };
  return { facts };
}

/**
 * A capture filter's word that starts with `-` (a lone `-` is subtraction): tcpdump would read it
 * as an option if it ever stood before `--`, so vxlab refuses it wherever it stands.
 */
export function filterProblem(filter: string): { offset: number; message: string } | undefined {
  const word = /(?:^|\s)(-[^\s]+)/.exec(filter);
  if (word) {
    const offset = word.index + word[0].indexOf('-');
    return { offset, message: `has filter word "${word[1]}", which starts with "-"; a filter is an expression such as "udp port 4789", never an option` };
  }
  return lookupProblem(filter);
}

/**
 * Filter keywords vxlab lets through (libpcap 1.10 scanner.l): what a lab's capture needs. Any
 * other identifier is one pcap_compile would look up as a name where tcpdump runs (a host name
 * through the resolver, /etc/ethers, /etc/networks, /etc/services, /etc/protocols): refused.
 */
const FILTER_KEYWORDS = new Set([
  'dst', 'src', 'link', 'ether', 'arp', 'rarp', 'ip', 'ip6', 'tcp', 'udp', 'icmp', 'icmp6', 'igmp', 'sctp', 'stp', 'llc',
  'host', 'net', 'mask', 'port', 'portrange', 'proto', 'less', 'greater', 'broadcast', 'multicast',
  'and', 'or', 'not', 'len', 'length', 'inbound', 'outbound', 'vlan', 'mpls', 'geneve',
  'icmptype', 'icmpcode', 'icmp6type', 'icmp6code', 'tcpflags',
  'icmp-echoreply', 'icmp-unreach', 'icmp-redirect', 'icmp-echo', 'icmp-timxceed', 'icmp-paramprob',
  'icmp6-destinationunreach', 'icmp6-packettoobig', 'icmp6-timeexceeded', 'icmp6-parameterproblem', 'icmp6-echo', 'icmp6-echoreply',
  'icmp6-neighborsolicit', 'icmp6-neighboradvert', 'icmp6-routersolicit', 'icmp6-routeradvert',
  'tcp-fin', 'tcp-syn', 'tcp-rst', 'tcp-push', 'tcp-ack', 'tcp-urg', 'tcp-ece', 'tcp-cwr',
]);
/** Numbers (decimal, 0x hex), dotted IPv4 (1 to 4 parts), and words with colons (IPv6, MAC, `udp[8:2]`'s offsets). */
const FILTER_LITERAL = /^(?:(?:0x[0-9a-fA-F]+|\d+)(?:\.\d+){0,3}|[0-9a-fA-F.]*:[0-9a-fA-F:.]*)$/;

function lookupProblem(filter: string): { offset: number; message: string } | undefined {
  // A backslash makes a keyword a name (`ip proto \\tcp` reads /etc/protocols); quotes have no place.
  const odd = /[^A-Za-z0-9_.:\-\s()[\]&|!=<>+*/%^~]/.exec(filter);
  if (odd) return { offset: odd.index, message: `has "${odd[0]}" in its filter, which vxlab does not let through; a filter is words, numbers and addresses such as "udp port 4789"` };
  for (const token of filter.matchAll(/[A-Za-z0-9_.:-]+/g)) {
    const t = token[0];
    if (t === '-' || FILTER_LITERAL.test(t) || FILTER_KEYWORDS.has(t)) continue;
    return { offset: token.index, message: `has "${t}" in its filter, which tcpdump would look up as a name (a host, network, port or protocol) where it runs; write an address or a number, or a keyword such as udp, port, host` };
  }
  return undefined;
}
