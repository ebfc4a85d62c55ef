// The learner verbs through the real CLI (no lab is built: they need no privileges).
import { describe, expect, it } from 'vitest';
import { runCli } from '../testing/host.ts';
import { loadScenario } from '../scenario/resolve.ts';
import { explainScenario } from './explain.ts';
import { scenarioGraph } from './graph.ts';

describe('npm run lab -- graph', () => {
  it('prints the flowchart and exits 0; --fenced wraps it for Markdown', async () => {
    const expected = scenarioGraph(await loadScenario('bridge-netns'));
    expect(await runCli(['graph', 'bridge-netns'])).toEqual({ exitCode: 0, stdout: expected, stderr: '' });
    expect((await runCli(['graph', 'bridge-netns', '--fenced'])).stdout).toBe(`\`\`\`mermaid\n${expected}\`\`\`\n`);
  });

  it('exits 2 naming an unknown scenario', async () => {
    const result = await runCli(['graph', 'no-such-lab']);
    expect(result.stderr).toContain('no-such-lab');
    expect(result.exitCode).toBe(2);
  });
});

describe('npm run lab -- explain', () => {
  it('prints the explanation and exits 0', async () => {
    const expected = explainScenario(await loadScenario('multicast'));
    expect(await runCli(['explain', 'multicast'])).toEqual({ exitCode: 0, stdout: expected, stderr: '' });
  });

  it('exits 2 naming an unknown scenario, and without a name says one is missing', async () => {
    const unknown = await runCli(['explain', 'no-such-lab']);
    expect(unknown.stderr).toContain('no-such-lab');
    expect(unknown.exitCode).toBe(2);
    const none = await runCli(['explain']);
    expect(none.stderr).toContain('Not enough non-option arguments');
    expect(none.exitCode).toBe(2);
  });
});

describe('npm run lab -- up --backend ssh', () => {
  it('exits 2 and says how to run the scenario on ssh hosts instead (a learner lab is netns or container)', async () => {
    const result = await runCli(['up', 'multicast', '--backend', 'ssh']);
    expect(result.stderr).toBe('vxlab: up runs labs on the netns and container backends; on ssh hosts run the scenario whole: npm run lab -- multicast --backend ssh --hosts FILE\n');
    expect(result.stdout).toBe('');
    expect(result.exitCode).toBe(2);
  });
});
