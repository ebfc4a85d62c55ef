// `ablate` by step over the scale scenarios (30 and 100 nodes), one lab at a time, on the real
// kernel. (A file of its own, so it runs beside ablate.integration.test.ts.)
import { describe, expect, it } from 'vitest';
import { listScenarioNames } from './scenario/resolve.ts';
import { runCli } from './testing/host.ts';
import { parseTap } from './testing/tap.ts';

describe('ablate', () => {
  it('by step, over the scale scenarios (30 and 100 nodes), one lab at a time: no vacuous check', async () => {
    const names = (await listScenarioNames()).filter((n) => n.startsWith('scale-'));
    expect(names.length).toBeGreaterThanOrEqual(2);
    const started = Date.now();
    const result = await runCli(['ablate', ...names, '--by', 'step', '--reporter', 'tap', '--jobs', '1'], { timeoutMs: 590_000 });
    const tap = await parseTap(result.stdout);
    expect(tap.failures).toEqual([]);
    expect(tap).toMatchObject({ ok: true, count: names.length, extra: [] });
    // Each scale scenario's steps make its checks hold: a step left out flips at least one check.
    expect(result.stdout).not.toMatch(/# without [^\n]*: no check fails/);
    expect(result.exitCode).toBe(0);
    console.log(`ablate scale-* --by step: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, 600_000);
});
