import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import yargs from 'yargs';
import { BUILT_CLI } from '../build/bundle.ts';
import { PROJECT_ROOT } from '../scenario/project-root.ts';
import { usePreload } from '../testing/preload.ts';
import { skipHelpCache } from './no-help-cache.ts';

interface Usage { hasCachedHelpMessage(): boolean }
const usageOf = (parser: object) => (parser as { getInternalMethods(): { getUsageInstance(): Usage } }).getInternalMethods().getUsageInstance();

describe('skipHelpCache', () => {
  const parser = () => yargs(['go']).command('go', 'a subcommand', () => undefined, async () => undefined).strict().help();

  it("leaves no help laid out after a subcommand's handler (yargs 17 lays it out by default)", async () => {
    const plain = parser();
    await plain.parseAsync();
    expect(usageOf(plain).hasCachedHelpMessage()).toBe(true);
    const skipped = skipHelpCache(parser());
    await skipped.parseAsync();
    expect(usageOf(skipped).hasCachedHelpMessage()).toBe(false);
  });
});

// string-width builds an Intl.Segmenter when it loads: a preload counts them, in the built CLI.
describe('the built CLI lays out no help for a subcommand', () => {
  const preload = usePreload([
    'let n = 0; const Real = Intl.Segmenter;',
    'Intl.Segmenter = class extends Real { constructor(...a) { super(...a); n++; } };',
    "process.on('exit', () => process.stderr.write(`segmenters=${n}\\n`));",
  ]);

  const run = (argv: string[], cli = [BUILT_CLI]) => {
    const r = spawnSync(process.execPath, ['-r', preload(), ...cli, ...argv], { cwd: PROJECT_ROOT, encoding: 'utf8', env: { ...process.env, COLUMNS: '80' } });
    const counted = /segmenters=(\d+)\n$/.exec(r.stderr);
    return { ...r, segmenters: counted ? Number(counted[1]) : undefined, stderr: r.stderr.replace(/segmenters=\d+\n$/, '') };
  };

  it('loads no string-width for `validate` or `status`, and does for `--help`', () => {
    const validate = run(['validate', 'scenarios/p2p.yaml']);
    expect(validate.status, validate.stderr).toBe(0);
    expect(validate.segmenters).toBe(0);
    const status = run(['status']);
    expect(status.status, status.stderr).toBe(0);
    expect(status.segmenters).toBe(0);
    // The probe sees string-width when it does load.
    expect(run(['status', '--help']).segmenters).toBeGreaterThan(0);
  });

  it("prints a subcommand's help and a usage error exactly as the sources do", () => {
    const sources = ['--import', 'tsx', join(PROJECT_ROOT, 'harness', 'main.ts')];
    for (const argv of [['status', '--help'], ['validate', '--no-such-option', 'scenarios/p2p.yaml']]) {
      const built = run(argv);
      const fromSources = run(argv, sources);
      expect(built.status, argv.join(' ')).toBe(fromSources.status);
      expect(built.stdout, argv.join(' ')).toBe(fromSources.stdout);
      expect(built.stderr, argv.join(' ')).toBe(fromSources.stderr);
    }
  });
});
