// `ping` (iputils): an explicit list of options with their arity; none reaches a file.
// Followed: iputils 20221126 ping/ping.c:360 (the getopt string; glibc getopt permutes, so an
// option after the address still counts).
import { getoptLong, isProblem, type GetoptSpec } from './getopt.ts';
import { refuse, type Reading } from './types.ts';

export const PING_GETOPT: GetoptSpec = { shorts: 'h?4bRT:6F:N:aABc:CdDe:fi:I:l:Lm:M:nOp:qQ:rs:S:t:UvVw:W:', longs: [] };

/** Reads `ping ...` with argv[base] = "ping". */
export function readPing(argv: readonly string[], base: number): Reading {
  const parsed = getoptLong(argv, base + 1, PING_GETOPT);
  if (isProblem(parsed)) return { problem: parsed };
  const help = parsed.options.some((o) => ['h', '?', 'V'].includes(o.id));
  if (parsed.operands.length === 0 && !help) return refuse(base, 'needs an address to ping');
  return { facts: { program: 'ping', usesGuestNamespace: false, writesSysctl: false, createdInterfaces: [] } };
}
