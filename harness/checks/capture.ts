// The capture check: tcpdump on a node's interface around some actions; the pcap is decoded
// down to the VXLAN header and the inner frame, and packets are counted against expectations.
import type { Action, Command } from '../lab/model.ts';
import { describeFrame } from '../packets/describe.ts';
import { decodeEthernet, frameProblems, type Frame } from '../packets/decode.ts';
import { LINKTYPE_ETHERNET, readPcap } from '../packets/pcap.ts';
import type { CaptureSpec, Count, PacketMatch, PingSpec } from '../scenario/schema.ts';
import { renderArgv } from '../policy/command-line.ts';
import { CAPTURE_OUTPUT_LIMIT, describeSize } from '../util/bounded-output.ts';
import { errorMessage } from '../util/errors.ts';
import { pollUntil } from '../util/poll.ts';
import type { BackgroundProcess } from '../util/process.ts';
import { copiesPerPacket, describeUndrained, drain, readCounts, type DrainVerdict } from './capture-drain.ts';
import { compact, matches } from './match.ts';
import { runPing, unreachableWindowMs } from './ping.ts';
import { describeOtherClock, describeProof, proveUnreachable, type TimedFrame } from './unreachable-proof.ts';
import type { CheckContext, CheckOutcome } from './types.ts';

export const MAX_PACKETS_SHOWN = 40;

export function tcpdumpArgv(spec: Pick<CaptureSpec, 'interface' | 'filter'>): string[] {
  // --immediate-mode hands each packet over at once (-U alone loses them here); -w - streams pcap.
  // The filter comes after `--`, so no word of it can ever be read as an option.
  return ['tcpdump', '-i', spec.interface, '-n', '-U', '--immediate-mode', '-w', '-', ...(spec.filter ? ['--', spec.filter] : [])];
}

export function describeCount(count: Count): string {
  if (typeof count === 'number') return count === 0 ? 'none' : `exactly ${count}`;
  if (count.min !== undefined && count.max !== undefined) return `${count.min} to ${count.max}`;
  if (count.min !== undefined) return `at least ${count.min}`;
  if (count.max !== undefined) return `at most ${count.max}`;
  return 'any number';
}

export function countHolds(count: Count, n: number): boolean {
  if (typeof count === 'number') return n === count;
  return (count.min === undefined || n >= count.min) && (count.max === undefined || n <= count.max);
}

export interface ExpectationVerdict {
  that: string;
  expected: string;
  got: number;
  pass: boolean;
}

/** Counts the frames each expectation matches. Pure. */
export function judgeFrames(expect: CaptureSpec['expect'], frames: Frame[]): ExpectationVerdict[] {
  return expect.map((e) => {
    const got = frames.filter((f) => matches(e.match as PacketMatch, f)).length;
    return { that: e.that, expected: describeCount(e.count), got, pass: countHolds(e.count, got) };
  });
}

/** Has this much pcap every one of `written` records whole? (A stream still arriving may not.) */
function holdsRecords(bytes: Buffer, written: number): boolean {
  try {
    const pcap = readPcap(bytes);
    return pcap.records.length >= written && pcap.trailingBytes === 0;
  } catch {
    return false;
  }
}

/**
 * The pcap tcpdump wrote, and tcpdump stopped. Once every packet it counted has arrived, the
 * capture is judged at once: closing its packet socket waits out an RCU grace period (20-40 ms
 * here), which the lab's teardown waits for instead (it stops every background process).
 */
async function collect(tcpdump: BackgroundProcess, written: number | undefined): Promise<Buffer> {
  // No packet: the pcap header may sit in tcpdump's stdio buffer until it exits.
  if (written !== undefined && written > 0 && tcpdump.stdoutCut === 0) {
    const arrived = () => {
      const bytes = tcpdump.stdout;
      return holdsRecords(bytes, written) ? bytes : undefined;
    };
    const whole = await pollUntil(arrived, { what: 'the pcap of every packet tcpdump wrote', timeoutMs: 2000 }).catch(() => undefined);
    if (whole) {
      void tcpdump.stop().catch(() => undefined);
      return whole;
    }
  }
  await tcpdump.stop();
  return tcpdump.stdout;
}

