// Every scenario, run for real on this kernel through the CLI, read back as strict TAP.
import { beforeAll, describe, expect, it } from 'vitest';
import { parseTap } from './testing/tap.ts';
import { listScenarioNames, loadScenario } from './scenario/resolve.ts';
import { hostSnapshot, labResidue, runCli, runIdOf } from './testing/host.ts';

describe.each(await listScenarioNames())('npm run lab -- %s --reporter tap', (name) => {
  let before: Record<string, unknown>;
  let result: Awaited<ReturnType<typeof runCli>>;

  beforeAll(async () => {
    before = await hostSnapshot();
    result = await runCli([name, '--reporter', 'tap']);
  });

  it('passes every check and exits 0', async () => {
    const scenario = await loadScenario(name);
    const tap = await parseTap(result.stdout);
    // On failure, show the failing points with their diagnostics, not only a count.
    const failing = result.stdout.split(/\n(?= {4}(?:not )?ok )/).filter((block) => block.startsWith('    not ok'));
    expect(failing).toEqual([]);
    expect(result.stderr).toBe('');
    expect(tap).toMatchObject({ ok: true, count: 1, pass: 1, fail: 0, extra: [] });
    const points = result.stdout.split('\n').filter((l) => /^ {4}(not )?ok \d+ - /.test(l));
    expect(points).toEqual(scenario.checks.map((c, i) => `    ok ${i + 1} - ${c.name.replace(/#/g, '\\#')}`));
    expect(result.exitCode).toBe(0);
  });

  it('leaves the host as it found it', async () => {
    expect(await labResidue(runIdOf(result.stdout))).toEqual([]);
    expect(await hostSnapshot()).toEqual(before);
  });
});
