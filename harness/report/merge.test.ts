import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import type { RunEvent } from './events.ts';
import { renderJunit } from './junit-xml.ts';
import { TapFileError, parseTapRun, renderMarkdown, renderText, summarise, summaryPassed, toJunit } from './merge.ts';
import { createTapWriter, type TapVersion } from './tap.ts';

const info = (name: string, checks: number) => ({ name, title: name, tutorial: 'seed', checks });
const pass = (scenario: string, number: number, name: string): RunEvent => ({ type: 'check', scenario, number, name, outcome: { status: 'pass', diagnostics: {} }, durationMs: 1 });

/** The TAP vxlab writes for a run on `backend`; `fail` names a check of `multicast` that fails. */
function tapOf(backend: string, options: { fail?: boolean; version?: TapVersion; broken?: boolean } = {}): string {
  let text = '';
  const write = createTapWriter((t) => (text += t), { version: options.version ?? 14 });
  const events: RunEvent[] = [
    { type: 'run-start', runId: `vx-${backend}`, backend, scenarios: [info('p2p', 1), info('multicast', 2)] },
    { type: 'scenario-start', scenario: info('p2p', 1), lab: 'l', diagram: 'd', explain: 'e' },
    ...(options.broken
      ? [{ type: 'lab-error', scenario: 'p2p', error: { message: 'step 1 failed on node0', node: 'node0', command: 'ip link add x' }, checksNotRun: ['node0 reaches 10.20.1.3'] } as RunEvent]
      : [pass('p2p', 1, 'node0 reaches 10.20.1.3')]),
    { type: 'scenario-end', scenario: 'p2p', passed: 1, failed: 0, skipped: 0, broken: options.broken ?? false, durationMs: 1 },
    { type: 'scenario-start', scenario: info('multicast', 2), lab: 'l', diagram: 'd', explain: 'e' },
    pass('multicast', 1, 'group joined'),
    options.fail
      ? { type: 'check', scenario: 'multicast', number: 2, name: 'node2 sees the <ARP> | request', outcome: { status: 'fail', reason: 'expected 1, got 0', diagnostics: { node: 'node2', packets: ['```', 'x'] } }, durationMs: 5 }
      : pass('multicast', 2, 'node2 sees the ARP request'),
    { type: 'scenario-end', scenario: 'multicast', passed: 1, failed: options.fail ? 1 : 0, skipped: 0, broken: false, durationMs: 1 },
    { type: 'run-end', passed: 3, failed: 0, skipped: 0, broken: 0, durationMs: 2 },
  ];
  events.forEach(write);
  return text;
}

async function problemsOf(text: string): Promise<string[]> {
  const error = await parseTapRun('shard.tap', text).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(TapFileError);
  return (error as TapFileError).problems.map((p) => `${p.file}:${p.line}: ${p.message}`);
}

