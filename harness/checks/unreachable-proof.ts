// The stronger proof of an "unreachable" ping run inside a capture (issue 12): the capture shows
// its request leaving (the echo request, or the ARP request that must come first) and holds no
// answer to it, up to the next action or the capture's drain, which is after ping stopped waiting. Pure.
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
  /** When the capture's next action began (Infinity after the last): what follows may be its traffic. */
  answersUntil: number;
}

export type UnreachableProof =
  /** Its requests are in the capture, and no answer to them. */
  | { kind: 'proven'; echoRequests: number; arpRequests: number; until: 'the next action' | 'the drain' }
  /** The capture's filter (or interface) leaves its requests out: ping's own window is the evidence. */
  | { kind: 'not-seen' }
  /** Something answered it after all: a reply ping did not wait for. */
  | { kind: 'answered'; answers: TimedFrame[] };

// A packet's stamp and the clock read around the ping may differ by the clock's own resolution.
const SLACK_S = 0.002;

/** A frame, or a frame a VXLAN packet carries, with the packet that carries it. */
interface Layer {
  frame: Frame;
  carrier?: Frame;
}

function layers(frame: Frame): Layer[] {
  const all: Layer[] = [{ frame }];
  for (let f: Frame = frame; f.inner; f = f.inner) all.push({ frame: f.inner, carrier: f });
  return all;
}

interface Request extends Layer {
  time: number;
}

/** Is `reply` on the way back of `request`: to the requester's MAC, in the same VNI, to the requester's VTEP? */
function backTo(request: Request, reply: Layer): boolean {
  if (reply.frame.eth.dst !== request.frame.eth.src) return false;
  if (!request.carrier || !reply.carrier) return !request.carrier && !reply.carrier;
  return reply.carrier.vxlan?.vni === request.carrier.vxlan?.vni && reply.carrier.ip?.dst === request.carrier.ip?.src;
}

/** Does `reply` (stamped `time`) answer `request` of a ping that stopped waiting at `end`? */
function answers(request: Request, reply: Layer, time: number, end: number): boolean {
  if (time < request.time || !backTo(request, reply)) return false;
  const [q, r] = [request.frame, reply.frame];
  if (q.icmp?.type === 'echo-request') return r.icmp?.type === 'echo-reply' && r.ip?.src === q.ip?.dst && r.ip?.dst === q.ip?.src && r.icmp.id === q.icmp.id;
  // An ARP reply in time is no answer to the ping: its echo then went out, and is judged by its own reply
  // (a lab that passes ARP but drops the echo, too big for a link, is rightly unreachable).
  return time > end + SLACK_S && r.arp?.op === 'reply' && r.arp.senderIp === q.arp?.targetIp && r.arp.targetIp === q.arp.senderIp && r.arp.targetMac === q.arp.senderMac;
}

/**
 * Judges a ping to `to` that ping itself called unreachable against the frames of a capture that
 * ran around it. Only answers to this ping's own requests count, each on the way back of one of
 * them (same ICMP id, or the ARP requester's addresses; same VNI, to the requester's MAC and VTEP),
 * and only before the capture's next action began: a later ping's traffic is not this one's.
 */
export function proveUnreachable(to: string, span: Span, frames: readonly TimedFrame[]): UnreachableProof {
  const requests: Request[] = [];
  for (const { time, frame } of frames) {
    if (time < span.start - SLACK_S || time > span.end + SLACK_S) continue;
    for (const layer of layers(frame)) {
      const f = layer.frame;
      const echo = f.ip?.dst === to && f.icmp?.type === 'echo-request' && f.icmp.id !== undefined;
      const arp = f.arp?.op === 'request' && f.arp.targetIp === to;
      if (echo || arp) requests.push({ ...layer, time });
    }
  }
  if (requests.length === 0) return { kind: 'not-seen' };
  const found = frames.filter(({ time, frame }) => time <= span.answersUntil + SLACK_S && layers(frame).some((layer) => requests.some((q) => answers(q, layer, time, span.end))));
  if (found.length > 0) return { kind: 'answered', answers: found };
  const echoRequests = requests.filter((q) => q.frame.icmp).length;
  return { kind: 'proven', echoRequests, arpRequests: requests.length - echoRequests, until: span.answersUntil === Infinity ? 'the drain' : 'the next action' };
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
  // "holds no answer", not "none came": a filter may leave answers out, which the capture cannot tell.
  return `${what}: the capture shows it left (${sent}) and holds no answer to it up to ${proof.until}`;
}

/** When the pcap's stamps are another machine's clock (a real host's), the proof cannot place the ping in them. */
export function describeOtherClock(what: string, windowMs: number): string {
  return `${what}: this capture is stamped by the node's own clock, not this harness's, so ping's own ${windowMs} ms wait is the evidence`;
}
