// An "unreachable" ping inside a capture, judged again from the capture's frames.
import { describe, expect, it } from 'vitest';
import type { Frame } from '../packets/decode.ts';
import { describeOtherClock, describeProof, proveUnreachable, type TimedFrame } from './unreachable-proof.ts';

const A = '02:00:00:00:00:a1'; // node0's vxlan0 (10.20.1.2)
const B = '02:00:00:00:00:b1'; // the target's
const C = '02:00:00:00:00:c1'; // another node's, in another VNI
const ip = (src: string, dst: string) => ({ src, dst, protocol: 'icmp', ttl: 64, df: false, length: 84, multicast: false });
const echo = (type: 'echo-request' | 'echo-reply', src: string, dst: string, id: number, [from, to] = type === 'echo-request' ? [A, B] : [B, A]): Frame => ({
  eth: { src: from!, dst: to!, type: 'ipv4' },
  ip: ip(src, dst),
  icmp: { type, code: 0, id, seq: 1 },
});
const arp = (op: 'request' | 'reply', senderIp: string, targetIp: string, [senderMac, targetMac] = op === 'request' ? [A, '00:00:00:00:00:00'] : [B, A]): Frame => ({
  eth: { src: senderMac!, dst: op === 'request' ? 'ff:ff:ff:ff:ff:ff' : targetMac!, type: 'arp' },
  arp: { op, senderMac: senderMac!, senderIp, targetMac: targetMac!, targetIp },
});
/** As the underlay carries it: in VXLAN, between two VTEPs (or to the group). */
const inVxlan = (inner: Frame, { vni = 42, src = '192.168.8.100', dst = '192.168.8.101' } = {}): Frame => ({
  eth: { src: '02:00:00:00:08:00', dst: '02:00:00:00:08:01', type: 'ipv4' },
  ip: { ...ip(src, dst), protocol: 'udp' },
  udp: { srcPort: 40000, dstPort: 4789, length: 100 },
  vxlan: { flags: 8, vni },
  inner,
});
const back = { src: '192.168.8.101', dst: '192.168.8.100' };
const at = (time: number, frame: Frame): TimedFrame => ({ time, frame });

const span = { start: 100, end: 100.2, answersUntil: Infinity };

