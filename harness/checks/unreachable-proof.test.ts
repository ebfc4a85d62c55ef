// An "unreachable" ping inside a capture, judged again from the capture's frames.
import { describe, expect, it } from 'vitest';
import type { Frame } from '../packets/decode.ts';
import { describeProof, proveUnreachable, type TimedFrame } from './unreachable-proof.ts';

const eth = { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02', type: 'ipv4' };
const ip = (src: string, dst: string) => ({ src, dst, protocol: 'icmp', ttl: 64, df: false, length: 84, multicast: false });
const echo = (type: 'echo-request' | 'echo-reply', src: string, dst: string, id: number): Frame => ({ eth, ip: ip(src, dst), icmp: { type, code: 0, id, seq: 1 } });
const arp = (op: 'request' | 'reply', senderIp: string, targetIp: string): Frame => ({ eth: { ...eth, type: 'arp' }, arp: { op, senderMac: eth.src, senderIp, targetMac: eth.dst, targetIp } });
/** As the underlay carries it: in VXLAN. */
const inVxlan = (inner: Frame): Frame => ({ eth, ip: { ...ip('192.168.8.100', '192.168.8.101'), protocol: 'udp' }, udp: { srcPort: 40000, dstPort: 4789, length: 100 }, vxlan: { flags: 8, vni: 42 }, inner });
const at = (time: number, frame: Frame): TimedFrame => ({ time, frame });

const span = { start: 100, end: 100.2 };

describe('the capture proof of an unreachable ping', () => {
  it('is proven by its requests leaving with nothing answering them, inside VXLAN or not', () => {
    const frames = [at(100.01, inVxlan(arp('request', '10.20.1.2', '10.20.1.5'))), at(100.02, echo('echo-request', '10.20.1.2', '10.20.1.9', 7))];
    expect(proveUnreachable('10.20.1.5', span, frames)).toEqual({ kind: 'proven', echoRequests: 0, arpRequests: 1 });
    expect(proveUnreachable('10.20.1.9', span, frames)).toEqual({ kind: 'proven', echoRequests: 1, arpRequests: 0 });
    expect(describeProof('ping from node0 to 10.20.1.5', proveUnreachable('10.20.1.5', span, frames), 100)).toBe(
      'ping from node0 to 10.20.1.5: the capture shows it left (1 ARP request) and nothing answered it until the capture drained',
    );
  });

  it('is answered by a reply to its own request that ping did not wait for, however late', () => {
    const request = at(100.01, inVxlan(echo('echo-request', '10.20.1.2', '10.20.1.3', 7)));
    const late = at(100.5, inVxlan(echo('echo-reply', '10.20.1.3', '10.20.1.2', 7)));
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
    expect(proveUnreachable('10.20.1.3', span, frames)).toEqual({ kind: 'proven', echoRequests: 1, arpRequests: 0 });
    // A request from outside the ping's time is another ping's.
    expect(proveUnreachable('10.20.1.3', span, [at(99, echo('echo-request', '10.20.1.2', '10.20.1.3', 7))]).kind).toBe('not-seen');
  });

  it('takes an ARP reply in time for no answer: the echo went out then, and a lab may pass ARP and drop the echo', () => {
    // A 1369-byte echo, too big for the overlay: ARP is answered, the echo never crosses.
    const frames = [at(100.01, arp('request', '10.20.1.2', '10.20.1.3')), at(100.011, arp('reply', '10.20.1.3', '10.20.1.2'))];
    expect(proveUnreachable('10.20.1.3', span, frames)).toEqual({ kind: 'proven', echoRequests: 0, arpRequests: 1 });
  });

  it('says so when the capture cannot see the requests, leaving ping\'s own window as the evidence', () => {
    const proof = proveUnreachable('10.20.1.3', span, [at(100.01, echo('echo-request', '10.20.1.2', '10.20.1.9', 7))]);
    expect(proof).toEqual({ kind: 'not-seen' });
    expect(describeProof('ping from node0 to 10.20.1.3', proof, 100)).toBe("ping from node0 to 10.20.1.3: its requests are not in this capture, so ping's own 100 ms wait is the evidence");
  });
});
