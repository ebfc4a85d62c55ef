// The stronger proof of an "unreachable" ping run inside a capture (issue 12): the capture shows
// its request leaving (the echo request, or the ARP request that must come first) and nothing
// answering it by the time the capture drained, which is after ping stopped waiting. Pure.
import type { Frame } from '../packets/decode.ts';
import { describeFrame } from '../packets/describe.ts';

export interface TimedFrame {
  /** Seconds since the epoch, as the pcap stamps it. */
  time: number;
  frame: Frame;
}

/** When the ping ran, on the same clock as the pcap (seconds since the epoch). */
export interface Span {
  start: number;
  end: number;
}

export type UnreachableProof =
  /** Its requests are in the capture, and nothing that answers them. */
  | { kind: 'proven'; echoRequests: number; arpRequests: number }
  /** The capture's filter (or interface) leaves its requests out: ping's own window is the evidence. */
  | { kind: 'not-seen' }
  /** Something answered it after all: a reply ping did not wait for. */
  | { kind: 'answered'; answers: TimedFrame[] };

// A packet's stamp and the clock read around the ping may differ by the clock's own resolution.
const SLACK_S = 0.002;

/** The frame and every frame it carries (a VXLAN packet's inner frame). */
function layers(frame: Frame): Frame[] {
  const all: Frame[] = [];
  for (let f: Frame | undefined = frame; f; f = f.inner) all.push(f);
  return all;
}

/**
 * Judges a ping to `to` that ping itself called unreachable against the frames of a capture that
 * ran around it. Only answers to this ping's own requests count: an echo reply from `to` with one
 * of its echo requests' ids to their sender, or an ARP reply from `to` to one of its ARP requests'
 * senders that came after ping stopped waiting (ping gave up for want of it).
 */
export function proveUnreachable(to: string, span: Span, frames: readonly TimedFrame[]): UnreachableProof {
  const during = (time: number) => time >= span.start - SLACK_S && time <= span.end + SLACK_S;
  const echoIds = new Set<number>();
  const echoSenders = new Set<string>();
  const arpSenders = new Set<string>();
  let echoRequests = 0;
  let arpRequests = 0;
  let firstArp = Infinity;
  for (const { time, frame } of frames) {
    if (!during(time)) continue;
    for (const l of layers(frame)) {
      if (l.ip?.dst === to && l.icmp?.type === 'echo-request' && l.icmp.id !== undefined) {
        echoRequests += 1;
        echoIds.add(l.icmp.id);
        echoSenders.add(l.ip.src);
      }
      if (l.arp?.op === 'request' && l.arp.targetIp === to) {
        arpRequests += 1;
        arpSenders.add(l.arp.senderIp);
        firstArp = Math.min(firstArp, time);
      }
    }
  }
  if (echoRequests === 0 && arpRequests === 0) return { kind: 'not-seen' };
  const answers = frames.filter(({ time, frame }) =>
    layers(frame).some(
      (l) =>
        (time >= span.start - SLACK_S && l.ip?.src === to && echoSenders.has(l.ip.dst) && l.icmp?.type === 'echo-reply' && l.icmp.id !== undefined && echoIds.has(l.icmp.id)) ||
        // An ARP reply in time is no answer to the ping: its echo then went out, and is judged by its own reply
        // (a lab that passes ARP but drops the echo, too big for a link, is rightly unreachable).
        (time > Math.max(firstArp, span.end + SLACK_S) && l.arp?.op === 'reply' && l.arp.senderIp === to && arpSenders.has(l.arp.targetIp)),
    ),
  );
  return answers.length > 0 ? { kind: 'answered', answers } : { kind: 'proven', echoRequests, arpRequests };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The proof in words, for the check's evidence; `what` names the ping, `windowMs` is how long ping waited. */
export function describeProof(what: string, proof: UnreachableProof, windowMs: number): string {
  if (proof.kind === 'not-seen') return `${what}: its requests are not in this capture, so ping's own ${windowMs} ms wait is the evidence`;
  if (proof.kind === 'answered') {
    const first = proof.answers[0]!;
    return `${what}: ping saw no reply within its ${windowMs} ms, but the capture shows ${plural(proof.answers.length, 'answer')}: ${describeFrame(first.frame)}`;
  }
  const sent = [proof.echoRequests > 0 ? plural(proof.echoRequests, 'echo request') : '', proof.arpRequests > 0 ? plural(proof.arpRequests, 'ARP request') : ''].filter(Boolean).join(' and ');
  return `${what}: the capture shows it left (${sent}) and nothing answered it until the capture drained`;
}