describe('the capture proof of an unreachable ping', () => {
  it('is proven by its requests leaving with no answer to them, inside VXLAN or not', () => {
    const frames = [at(100.01, inVxlan(arp('request', '10.20.1.2', '10.20.1.5'), { dst: '239.1.1.1' })), at(100.02, echo('echo-request', '10.20.1.2', '10.20.1.9', 7))];
    expect(proveUnreachable('10.20.1.5', span, frames)).toEqual({ kind: 'proven', echoRequests: 0, arpRequests: 1, until: 'the drain' });
    expect(proveUnreachable('10.20.1.9', { ...span, answersUntil: 100.3 }, frames)).toEqual({ kind: 'proven', echoRequests: 1, arpRequests: 0, until: 'the next action' });
    expect(describeProof('ping from node0 to 10.20.1.5', proveUnreachable('10.20.1.5', span, frames), 100)).toBe(
      'ping from node0 to 10.20.1.5: the capture shows it left (1 ARP request) and holds no answer to it up to the drain',
    );
  });

  it('is answered by a reply to its own request that ping did not wait for, however late', () => {
    const request = at(100.01, inVxlan(echo('echo-request', '10.20.1.2', '10.20.1.3', 7)));
    const late = at(100.5, inVxlan(echo('echo-reply', '10.20.1.3', '10.20.1.2', 7), back));
    const proof = proveUnreachable('10.20.1.3', span, [request, late]);
    expect(proof).toEqual({ kind: 'answered', answers: [late] });
    expect(describeProof('ping from node0 to 10.20.1.3', proof, 100)).toMatch(/^ping from node0 to 10\.20\.1\.3: ping saw no reply within its 100 ms, but the capture shows 1 answer: .*\[.*ICMP echo-reply, id 7, seq 1/);
    const arpLate = at(100.4, arp('reply', '10.20.1.3', '10.20.1.2'));
    expect(proveUnreachable('10.20.1.3', span, [at(100.01, arp('request', '10.20.1.2', '10.20.1.3')), arpLate])).toEqual({ kind: 'answered', answers: [arpLate] });
  });

  it('counts no answer to another ping: another id, another sender, or before its own request', () => {
    const frames = [
      at(100.01, echo('echo-request', '10.20.1.2', '10.20.1.3', 7)),
      at(100.02, echo('echo-reply', '10.20.1.3', '10.20.1.2', 8)), // another ping's id
      at(100.03, echo('echo-reply', '10.20.1.3', '10.20.1.4', 7)), // to someone else
      at(99.5, echo('echo-reply', '10.20.1.3', '10.20.1.2', 7)), // before this ping began
      at(100.04, arp('reply', '10.20.1.3', '10.20.1.2')), // no ARP request of this ping's
    ];
    expect(proveUnreachable('10.20.1.3', span, frames).kind).toBe('proven');
    // A request from outside the ping's time is another ping's.
    expect(proveUnreachable('10.20.1.3', span, [at(99, echo('echo-request', '10.20.1.2', '10.20.1.3', 7))]).kind).toBe('not-seen');
  });

  // The 34th attack: the same tenant address in two VNIs, and ICMP ids that repeat across nodes
  // (each node's PID namespace gives its ping the same id).
  it('counts no answer to a host with the same address in another VNI, even with the same ICMP id', () => {
    const frames = [
      at(100.01, inVxlan(arp('request', '10.20.1.1', '10.20.1.9'), { dst: '239.1.1.1' })),
      at(100.02, inVxlan(echo('echo-request', '10.20.1.1', '10.20.1.9', 4))),
      // node2 (VNI 43, also 10.20.1.1) gets its answers, beside this ping's.
      at(100.3, inVxlan(arp('reply', '10.20.1.9', '10.20.1.1', [B, C]), { vni: 43, src: '192.168.8.101', dst: '192.168.8.102' })),
      at(100.31, inVxlan(echo('echo-reply', '10.20.1.9', '10.20.1.1', 4, [B, C]), { vni: 43, src: '192.168.8.101', dst: '192.168.8.102' })),
    ];
    expect(proveUnreachable('10.20.1.9', span, frames)).toEqual({ kind: 'proven', echoRequests: 1, arpRequests: 1, until: 'the drain' });
  });

  it("counts nothing after the capture's next action began: a ping after a fix gets its own answers", () => {
    const frames = [
      at(100.01, arp('request', '10.20.1.2', '10.20.1.3')),
      // `ip link set vxlan0 up` on the target at 100.25, then a reachable ping.
      at(100.5, arp('request', '10.20.1.2', '10.20.1.3')),
      at(100.501, arp('reply', '10.20.1.3', '10.20.1.2')),
    ];
    expect(proveUnreachable('10.20.1.3', { ...span, answersUntil: 100.25 }, frames)).toEqual({ kind: 'proven', echoRequests: 0, arpRequests: 1, until: 'the next action' });
  });

  it('takes an ARP reply in time for no answer: the echo went out then, and a lab may pass ARP and drop the echo', () => {
    // A 1369-byte echo, too big for the overlay: ARP is answered, the echo never crosses.
    const frames = [at(100.01, arp('request', '10.20.1.2', '10.20.1.3')), at(100.011, arp('reply', '10.20.1.3', '10.20.1.2'))];
    expect(proveUnreachable('10.20.1.3', span, frames).kind).toBe('proven');
  });

  it('finds the echo the kernel sent once a late ARP reply came, and its answer', () => {
    const frames = [
      at(100.005, arp('request', '10.20.1.2', '10.20.1.3')),
      at(100.15, arp('reply', '10.20.1.3', '10.20.1.2')),
      at(100.1501, echo('echo-request', '10.20.1.2', '10.20.1.3', 7)),
      at(100.1502, echo('echo-reply', '10.20.1.3', '10.20.1.2', 7)),
    ];
    expect(proveUnreachable('10.20.1.3', span, frames).kind).toBe('answered');
  });

  it("says so when the capture cannot see the requests, or its stamps are another machine's clock", () => {
    const proof = proveUnreachable('10.20.1.3', span, [at(100.01, echo('echo-request', '10.20.1.2', '10.20.1.9', 7))]);
    expect(proof).toEqual({ kind: 'not-seen' });
    expect(describeProof('ping from node0 to 10.20.1.3', proof, 100)).toBe("ping from node0 to 10.20.1.3: its requests are not in this capture, so ping's own 100 ms wait is the evidence");
    expect(describeOtherClock('ping from node0 to 10.20.1.3', 100)).toBe("ping from node0 to 10.20.1.3: this capture is stamped by the node's own clock, not this harness's, so ping's own 100 ms wait is the evidence");
  });
});
