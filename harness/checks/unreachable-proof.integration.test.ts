// The capture proof of an "unreachable" ping on the real kernel and tcpdump: the request is seen
// leaving and nothing answers it; a capture that cannot see the request says so; and an answer
// ping never got (node1 answers to a MAC that is not node0's) fails the check with the frame.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartedLab } from '../backends/types.ts';
import { NetnsBackend } from '../backends/netns/backend.ts';
import { loadLab } from '../scenario/resolve.ts';
import { newRunId } from '../util/run-id.ts';
import { runCapture } from './capture.ts';

let lab: StartedLab;
beforeAll(async () => {
  lab = await new NetnsBackend().up(await loadLab('three-nodes'), { runId: newRunId() });
});
afterAll(() => lab?.down());

const anyFrame = { that: 'any frame', match: {}, count: { min: 0 } };
const unreachablePing = (to: string) => ({ kind: 'ping' as const, spec: { from: 'node0', to, count: 1, expect: 'unreachable' as const } });

describe('an unreachable ping inside a capture', () => {
  it('is proven by the capture: its ARP requests left and nothing answered them', async () => {
    const outcome = await runCapture({ node: 'node1', interface: 'enp0s8', filter: 'arp', expect: [anyFrame] }, [unreachablePing('192.168.8.177')], [4789], { lab });
    expect(outcome.status, JSON.stringify(outcome)).toBe('pass');
    expect(outcome.diagnostics.unreachable).toEqual([expect.stringMatching(/^ping from node0 to 192\.168\.8\.177: the capture shows it left \(\d+ ARP requests?\) and nothing answered it until the capture drained$/)]);
  });

  it("says when its requests are not in the capture, leaving ping's own wait as the evidence", async () => {
    const outcome = await runCapture({ node: 'node1', interface: 'enp0s8', filter: 'udp', expect: [anyFrame] }, [unreachablePing('192.168.8.177')], [4789], { lab });
    expect(outcome.status, JSON.stringify(outcome)).toBe('pass');
    expect(outcome.diagnostics.unreachable).toEqual(["ping from node0 to 192.168.8.177: its requests are not in this capture, so ping's own 100 ms wait is the evidence"]);
  });

  it('is proven when ARP is answered and the echo is not (the echo then went out, and nothing answered it)', async () => {
    await lab.node('node0').exec(['ip', 'neigh', 'flush', 'dev', 'enp0s8']);
    const ignore = (on: 0 | 1) => lab.node('node1').exec(['sysctl', '-w', `net.ipv4.icmp_echo_ignore_all=${on}`]);
    expect((await ignore(1)).exitCode).toBe(0);
    try {
      const outcome = await runCapture({ node: 'node1', interface: 'enp0s8', filter: 'arp or icmp', expect: [anyFrame] }, [unreachablePing('192.168.8.101')], [4789], { lab });
      expect(outcome.status, JSON.stringify(outcome)).toBe('pass');
      expect(outcome.diagnostics.unreachable).toEqual(['ping from node0 to 192.168.8.101: the capture shows it left (1 echo request and 1 ARP request) and nothing answered it until the capture drained']);
    } finally {
      await ignore(0);
    }
  });

  it('fails when the capture shows an answer that ping never got', async () => {
    // node1 answers node0's echo to a MAC no node has: node0 never sees the reply, node1's card does.
    await lab.node('node1').exec(['ip', 'neigh', 'replace', '192.168.8.100', 'lladdr', '02:de:ad:00:00:01', 'dev', 'enp0s8', 'nud', 'permanent']);
    try {
      const outcome = await runCapture({ node: 'node1', interface: 'enp0s8', filter: 'icmp', expect: [anyFrame] }, [unreachablePing('192.168.8.101')], [4789], { lab });
      // ping's own verdict: no reply.
      expect(outcome.diagnostics.during).toEqual(['ping from node0 to 192.168.8.101: 0 of 1 echo requests answered']);
      expect(outcome.status).toBe('fail');
      expect(outcome.reason).toBe('during: ping from node0 to 192.168.8.101 expected no reply, and the capture shows one coming back after ping stopped waiting');
      expect(outcome.diagnostics.unreachable).toEqual([expect.stringMatching(/^ping from node0 to 192\.168\.8\.101: ping saw no reply within its 100 ms, but the capture shows 1 answer: \S+ > 02:de:ad:00:00:01 IP 192\.168\.8\.101 > 192\.168\.8\.100: ICMP echo-reply, id \d+, seq 1/)]);
    } finally {
      await lab.node('node1').exec(['ip', 'neigh', 'del', '192.168.8.100', 'dev', 'enp0s8']);
    }
  });
});
