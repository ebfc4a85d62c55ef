// Compiles the CLI to JavaScript ahead of time (`npm run build`, run by `prepare` on `npm ci`):
// transpiling TypeScript at every start cost about 1.3 s of the CLI's start-up.
// One CommonJS bundle for Node 20 (`await using` lowered), dist/vxlab.cjs: modules a run does not
// use (the container backend, the other verbs and reporters) are imported dynamically, so they
// are initialised only when needed. dist/cli.cjs starts it from a V8 code cache made here
// (cli-entry.ts), which Node 20 offers for CommonJS only.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { PROJECT_ROOT } from '../scenario/project-root.ts';
import { PRIME_ENV } from './cli-entry.ts';

export const DIST_DIR = join(PROJECT_ROOT, 'dist');
export const BUILT_CLI = join(DIST_DIR, 'cli.cjs');

const shared = { bundle: true, format: 'cjs', platform: 'node', target: 'node20', logLevel: 'warning' } as const;

export async function buildCli(): Promise<void> {
  // Earlier builds' files (and their code caches, named by the bundle's hash) go first.
  rmSync(DIST_DIR, { recursive: true, force: true });
  await build({
    ...shared,
    entryPoints: [join(PROJECT_ROOT, 'harness', 'main.ts')],
    outfile: join(DIST_DIR, 'vxlab.cjs'),
    // Dependencies are bundled too (resolving and reading hundreds of small files cost more
    // than parsing one), except testcontainers: loaded only by a container run, with native parts.
    external: ['testcontainers'],
    mainFields: ['module', 'main'],
    // project-root.ts finds the project from its own file's URL: in the bundle, the bundle's.
    define: { 'import.meta.url': '__vxlabBundleUrl' },
    banner: { js: "const __vxlabBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
    sourcemap: 'linked',
  });
  refuseDynamicImports(join(DIST_DIR, 'vxlab.cjs'));
  await build({ ...shared, entryPoints: [join(PROJECT_ROOT, 'harness', 'build', 'cli-entry.ts')], outfile: BUILT_CLI, banner: { js: '#!/usr/bin/env node' } });
  primeCodeCache();
}

/**
 * esbuild turns the bundle's own dynamic imports into lazy requires but keeps import() of an
 * external package; run as a vm.Script, such a call would fail at run time (no loader callback).
 */
function refuseDynamicImports(bundle: string): void {
  const found = readFileSync(bundle, 'utf8').match(/[^\w$.]import\(\s*["'`][^"'`]*["'`]\s*\)/);
  if (found) throw new Error(`the bundle ${bundle} calls ${found[0].slice(1)}: require the package instead (cli-entry.ts runs the bundle as a vm.Script)`);
}

/** Runs the built CLI once (`list`: every scenario parsed) with the cache written at its exit; a CLI that fails here is a failed build. */
function primeCodeCache(): void {
  const run = spawnSync(process.execPath, [BUILT_CLI, 'list'], { env: { ...process.env, [PRIME_ENV]: '1' }, encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) {
    throw new Error(`the built CLI failed its first run (${[process.execPath, BUILT_CLI, 'list'].join(' ')}: exit ${run.status ?? run.signal ?? run.error?.message}): ${run.stderr}`);
  }
}

/** The newest modification time of the CLI's sources (test files included: cheap and safe). */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** True when dist/cli.cjs is missing or older than a source or the lock file. */
export function builtCliIsStale(): boolean {
  const built = statSync(BUILT_CLI, { throwIfNoEntry: false });
  if (!built) return true;
  const lock = statSync(join(PROJECT_ROOT, 'package-lock.json'), { throwIfNoEntry: false })?.mtimeMs ?? 0;
  return Math.max(newestSource(join(PROJECT_ROOT, 'harness')), lock) > built.mtimeMs;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await buildCli();