/** What the actions did, and what went wrong: a failed command or a ping against its `expect` fails the check. */
interface DuringLog {
  actions: string[];
  /** One line each. */
  problems: string[];
  /** What the failed commands and pings printed. */
  outputs: string[];
}

/** Runs commands during a capture; one that fails is a problem of the check, with its output. */
async function runCommands(ctx: CheckContext, node: string, commands: Command[], log: DuringLog): Promise<void> {
  for (const command of commands) {
    const result = await ctx.lab.node(node).exec(command.argv, ctx.signal ? { signal: ctx.signal } : {});
    const output = `${result.stdout}${result.stderr}`.trim();
    log.actions.push(`${node}: ${command.text}${result.exitCode === 0 ? '' : ` (exit code ${result.exitCode}: ${output})`}`);
    if (result.exitCode !== 0) {
      const firstLine = output.split('\n')[0] ?? '';
      log.problems.push(`during: ${node}: ${command.text} failed with exit code ${result.exitCode}${firstLine ? `: ${firstLine}` : ''}`);
      if (output) log.outputs.push(output);
    }
  }
}

/** The capture proof of each unreachable ping that ping passed (unreachable-proof.ts): its lines, and an answer as a problem. */
function judgeUnreachable(pings: { what: string; spec: PingSpec; index: number; start: number; end: number }[], actionStarts: number[], frames: TimedFrame[], sharedClock: boolean, diagnostics: Record<string, unknown>, log: DuringLog): void {
  if (pings.length === 0) return;
  // A real host stamps its packets with its own clock, which the ping's span cannot be placed in.
  if (!sharedClock) {
    diagnostics.unreachable = pings.map((p) => describeOtherClock(p.what, unreachableWindowMs(p.spec)));
    return;
  }
  diagnostics.unreachable = pings.map((p) => {
    const proof = proveUnreachable(p.spec.to, { start: p.start, end: p.end, answersUntil: actionStarts[p.index + 1] ?? Infinity }, frames);
    if (proof.kind === 'answered') log.problems.push(`during: ${p.what} expected no reply, and the capture shows ${proof.answers.length === 1 ? 'one' : proof.answers.length} coming back after ping stopped waiting`);
    return describeProof(p.what, proof, unreachableWindowMs(p.spec));
  });
}

