// ablate's planning and analysis, on a real scenario file with made-up verdicts.
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../scenario/resolve.ts';
import { ablationUnits, analyse, withoutUnit, type RunResult, type Verdict } from './plan.ts';
import { renderTable, tapHeader, tapSubtest } from './render.ts';
import { parseTap } from '../testing/tap.ts';

const p2p = await loadScenario('p2p');
const run = (verdicts: Verdict[], extra: Partial<RunResult> = {}): RunResult => ({ verdicts, skipped: [], ...extra });
const allPass = () => run(p2p.checks.map(() => 'pass'));

describe('ablationUnits and withoutUnit', () => {
  it('names one unit per command, or per step', () => {
    expect(ablationUnits(p2p, 'command').map((u) => u.id)).toEqual(['1.1', '1.2', '1.3', '2.1', '2.2', '2.3']);
    expect(ablationUnits(p2p, 'step').map((u) => `${u.id} ${u.node}`)).toEqual(['1 node0', '2 node1']);
  });

  it('leaves out exactly that command, or that whole step, and nothing else', () => {
    const [, second] = ablationUnits(p2p, 'command');
    const ablated = withoutUnit(p2p, second!);
    expect(ablated.steps[0]!.commands.map((c) => c.text)).toEqual([p2p.steps[0]!.commands[0]!.text, p2p.steps[0]!.commands[2]!.text]);
    expect(ablated.steps[1]).toBe(p2p.steps[1]);
    expect(ablated.checks).toBe(p2p.checks);
    const noStep2 = withoutUnit(p2p, ablationUnits(p2p, 'step')[1]!);
    expect(noStep2.steps.map((s) => s.commands.length)).toEqual([3, 0]);
  });
});