describe('report: reading TAP files', () => {
  it('reads scenarios, checks, backend and run id from TAP 14 and 13 alike', async () => {
    for (const version of [13, 14] as const) {
      const run = await parseTapRun('a.tap', tapOf('container', { fail: true, version }));
      expect(run).toMatchObject({ file: 'a.tap', backend: 'container', runId: 'vx-container' });
      expect(run.scenarios.map((s) => [s.name, s.ok, s.checks.map((c) => c.status)])).toEqual([['p2p', true, ['pass']], ['multicast', false, ['pass', 'fail']]]);
      expect(run.scenarios[1]!.checks[1]).toMatchObject({ name: 'node2 sees the <ARP> | request', diag: { message: 'expected 1, got 0', node: 'node2' } });
    }
  });

  it('merges shards and backends into one table, with the failures and their diagnostics', async () => {
    const runs = await Promise.all([parseTapRun('netns-1.tap', tapOf('netns')), parseTapRun('container-1.tap', tapOf('container', { fail: true }))]);
    const summary = summarise(runs);
    expect(summaryPassed(summary)).toBe(false);
    const text = renderText(summary);
    expect(text).toContain('scenario   netns  container\nmulticast  pass   FAIL\np2p        pass   pass\n');
    expect(text).toContain('multicast on container (container-1.tap, run vx-container): not ok - node2 sees the <ARP> | request\n    message: expected 1, got 0\n    node: node2\n');
    expect(text.trimEnd().split('\n').at(-1)).toBe('3 passed, 1 failed (scenario runs) from 2 TAP files');
    const md = renderMarkdown(summary);
    expect(md).toContain('## vxlab: ❌ 3 passed, 1 failed');
    expect(md).toContain('| scenario | netns | container |\n|---|:-:|:-:|\n| `multicast` | ✅ pass | ❌ **fail** |\n| `p2p` | ✅ pass | ✅ pass |');
    // Escaped for HTML in <summary>, and a fence longer than the diagnostics' own backticks.
    expect(md).toContain('<summary>❌ multicast on container: node2 sees the &lt;ARP&gt; | request</summary>');
    expect(md).toContain('````yaml\nmessage: expected 1, got 0\n');
    const xml = renderJunit(toJunit(summary));
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).toContain('<testsuites name="vxlab" tests="6" failures="1" errors="0" skipped="0">');
    expect(xml).toContain('classname="vxlab.container.multicast"');
  });

  it('passes when every run passed, and names a skipped run', async () => {
    const runs = await Promise.all([parseTapRun('a.tap', tapOf('netns')), parseTapRun('b.tap', 'TAP version 14\n1..0 # SKIP shard 2/2 of 1 scenarios is empty\n')]);
    expect(runs[1]!.skipAll).toBe('shard 2/2 of 1 scenarios is empty');
    const summary = summarise(runs);
    expect(summaryPassed(summary)).toBe(true);
    expect(renderText(summary)).toContain('b.tap: skipped: shard 2/2 of 1 scenarios is empty\n');
    expect(renderMarkdown(summary)).toMatch(/^## vxlab: ⚠️ 2 passed, 0 failed \(scenario runs\) from 2 TAP files, 1 of them skipped\n/);
    expect(renderMarkdown(summarise([runs[0]!]))).toMatch(/^## vxlab: ✅ 2 passed, 0 failed/);
  });

  it('shows a broken lab as a failure, and as an error in JUnit', async () => {
    const summary = summarise([await parseTapRun('a.tap', tapOf('netns', { broken: true }))]);
    expect(renderText(summary)).toContain('p2p on netns (a.tap, run vx-netns): not ok - the lab builds\n    message: step 1 failed on node0\n');
    expect(renderJunit(toJunit(summary))).toContain('<error message="step 1 failed on node0" type="error">');
  });

  it('refuses a file cut short, naming the file and line', async () => {
    const whole = tapOf('netns', { fail: true });
    const lines = whole.split('\n');
    // Cut inside multicast's failing point's YAML block.
    const cut = lines.findIndex((l) => l.includes('message: expected 1, got 0'));
    expect(await problemsOf(lines.slice(0, cut + 1).join('\n') + '\n')).toEqual([
      `shard.tap:${cut}: a YAML diagnostic block that never ends with \`...\` (is the file cut short?)`,
      `shard.tap:${cut + 1}: the subtest "multicast" ends without its plan (is the file cut short?)`,
      `shard.tap:${cut + 1}: the plan says 2 scenarios but the file ends after 1 (is it cut short?)`,
    ]);
    // Cut between scenarios: the plan's count is not met.
    const between = lines.findIndex((l) => l === 'ok 1 - p2p');
    expect(await problemsOf(lines.slice(0, between + 1).join('\n') + '\n')).toEqual([`shard.tap:${between + 1}: the plan says 2 scenarios but the file ends after 1 (is it cut short?)`]);
  });

  it('refuses a file without a plan, an empty file, a bail out and non-TAP lines', async () => {
    expect(await problemsOf('TAP version 14\nok 1 - p2p\n')).toEqual(['shard.tap:2: the TAP has no plan (1..N): the run did not finish, or this is not a vxlab TAP file']);
    expect(await problemsOf('')).toEqual(['shard.tap:1: the file is empty: no TAP at all']);
    const bailed = 'TAP version 14\n1..2\n# Subtest: p2p\n    ok 1 - a\n    1..1\nok 1 - p2p\nBail out! interrupted by SIGINT; the lab was torn down\n';
    expect(await problemsOf(bailed)).toContain('shard.tap:7: Bail out! interrupted by SIGINT; the lab was torn down');
    expect(await problemsOf('TAP version 14\n1..2\nok 1 - a\nnpm warn something\nok 2 - b\n')).toEqual(['shard.tap:4: not TAP: "npm warn something"']);
  });
});
