import { describe, expect, it } from 'vitest';
import type { RunEvent } from './events.ts';
import { createTapWriter, escapeDescription } from './tap.ts';
import { parseTap } from '../testing/tap.ts';

function render(events: RunEvent[]): string {
  let text = '';
  const write = createTapWriter((t) => (text += t));
  events.forEach(write);
  return text;
}

const info = (name: string, checks: number) => ({ name, title: name, tutorial: 'seed', checks });
const start = (name: string): RunEvent => ({ type: 'scenario-start', scenario: info(name, 2), lab: 'l', diagram: 'd', explain: 'e' });
const end = (name: string, failed: number, broken = false): RunEvent => ({ type: 'scenario-end', scenario: name, passed: 1, failed, skipped: 0, broken, durationMs: 1 });

describe('TAP writer', () => {
  it('writes one subtest per scenario with a test point per check', async () => {
    const text = render([
      { type: 'run-start', runId: 'vx1', backend: 'netns', scenarios: [info('p2p', 2), info('multicast', 1)] },
      start('p2p'),
      { type: 'step', scenario: 'p2p', node: 'node0', index: 0, commands: [{ text: 'ip link set lo up' }] },
      { type: 'check', scenario: 'p2p', number: 1, name: 'node0 reaches 10.20.1.3', outcome: { status: 'pass', diagnostics: {} }, durationMs: 3 },
      {
        type: 'check', scenario: 'p2p', number: 2, name: 'no ARP # inside \\ VXLAN', durationMs: 5,
        outcome: { status: 'fail', reason: 'expected none, got 2', diagnostics: { node: 'node1', expected: 'none', got: 2, packets: ['a > b: ARP request', 'c: "quoted" #'] } },
      },
      end('p2p', 1),
      start('multicast'),
      { type: 'check', scenario: 'multicast', number: 1, name: 'skipped one', outcome: { status: 'skip', reason: 'no # reason', diagnostics: {} }, durationMs: 0 },
      end('multicast', 0),
      { type: 'run-end', passed: 1, failed: 1, skipped: 1, broken: 0, durationMs: 10 },
    ]);
    expect(text).toBe(`TAP version 14
1..2
# vxlab run vx1 on the netns backend
# Subtest: p2p
    ok 1 - node0 reaches 10.20.1.3
    not ok 2 - no ARP \\# inside \\\\ VXLAN
      ---
      message: expected none, got 2
      node: node1
      expected: none
      got: 2
      packets:
        - "a > b: ARP request"
        - 'c: "quoted" #'
      duration_ms: 5
      ...
    1..2
not ok 1 - p2p
# Subtest: multicast
    ok 1 - skipped one # SKIP no \\# reason
    1..1
ok 2 - multicast
`);
    const parsed = await parseTap(text);
    expect(parsed).toMatchObject({ ok: false, count: 2, pass: 1, fail: 1, extra: [] });
  });

  it('reports a broken lab as a failed point and skips the checks that could not run', async () => {
    const text = render([
      { type: 'run-start', runId: 'vx1', backend: 'netns', scenarios: [info('p2p', 2)] },
      start('p2p'),
      { type: 'lab-error', scenario: 'p2p', error: { message: 'step 1 failed on node0', node: 'node0', at: 'steps[0].run[1]', command: 'ip link set nosuch up', exitCode: 1, output: 'Cannot find device "nosuch"' }, checksNotRun: ['a', 'b'] },
      end('p2p', 0, true),
    ]);
    expect(text).toContain('    not ok 1 - the lab builds\n      ---\n      message: step 1 failed on node0\n      node: node0\n      at: steps[0].run[1]\n      command: ip link set nosuch up\n      exitCode: 1\n      output: Cannot find device "nosuch"\n      ...\n');
    expect(text).toContain('    ok 2 - a # SKIP the lab did not build\n    ok 3 - b # SKIP the lab did not build\n    1..3\nnot ok 1 - p2p\n');
    expect(await parseTap(text)).toMatchObject({ ok: false, count: 1, fail: 1, extra: [] });
  });

  it('skips everything with a reason when a prerequisite is missing', async () => {
    const text = render([{ type: 'skip-all', reason: 'tcpdump is not installed' }]);
    expect(text).toBe('TAP version 14\n1..0 # SKIP tcpdump is not installed\n');
    expect((await parseTap(text)).plan).toMatchObject({ skipAll: true, skipReason: 'SKIP tcpdump is not installed' });
  });

  it('bails out with the reason on an interrupt', async () => {
    const text = render([
      { type: 'run-start', runId: 'vx1', backend: 'netns', scenarios: [info('p2p', 2)] },
      start('p2p'),
      end('p2p', 0),
      { type: 'bail', reason: 'interrupted by SIGINT; the lab was torn down' },
    ]);
    expect(text.endsWith('Bail out! interrupted by SIGINT; the lab was torn down\n')).toBe(true);
    expect(await parseTap(text)).toMatchObject({ bailout: 'interrupted by SIGINT; the lab was torn down', extra: [] });
  });

  it('ends an interrupted scenario not ok, naming where the interrupt landed', async () => {
    const text = render([
      { type: 'run-start', runId: 'vx1', backend: 'netns', scenarios: [info('p2p', 2)] },
      start('p2p'),
      { type: 'check', scenario: 'p2p', number: 1, name: 'node0 reaches 10.20.1.3', outcome: { status: 'pass', diagnostics: {} }, durationMs: 3 },
      { type: 'scenario-end', scenario: 'p2p', passed: 1, failed: 0, skipped: 0, broken: false, interrupted: 'in check 2 of 2, capturing on node1 enp0s8', durationMs: 1 },
      { type: 'bail', reason: 'interrupted by SIGTERM; the lab was torn down' },
    ]);
    expect(text).toContain('    ok 1 - node0 reaches 10.20.1.3\n    not ok 2 - interrupted in check 2 of 2, capturing on node1 enp0s8\n');
    expect(text).toContain('    1..2\nnot ok 1 - p2p\nBail out! interrupted by SIGTERM; the lab was torn down\n');
    // Even a consumer that ignores the bail-out counts it as failed.
    const withoutBail = await parseTap(text.replace(/^Bail out!.*\n/m, ''));
    expect(withoutBail).toMatchObject({ ok: false, fail: 1, extra: [] });
    expect(await parseTap(text)).toMatchObject({ ok: false, bailout: 'interrupted by SIGTERM; the lab was torn down', extra: [] });
  });

  it('writes a header before a bail-out that comes before anything else', async () => {
    const text = render([{ type: 'bail', reason: 'interrupted by SIGTERM; the lab was torn down' }]);
    expect(text).toBe('TAP version 14\nBail out! interrupted by SIGTERM; the lab was torn down\n');
    expect(await parseTap(text)).toMatchObject({ ok: false, bailout: 'interrupted by SIGTERM; the lab was torn down', extra: [] });
  });

  it('writes the same stream with a TAP version 13 header when asked', () => {
    const events: RunEvent[] = [
      { type: 'run-start', runId: 'vx1', backend: 'netns', scenarios: [info('p2p', 1)] },
      start('p2p'),
      { type: 'check', scenario: 'p2p', number: 1, name: 'x', outcome: { status: 'pass', diagnostics: {} }, durationMs: 3 },
      end('p2p', 0),
    ];
    let v13 = '';
    const write = createTapWriter((t) => (v13 += t), { version: 13 });
    events.forEach(write);
    expect(v13).toBe(render(events).replace('TAP version 14\n', 'TAP version 13\n'));
    expect(v13.startsWith('TAP version 13\n1..1\n')).toBe(true);
    let skipped = '';
    createTapWriter((t) => (skipped += t), { version: 13 })({ type: 'skip-all', reason: 'no tcpdump' });
    expect(skipped).toBe('TAP version 13\n1..0 # SKIP no tcpdump\n');
  });

  it('names a kept capture after a passing point, as a comment', async () => {
    const text = render([
      { type: 'run-start', runId: 'vx1', backend: 'netns', scenarios: [info('p2p', 1)] },
      start('p2p'),
      { type: 'check', scenario: 'p2p', number: 1, name: 'x', outcome: { status: 'pass', diagnostics: { pcap: 'ci-out/pcaps/p2p-check1-node1.pcap' } }, durationMs: 3 },
      end('p2p', 0),
    ]);
    expect(text).toContain('    ok 1 - x\n    # pcap: ci-out/pcaps/p2p-check1-node1.pcap\n    1..1\n');
    expect(await parseTap(text)).toMatchObject({ ok: true, extra: [] });
  });

  it('escapes descriptions', () => {
    expect(escapeDescription('a # b \\ c\nd')).toBe('a \\# b \\\\ c d');
  });
});
