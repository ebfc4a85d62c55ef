// `ablate --by step` for real over every tutorial scenario in scenarios/ (the scale ones excepted):
// each is run again without each step, on fresh labs, and no check may pass without all of them.
import { describe, expect, it } from 'vitest';
import { listScenarioNames } from './scenario/resolve.ts';
import { runCli } from './testing/host.ts';
import { parseTap } from './testing/tap.ts';

describe('ablate', () => {
  it('by step, over every tutorial scenario in scenarios/: no vacuous check', async () => {
    // The scale-* scenarios have a test of their own (ablate.integration.test.ts), one lab at a time.
    const names = (await listScenarioNames()).filter((n) => !n.startsWith('scale-'));
    expect(names.length).toBeGreaterThanOrEqual(11);
    const started = Date.now();
    const result = await runCli(['ablate', ...names, '--by', 'step', '--reporter', 'tap', '--jobs', '3'], { timeoutMs: 590_000 });
    const tap = await parseTap(result.stdout);
    expect(tap.failures).toEqual([]);
    expect(tap).toMatchObject({ ok: true, count: names.length, extra: [] });
    expect(result.exitCode).toBe(0);
    console.log(`ablate --all --by step: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, 600_000);
});
