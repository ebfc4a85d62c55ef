// The learner verbs through the real CLI (no lab is built: they need no privileges).
import { describe, expect, it } from 'vitest';
import { runCli } from '../testing/host.ts';
import { loadScenario } from '../scenario/resolve.ts';
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
