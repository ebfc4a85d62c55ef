// Compiles the CLI to JavaScript ahead of time (`npm run build`, run by `prepare` on `npm ci`):
// transpiling TypeScript at every start cost about 1.3 s of the CLI's start-up.
// One ESM bundle for Node 20 (so `await using` is lowered), split at dynamic imports so the
// container backend and the verbs a run does not use are loaded only when needed.
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { PROJECT_ROOT } from '../scenario/project-root.ts';

export const DIST_DIR = join(PROJECT_ROOT, 'dist');
export const BUILT_CLI = join(DIST_DIR, 'cli.js');

export async function buildCli(): Promise<void> {
  // Chunks are named by hash: without this, every build would leave the last one's beside it.
  rmSync(join(DIST_DIR, 'chunks'), { recursive: true, force: true });
  await build({
    entryPoints: { cli: join(PROJECT_ROOT, 'harness', 'main.ts') },
    outdir: DIST_DIR,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Dependencies are bundled too (resolving and reading hundreds of small files cost more
    // than parsing one), except testcontainers: loaded only by a container run, with native parts.
    external: ['testcontainers'],
    mainFields: ['module', 'main'],
    // A CommonJS dependency's require() of a Node built-in needs a real require in an ES module.
    banner: { js: "import { createRequire as __vxlabRequire } from 'node:module'; const require = __vxlabRequire(import.meta.url);" },
    chunkNames: 'chunks/[name]-[hash]',
    sourcemap: 'linked',
    logLevel: 'warning',
    // The hashbang of harness/main.ts is kept: dist/cli.js is the package's bin.
  });
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

/** True when dist/cli.js is missing or older than a source or the lock file. */
export function builtCliIsStale(): boolean {
  const built = statSync(BUILT_CLI, { throwIfNoEntry: false });
  if (!built) return true;
  const lock = statSync(join(PROJECT_ROOT, 'package-lock.json'), { throwIfNoEntry: false })?.mtimeMs ?? 0;
  return Math.max(newestSource(join(PROJECT_ROOT, 'harness')), lock) > built.mtimeMs;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await buildCli();
