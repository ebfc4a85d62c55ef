// The ping check: from a node (or a namespace inside it) to an address, reachable or not.
import type { PingSpec } from '../scenario/schema.ts';
import { renderArgv } from '../policy/command-line.ts';
import type { ExecResult } from '../util/process.ts';
import type { CheckContext, CheckOutcome } from './types.ts';

/** In a guest namespace a command runs through `ip netns exec`, exactly as a learner would type it. */
export function inNetns(netns: string | undefined, argv: string[]): string[] {
  return netns ? ['ip', 'netns', 'exec', netns, ...argv] : argv;
}

/**
 * Echoes 2 ms apart: the shortest interval iputils allows a user other than root (node commands
 * run as nobody), about 7x the slowest in-lab round trip measured under load (NOTES, issue 12).
 */
export const PING_INTERVAL_S = 0.002;

/**
 * How long an "unreachable" ping waits for a reply after its last echo (`ping -W`): at least 20x
 * the 99.9th percentile of the in-lab round-trip time measured with 8 runs at once on the
 * development machine (0.27 ms for an echo that must first resolve its neighbour; NOTES, issue 12),
 * rounded up to 100 ms for a shared machine's scheduling stalls.
 */
export const UNREACHABLE_WINDOW_S = 0.1;

/**
 * Exactly `count` echoes, then reachable waits up to 5 s for the replies (ping ends as soon as all
 * are back) and unreachable waits its window. Never `-w`: with a deadline ping sends on until
 * `count` replies arrive, so a slow first reply (an ARP under load) made captures that count
 * echoes see a dozen.
 */
export function pingArgv(spec: PingSpec): string[] {
  const wait = ['-W', String(replyWaitSeconds(spec))];
  const argv = ['ping', '-n', '-c', String(spec.count), '-i', String(PING_INTERVAL_S), ...wait];
  if (spec.size !== undefined) argv.push('-s', String(spec.size));
  if (spec.dontFragment) argv.push('-M', 'do');
  argv.push(spec.to);
  return inNetns(spec.netns, argv);
}

/** How long a ping waits for replies after its last echo (`-W`): what `explain` says and the proof names. */
export function replyWaitSeconds(spec: Pick<PingSpec, 'expect' | 'timeoutSeconds'>): number {
  return spec.timeoutSeconds ?? (spec.expect === 'reachable' ? 5 : UNREACHABLE_WINDOW_S);
}

/** How long an unreachable ping waits for a reply after its last echo, in ms. */
export function unreachableWindowMs(spec: PingSpec): number {
  return Math.round(replyWaitSeconds(spec) * 1000);
}

export interface PingCounts {
  transmitted: number;
  received: number;
}

export function parsePingCounts(stdout: string): PingCounts | undefined {
  const match = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(stdout);
  return match ? { transmitted: Number(match[1]), received: Number(match[2]) } : undefined;
}

export function judgePing(spec: PingSpec, result: ExecResult): CheckOutcome {
  const counts = parsePingCounts(result.stdout);
  const output = `${result.stdout}${result.stderr}`.trim();
  const diagnostics: Record<string, unknown> = { node: spec.from, ...(spec.netns ? { netns: spec.netns } : {}), command: renderArgv(pingArgv(spec)) };
  if (!counts) {
    return { status: 'fail', reason: 'ping did not report its counts', diagnostics: { ...diagnostics, expected: spec.expect, got: `no statistics (exit code ${result.exitCode})`, output } };
  }
  const got = `${counts.received} of ${counts.transmitted} echo requests answered`;
  if (spec.expect === 'reachable') {
    const pass = result.exitCode === 0 && counts.received >= spec.count;
    return {
      status: pass ? 'pass' : 'fail',
      diagnostics: { ...diagnostics, expected: `${spec.count} replies from ${spec.to}`, got, ...(pass ? {} : { output }) },
    };
  }
  const pass = counts.received === 0;
  return {
    status: pass ? 'pass' : 'fail',
    diagnostics: { ...diagnostics, expected: `no reply from ${spec.to}`, got, ...(pass ? {} : { output }) },
  };
}

export async function runPing(spec: PingSpec, ctx: CheckContext): Promise<CheckOutcome> {
  const argv = pingArgv(spec);
  const deadlineMs = (spec.timeoutSeconds ?? 5) * 1000 + 5000;
  const result = await ctx.lab.node(spec.from).exec(argv, { timeoutMs: deadlineMs, ...(ctx.signal ? { signal: ctx.signal } : {}) });
  return judgePing(spec, result);
}

/** Pings to many targets, all at once: one outcome, failing with the evidence of each failed ping. */
export async function runPings(specs: readonly PingSpec[], ctx: CheckContext): Promise<CheckOutcome> {
  const outcomes = await Promise.all(specs.map((spec) => runPing(spec, ctx)));
  const failed = outcomes.map((o, i) => ({ o, spec: specs[i]! })).filter(({ o }) => o.status !== 'pass');
  const first = specs[0]!;
  const expected = `${first.expect === 'reachable' ? 'replies' : 'no reply'} from all ${specs.length} addresses`;
  if (failed.length === 0) return { status: 'pass', diagnostics: { node: first.from, expected, got: `as expected from all ${specs.length}` } };
  return {
    status: 'fail',
    reason: `${failed.length} of ${specs.length} pings failed: ${failed.slice(0, 5).map(({ spec }) => spec.to).join(', ')}${failed.length > 5 ? ', ...' : ''}`,
    diagnostics: { node: first.from, expected, got: `${specs.length - failed.length} of ${specs.length} as expected`, failed: failed.map(({ o }) => o.diagnostics) },
  };
}
