// The README's scenario example is a real, valid scenario: documentation that cannot drift.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it, onTestFinished } from 'vitest';
import { loadScenario, PROJECT_ROOT } from './resolve.ts';

it("the README's scenario example validates", async () => {
  const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
  const example = /```yaml\n(# yaml-language-server[\s\S]*?)```/.exec(readme)?.[1];
  expect(example).toBeDefined();
  const dir = mkdtempSync(join(tmpdir(), 'vxlab-readme-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'readme-example.yaml');
  writeFileSync(file, example!);
  const scenario = await loadScenario(file);
  expect(scenario.checks.map((c) => c.kind)).toEqual(['ping', 'ping', 'capture', 'state']);
});
