import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../scenario/project-root.ts';
import { BUILT_CLI } from './bundle.ts';

// dist/ is built by the tests' global setup, as `npm ci` builds it.
describe('string-width loaded at its first use in the bundle', () => {
  it("lays yargs' help out exactly as the sources do", () => {
    const help = (argv: string[]) => spawnSync(process.execPath, [...argv, '--help'], { cwd: PROJECT_ROOT, encoding: 'utf8', env: { ...process.env, COLUMNS: '60' } });
    const built = help([BUILT_CLI]);
    const sources = help(['--import', 'tsx', join(PROJECT_ROOT, 'harness', 'main.ts')]);
    expect(built.status).toBe(0);
    expect(built.stdout).toContain('Commands:');
    expect(built.stdout).toBe(sources.stdout);
  });

  it('puts a stub in the bundle in place of each copy of string-width its dependencies import', () => {
    const bundle = spawnSync('grep', ['-c', '"vxlab-lazy-string-width:', join(PROJECT_ROOT, 'dist', 'vxlab.cjs')], { encoding: 'utf8' });
    expect(Number(bundle.stdout.trim())).toBeGreaterThanOrEqual(2);
  });
});
