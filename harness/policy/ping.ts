// `ping` (iputils): an explicit list of options with their arity; none reaches a file.
// Followed: iputils 20221126 ping/ping.c:360 (the getopt string; glibc getopt permutes, so an
// option after the address still counts).
import { getoptLong, isProblem, type GetoptSpec } from './getopt.ts';
import { isIP } from 'node:net';
import { refuse, type Reading } from './types.ts';

export const PING_GETOPT: GetoptSpec = { shorts: 'h?4bRT:6F:N:aABc:CdDe:fi:I:l:Lm:M:nOp:qQ:rs:S:t:UvVw:W:', longs: [] };

/** Reads `ping ...` with argv[base] = "ping". */
export function readPing(argv: readonly string[], base: number): Reading {
  const parsed = getoptLong(argv, base + 1, PING_GETOPT);
  if (isProblem(parsed)) return { problem: parsed };
  const help = parsed.options.some((o) => ['h', '?', 'V'].includes(o.id));
  if (parsed.operands.length === 0 && !help) return refuse(base, 'needs an address to ping');
  // A name would be looked up where ping runs (a real host's resolver, its /etc/hosts).
  for (const operand of parsed.operands) {
    if (!isAddressLiteral(operand.value)) return refuse(operand.index, `pings "${operand.value}", which is not an IPv4 address (a.b.c.d) or an IPv6 address, so ping would look it up as a name; write the address`);
  }
  return { facts: { program: 'ping', usesGuestNamespace: false, writesSysctl: false, createdInterfaces: [] } };
}

/** An address getaddrinfo takes as it is: dotted-quad IPv4, or IPv6 without a scope (`%DEV` would pick any interface). */
const isAddressLiteral = (word: string): boolean => (isIP(word) === 4 && /^\d+\.\d+\.\d+\.\d+$/.test(word)) || (isIP(word) === 6 && !word.includes('%'));