describe('a forEach: node template', () => {
  it('is one unit, left out on every node it was written for', async () => {
    const her = await loadScenario('scale-her-30');
    const byCommand = ablationUnits(her, 'command');
    const written = new Set(her.steps.flatMap((s) => s.commands.map((c) => c.origin.replace(/ \(.*$/s, ''))));
    expect(byCommand).toHaveLength(written.size);
    const first = byCommand[0]!;
    expect(first.node).toBe('30 nodes');
    expect(new Set(first.members.map((m) => m.step)).size).toBe(30);
    const ablated = withoutUnit(her, first);
    for (const m of first.members) expect(ablated.steps[m.step]!.commands.map((c) => c.text)).not.toContain(her.steps[m.step]!.commands[m.command!]!.text);
    // One unit by step: the template's step, on all 30 nodes at once.
    const byStep = ablationUnits(her, 'step');
    expect(byStep.length).toBeLessThan(her.steps.length);
    expect(withoutUnit(her, byStep[0]!).steps.filter((s) => s.commands.length === 0)).toHaveLength(byStep[0]!.members.length);
  });
});

describe('analyse', () => {
  const units = ablationUnits(p2p, 'step');

  it('names each unit the checks it flips, and calls a check that nothing flips vacuous', () => {
    const runs = [
      { unit: units[0]!, result: run(['fail', 'fail', 'fail', 'fail', 'fail', 'pass']) },
      { unit: units[1]!, result: run(['pass', 'fail', 'fail', 'fail', 'pass', 'pass'], { skipped: [{ node: 'node1', at: 'steps[1].run[1]', command: 'ip addr add', output: 'Cannot find device' }] }) },
    ];
    const a = analyse(p2p, 'step', allPass(), runs);
    expect(a.ablations.map((r) => r.flips)).toEqual([[1, 2, 3, 4, 5], [2, 3, 4]]);
    expect(a.checks.map((c) => c.causes)).toEqual([['1'], ['1', '2'], ['1', '2'], ['1', '2'], ['1'], []]);
    expect(a.checks.map((c) => c.vacuous)).toEqual([false, false, false, false, false, true]);
    expect(a.ok).toBe(false);
    const table = renderTable(a);
    expect(table).toContain('VACUOUS: it passes without any one step');
    expect(table).toContain('also skipped, it failed: steps[1].run[1] `ip addr add` (Cannot find device)');
    expect(table).toMatch(/not ok: 1 vacuous check\n$/);
  });

  it('lists the skipped copies of one templated command once, with how many there were', () => {
    const copies = [1, 2, 3].map((peer) => ({ node: 'node0', at: `steps[0].run[1] (on node0, for peer node${peer})`, command: `bridge fdb append 00:00:00:00:00:00 dev vxlan0 dst 192.168.8.10${peer}`, output: 'Cannot find device "vxlan0"' }));
    const a = analyse(p2p, 'step', allPass(), [{ unit: units[0]!, result: run(['fail', 'fail', 'fail', 'fail', 'fail', 'pass'], { skipped: [...copies, { node: 'node1', at: 'steps[1].run[2]', command: 'ip link set vxlan0 up', output: 'x' }] }) }]);
    const skippedLines = renderTable(a).split('\n').filter((l) => l.includes('also skipped'));
    expect(skippedLines).toHaveLength(2);
    expect(skippedLines[0]).toContain('also skipped, it failed: steps[0].run[1] (on node0, for peer node1) and 2 more copies of it `bridge fdb append');
    expect(tapSubtest(a, 1)).toContain('also skipped steps[0].run[1] (3 copies), steps[1].run[2]');
  });

  it('accepts a check that nothing flips when the scenario says why (ablation: none)', () => {
    const marked = { ...p2p, checks: p2p.checks.map((c, i) => (i === 5 ? { ...c, ablationNone: 'a baseline: node2 has no VTEP at all' } : c)) };
    const runs = units.map((unit) => ({ unit, result: run(['fail', 'fail', 'fail', 'fail', 'fail', 'pass']) }));
    const a = analyse(marked, 'step', allPass(), runs);
    expect(a.checks[5]).toMatchObject({ vacuous: false, causes: [], ablationNone: 'a baseline: node2 has no VTEP at all' });
    expect(a.ok).toBe(true);
  });

  it('refuses to judge when the scenario as written fails a check or a command, or a run broke', () => {
    const baseline = run(['pass', 'fail', 'pass', 'pass', 'pass', 'pass'], { skipped: [{ node: 'node0', at: 'steps[0].run[0]', command: 'ip link add', output: 'File exists' }] });
    const a = analyse(p2p, 'step', baseline, units.map((unit) => ({ unit, result: run([], { error: 'lab did not come up' }) })));
    expect(a.problems).toEqual([
      'the scenario as written has a failing command: node0 steps[0].run[0] `ip link add`: File exists',
      "check 2 (the first ping's ARP request, ARP reply and ICMP echo cross the underlay in VXLAN VNI 42 on UDP 4789) does not pass on the scenario as written (fail)",
      `without 1 (\`${units[0]!.text}\`) the run broke: lab did not come up`,
      `without 2 (\`${units[1]!.text}\`) the run broke: lab did not come up`,
    ]);
    expect(a.ok).toBe(false);
  });

  it('writes TAP a strict parser reads: vacuous checks are not ok', async () => {
    const runs = units.map((unit) => ({ unit, result: run(['fail', 'fail', 'fail', 'fail', 'fail', 'pass']) }));
    const a = analyse(p2p, 'step', allPass(), runs);
    const tap = tapHeader(1) + tapSubtest(a, 1);
    expect(tap).toContain('    ok 1 - vxlan0 on node0 is a VXLAN device with VNI 42, UDP port 4789 and node1 as its remote - depends on 1, 2\n');
    expect(tap).toContain('    not ok 6 - node2 was never part of it, so node0 cannot reach an address there\n');
    expect(await parseTap(tap)).toMatchObject({ ok: false, fail: 1, extra: [] });
  });
});
