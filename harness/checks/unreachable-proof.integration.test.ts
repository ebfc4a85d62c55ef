// The capture proof of an "unreachable" ping on the real kernel and tcpdump: the request is seen
// leaving and no answer to it; a capture that cannot see the request says so; a reply that goes
// to another MAC is no answer. (A late answer needs a delay this kernel cannot make, without
// netem: its judgement is tested on frames in unreachable-proof.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartedLab } from '../backends/types.ts';
import { NetnsBackend } from '../backends/netns/backend.ts';
import { loadLab } from '../scenario/resolve.ts';
import { newRunId } from '../util/run-id.ts';
import { runCapture } from './capture.ts';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../scenario/resolve.ts';
import { runCli } from '../testing/host.ts';
import { parseTap } from '../testing/tap.ts';

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
    expect(outcome.diagnostics.unreachable).toEqual([expect.stringMatching(/^ping from node0 to 192\.168\.8\.177: the capture shows it left \(\d+ ARP requests?\) and holds no answer to it up to the drain$/)]);
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
      expect(outcome.diagnostics.unreachable).toEqual(['ping from node0 to 192.168.8.101: the capture shows it left (1 echo request and 1 ARP request) and holds no answer to it up to the drain']);
    } finally {
      await ignore(0);
    }
  });

  it("counts no reply sent to another MAC as an answer: node1 answers, and nothing comes back to node0", async () => {
    // node1 answers node0's echo to a MAC no node has: node1's card carries the reply, node0 never gets it.
    await lab.node('node1').exec(['ip', 'neigh', 'replace', '192.168.8.100', 'lladdr', '02:de:ad:00:00:01', 'dev', 'enp0s8', 'nud', 'permanent']);
    try {
      const outcome = await runCapture({ node: 'node1', interface: 'enp0s8', filter: 'icmp', expect: [anyFrame] }, [unreachablePing('192.168.8.101')], [4789], { lab });
      // ping got no reply (the proof is made only for such a ping), and the capture proves it.
      expect(outcome.status, JSON.stringify(outcome)).toBe('pass');
      expect(outcome.diagnostics.unreachable).toEqual(['ping from node0 to 192.168.8.101: the capture shows it left (1 echo request) and holds no answer to it up to the drain']);
      // The reply is there all the same: what the proof looked at and set aside.
      expect(outcome.diagnostics.packets).toBe(2);
    } finally {
      await lab.node('node1').exec(['ip', 'neigh', 'del', '192.168.8.100', 'dev', 'enp0s8']);
    }
  });

  // The 34th attack: each failed on 982b381, whose proof took a later action's answers for this ping's.
  it.each(['unreachable-then-fixed', 'unreachable-same-address-two-vnis'])('%s: a later ping\'s answers are not this one\'s, and the run passes', async (name) => {
    const result = await runCli([join(PROJECT_ROOT, 'harness/checks/fixtures', `${name}.yaml`), '--reporter', 'tap']);
    expect(await parseTap(result.stdout)).toMatchObject({ ok: true, fail: 0, extra: [] });
    expect(result.exitCode, result.stdout).toBe(0);
  });
});
