// Compiles the CLI to JavaScript ahead of time (`npm run build`, run by `prepare` on `npm ci`):
// transpiling TypeScript at every start cost about 1.3 s of the CLI's start-up.
// One CommonJS bundle for Node 20 (`await using` lowered), dist/vxlab.cjs: modules a run does not
// use (the container backend, the other verbs and reporters) are imported dynamically, so they
// are initialised only when needed. dist/cli.cjs starts it from a V8 code cache made here
// (cli-entry.ts), which Node 20 offers for CommonJS only. dist/vxlab-enter is how commands enter
// a node (enter-build.ts), built here when the machine has a C compiler.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { PROJECT_ROOT } from '../scenario/project-root.ts';
import { ENTER_FILE, buildEnter } from '../backends/netns/enter-build.ts';
import { PRIME_ENV, bundleCachePath } from './cli-entry.ts';
import { lazyStringWidth } from './lazy-string-width.ts';

export const DIST_DIR = join(PROJECT_ROOT, 'dist');
export const BUILT_CLI = join(DIST_DIR, 'cli.cjs');

const shared = { bundle: true, format: 'cjs', platform: 'node', target: 'node20', logLevel: 'warning' } as const;
/** What earlier builds left that this one does not make (the ES module build before 3 Dec). */
const OLD_BUILD = ['chunks', 'cli.js', 'cli.js.map'];
/** A staging directory this old is a killed build's. */
const STALE_STAGING_MS = 60 * 60 * 1000;

/**
 * Builds in a staging directory inside dist/, then renames each file into place (each rename is
 * atomic, the cache first): a CLI started meanwhile, or a second build, never sees a half-built
 * dist/.
 */
export async function buildCli(): Promise<void> {
  mkdirSync(DIST_DIR, { recursive: true });
  const staging = mkdtempSync(join(DIST_DIR, '.build-'));
  try {
    const bundle = join(staging, 'vxlab.cjs');
    const output = await build({
      ...shared,
      entryPoints: [join(PROJECT_ROOT, 'harness', 'main.ts')],
      // Laid out for dist/ (the source map's paths are relative to it), written to the staging directory.
      outfile: join(DIST_DIR, 'vxlab.cjs'),
      write: false,
      // Dependencies are bundled too (resolving and reading hundreds of small files cost more
      // than parsing one), except testcontainers: loaded only by a container run, with native parts.
      external: ['testcontainers'],
      mainFields: ['module', 'main'],
      // project-root.ts finds the project from its own file's URL: in the bundle, the bundle's.
      define: { 'import.meta.url': '__vxlabBundleUrl' },
      banner: { js: "const __vxlabBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
      sourcemap: 'linked',
      plugins: [lazyStringWidth],
    });
    for (const file of output.outputFiles) writeFileSync(join(staging, basename(file.path)), file.contents);
    refuseDynamicImports(bundle);
    const cli = join(staging, 'cli.cjs');
    await build({ ...shared, entryPoints: [join(PROJECT_ROOT, 'harness', 'build', 'cli-entry.ts')], outfile: cli, banner: { js: '#!/usr/bin/env node' } });
    // The launcher is the package's bin; the bundle is not to be run by itself.
    chmodSync(cli, 0o755);
    chmodSync(bundle, 0o644);
    const cache = primeCodeCache(staging);
    const enterNotBuilt = buildEnter(join(staging, ENTER_FILE));
    for (const name of [cache, 'vxlab.cjs.map', 'vxlab.cjs', 'cli.cjs', ...(enterNotBuilt === undefined ? [ENTER_FILE] : [])]) renameSync(join(staging, name), join(DIST_DIR, name));
    if (enterNotBuilt !== undefined) {
      // An older build's vxlab-enter is not this source's: nodes are entered with nsenter and setpriv.
      rmSync(join(DIST_DIR, ENTER_FILE), { force: true });
      process.stderr.write(`vxlab: vxlab-enter not built, so each command enters its node through nsenter and setpriv (slower, as safe): ${enterNotBuilt}\n`);
    }
    removeOtherBuilds(cache);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * esbuild turns the bundle's own dynamic imports into lazy requires but keeps import() of an
 * external package; run as a vm.Script, such a call would fail at run time (no loader callback).
 */
function refuseDynamicImports(bundle: string): void {
  const found = readFileSync(bundle, 'utf8').match(/[^\w$.]import\(\s*["'`][^"'`]*["'`]\s*\)/);
  if (found) throw new Error(`the bundle ${bundle} calls ${found[0].slice(1)}: require the package instead (cli-entry.ts runs the bundle as a vm.Script)`);
}

/**
 * Runs the staged CLI once (`list`: every scenario parsed) with the cache written at its exit,
 * compiled under its name in dist/ (which V8 keeps in the cache, for stack traces), and
 * returns the cache's file name. `list`'s own verdict does not matter (a broken scenario file of
 * the user's must not fail `npm ci`); a cache that was not written fails the build. NODE_OPTIONS
 * is left out: V8 refuses a cache made under other flags.
 */
function primeCodeCache(staging: string): string {
  const { NODE_OPTIONS: _, ...env } = process.env;
  const argv = [process.execPath, join(staging, 'cli.cjs'), 'list'];
  const run = spawnSync(argv[0]!, argv.slice(1), { env: { ...env, [PRIME_ENV]: DIST_DIR }, encoding: 'utf8', timeout: 60_000 });
  const cache = bundleCachePath(staging, DIST_DIR);
  if (!statSync(cache, { throwIfNoEntry: false })?.isFile()) {
    throw new Error(`the built CLI made no code cache (${argv.join(' ')}: exit ${run.status ?? run.signal ?? run.error?.message}): ${run.stderr}`);
  }
  return basename(cache);
}

/** Removes other builds' code caches, the old build's files and killed builds' staging directories. */
function removeOtherBuilds(cache: string): void {
  for (const entry of readdirSync(DIST_DIR, { withFileTypes: true })) {
    const path = join(DIST_DIR, entry.name);
    const otherCache = entry.name.endsWith('.code-cache') && entry.name !== cache;
    const staleStaging = entry.name.startsWith('.build-') && Date.now() - statSync(path).mtimeMs > STALE_STAGING_MS;
    if (otherCache || staleStaging || OLD_BUILD.includes(entry.name)) rmSync(path, { recursive: true, force: true });
  }
}

/** The newest modification time of the CLI's sources, vxlab-enter's C included (test files too: cheap and safe). */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') || entry.name.endsWith('.c')) newest = Math.max(newest, statSync(path).mtimeMs);
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
