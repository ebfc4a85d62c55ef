// Every scenario, run for real on this kernel through the CLI, read back as strict TAP.
// One `--all` run (scenarios at once, --jobs' default) serves every scenario's assertions: the
// checks only read its output, and the host is compared once around the whole run.
import { beforeAll, describe, expect, it } from 'vitest';
import { failingPoints, parseTap } from './testing/tap.ts';
import { listScenarioNames, loadScenario } from './scenario/resolve.ts';
import { hostSnapshot, labResidue, runCli, runIdOf } from './testing/host.ts';

const names = await listScenarioNames();
let before: Record<string, unknown>;
let result: Awaited<ReturnType<typeof runCli>>;

beforeAll(async () => {
  before = await hostSnapshot();
  result = await runCli(['--all', '--reporter', 'tap']);
  // Every scenario, the 100-node one included, on a machine that may be busy.
}, 300_000);

/** The TAP of one scenario: from its `# Subtest` line to the next one (its closing point included). */
function subtest(name: string): string {
  const start = result.stdout.indexOf(`# Subtest: ${name}\n`);
  if (start === -1) return '';
  const next = result.stdout.indexOf('# Subtest: ', start + 1);
  return result.stdout.slice(start, next === -1 ? undefined : next).trimEnd();
}

describe.each(names)('npm run lab -- %s --reporter tap (in npm run lab -- --all)', (name) => {
  it('passes every check', async () => {
    const scenario = await loadScenario(name);
    const block = subtest(name);
    // On failure, show the failing points with their diagnostics, not only a count.
    expect(failingPoints(block)).toEqual([]);
    const points = block.split('\n').filter((l) => /^ {4}(not )?ok \d+ - /.test(l));
    expect(points).toEqual(scenario.checks.map((c, i) => `    ok ${i + 1} - ${c.name.replace(/#/g, '\\#')}`));
    expect(block).toMatch(new RegExp(`\\nok ${names.indexOf(name) + 1} - ${name}$`));
  });
});

describe('npm run lab -- --all --reporter tap', () => {
  it('reports every scenario in order, as strict TAP, and exits 0', async () => {
    expect(result.stderr).toBe('');
    expect(await parseTap(result.stdout)).toMatchObject({ ok: true, count: names.length, pass: names.length, fail: 0, extra: [] });
    expect(result.stdout.split('\n').filter((l) => /^(not )?ok \d+ - /.test(l))).toEqual(names.map((n, i) => `ok ${i + 1} - ${n}`));
    expect(result.exitCode).toBe(0);
  });

  it('leaves the host as it found it', async () => {
    expect(await labResidue(runIdOf(result.stdout))).toEqual([]);
    expect(await hostSnapshot()).toEqual(before);
  });
});