export async function runCapture(
  spec: Omit<CaptureSpec, 'during'>,
  during: Action[],
  vxlanPorts: readonly number[],
  ctx: CheckContext,
): Promise<CheckOutcome> {
  const argv = tcpdumpArgv(spec);
  const diagnostics: Record<string, unknown> = { node: spec.node, command: renderArgv(argv) };
  const tcpdump = ctx.lab.node(spec.node).start(argv);
  const log: DuringLog = { actions: [], problems: [], outputs: [] };
  const { actions } = log;
  const unreachable: { what: string; spec: PingSpec; index: number; start: number; end: number }[] = [];
  const actionStarts: number[] = [];
  let drained: DrainVerdict;
  try {
    await tcpdump.waitForStderr(/listening on/, { timeoutMs: 5000, what: 'tcpdump to start listening' });
    // Bounds the packets from before the filter was set, which tcpdump counts and never writes.
    const atListening = await readCounts(tcpdump);
    await ctx.listening?.();
    for (const action of during) {
      // The moment each action begins bounds the answers to the one before it (the proof below).
      const start = Date.now() / 1000;
      actionStarts.push(start);
      if (action.kind === 'ping') {
        const outcome = await runPing(action.spec, ctx);
        const what = `ping from ${action.spec.from}${action.spec.netns ? ` (${action.spec.netns})` : ''} to ${action.spec.to}`;
        actions.push(`${what}: ${String(outcome.diagnostics.got)}`);
        // Judged again from the pcap below: its request left, and no answer to it.
        if (action.spec.expect === 'unreachable' && outcome.status === 'pass') unreachable.push({ what, spec: action.spec, index: actionStarts.length - 1, start, end: Date.now() / 1000 });
        if (outcome.status !== 'pass') {
          log.problems.push(`during: ${what} expected ${String(outcome.diagnostics.expected)}, got ${String(outcome.diagnostics.got)}`);
          if (typeof outcome.diagnostics.output === 'string' && outcome.diagnostics.output) log.outputs.push(outcome.diagnostics.output);
        }
      } else {
        await runCommands(ctx, action.node, action.commands, log);
      }
    }
    drained = await drain(tcpdump, atListening, copiesPerPacket(spec.interface));
    if (drained.beforeFilter > 0) diagnostics.beforeFilter = `${drained.beforeFilter} packet${drained.beforeFilter === 1 ? '' : 's'} from before the filter was set, discarded by libpcap`;
  } catch (error) {
    await tcpdump.stop(500);
    // An interrupt is not this check's failure: let the runner tear down and bail out.
    if (ctx.signal?.aborted) throw ctx.signal.reason;
    return { status: 'fail', reason: errorMessage(error), diagnostics: { ...diagnostics, got: errorMessage(error), during: actions } };
  }
  const bytes = await collect(tcpdump, drained.complete ? drained.counts.captured : undefined);
  if (tcpdump.stdoutCut > 0) {
    const reason = `tcpdump wrote more than the ${describeSize(CAPTURE_OUTPUT_LIMIT.headBytes)} of pcap a capture may hold (${describeSize(tcpdump.stdoutCut)} more); narrow its filter`;
    return { status: 'fail', reason, diagnostics: { ...diagnostics, got: reason, during: actions } };
  }

  // Kept before it is read, so a capture that fails to decode can still be opened in Wireshark.
  if (ctx.keepPcap) diagnostics.pcap = await ctx.keepPcap(bytes, spec.node);
  const pcap = readPcap(bytes);
  if (pcap.linkType !== LINKTYPE_ETHERNET) {
    return { status: 'fail', reason: `link type ${pcap.linkType} is not Ethernet`, diagnostics: { ...diagnostics, got: `link type ${pcap.linkType}` } };
  }
  const frames = pcap.records.map((r) => decodeEthernet(r.data, { vxlanPorts }));
  judgeUnreachable(unreachable, actionStarts, pcap.records.map((r, i) => ({ time: r.time, frame: frames[i]! })), ctx.lab.sharedClock === true, diagnostics, log);
  // A frame cut short or malformed may hide what an expectation counts: the check cannot judge it.
  const decodeProblems = pcap.records.flatMap((r, i) => {
    const problems = frameProblems(frames[i]!);
    if (r.data.length < r.originalLength) problems.unshift(`truncated: ${r.data.length} of ${r.originalLength} bytes captured`);
    return problems.length ? [`packet ${i + 1}: ${problems.join('; ')}`] : [];
  });
  if (decodeProblems.length > 0) log.problems.push(`${decodeProblems.length} packet${decodeProblems.length === 1 ? '' : 's'} could not be decoded in full: ${decodeProblems.slice(0, 3).join(' | ')}${decodeProblems.length > 3 ? ' | ...' : ''}`);
  // Packets tcpdump accepted but never wrote could be the very ones an expectation counts.
  if (!drained.complete) log.problems.push(describeUndrained(drained.counts));
  const verdicts = judgeFrames(spec.expect, frames);
  const failed = verdicts.filter((v) => !v.pass);
  if (failed.length === 0 && log.problems.length === 0) return { status: 'pass', diagnostics: { ...diagnostics, packets: frames.length } };
  const shown = frames.slice(0, MAX_PACKETS_SHOWN).map(describeFrame);
  if (frames.length > shown.length) shown.push(`... and ${frames.length - shown.length} more`);
  return {
    status: 'fail',
    reason: [...failed.map((v) => `${v.that}: expected ${v.expected}, got ${v.got}`), ...log.problems].join('; '),
    diagnostics: {
      ...diagnostics,
      ...(failed.length && log.problems.length ? { problems: log.problems } : {}),
      ...(log.outputs.length ? { output: log.outputs.join('\n\n') } : {}),
      ...(decodeProblems.length ? { decodeProblems } : {}),
      ...(failed.length
        ? {
            expected: failed.map((v) => ({ that: v.that, count: v.expected, match: compact(spec.expect.find((e) => e.that === v.that)?.match) })),
            got: failed.map((v) => `${v.got} matching packet${v.got === 1 ? '' : 's'} for: ${v.that}`),
          }
        : { expected: 'every action as it says, and every accepted packet written and decoded', got: [...log.problems] }),
      during: actions,
      packets: shown,
    },
  };
}
