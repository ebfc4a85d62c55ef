// The CLI's launcher (dist/cli.cjs, the package's bin): runs the bundle (dist/vxlab.cjs) from V8's
// code cache, made by the build, so that a start deserialises compiled code instead of parsing
// 1.6 MB of JavaScript (~40 ms of each start here). Node 20 caches no ES module's code, hence a
// CommonJS bundle run through vm.Script, as Node runs any CommonJS module.
// The cache is named by the bundle's content hash (V8 itself checks only the source's length) and
// by the V8 that made it: an edited or rebuilt bundle, or another Node (CI's Node 24 leg runs
// Node 20's build), finds no cache and is compiled from source, as is one whose cache V8 rejects.
// Only the build writes the cache; a run never writes anything here.
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Script } from 'node:vm';

/** Where the code cache of a bundle with this source, made by this V8, is. */
export function codeCachePath(dir: string, source: string, v8 = process.versions.v8): string {
  return join(dir, `vxlab.${createHash('sha256').update(source).digest('hex').slice(0, 32)}.v8-${v8}.code-cache`);
}

/** Set by the build (`PRIME_ENV=1 node dist/cli.cjs list`): compile from source and write the cache at exit. */
export const PRIME_ENV = 'VXLAB_PRIME_CODE_CACHE';

function readCache(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

export interface CompiledBundle {
  script: Script;
  file: string;
  cachePath: string;
  /** What became of the code cache: V8 took it, refused it (another Node), found none, or is making it. */
  cache: 'used' | 'rejected' | 'none' | 'priming';
}

/** Compiles dir/vxlab.cjs, from its code cache when there is one for this very source. */
export function compileBundle(dir: string, prime = false): CompiledBundle {
  const file = join(dir, 'vxlab.cjs');
  // The bundle keeps main.ts's hashbang, which is no JavaScript inside a function: same length, a comment.
  const source = readFileSync(file, 'utf8').replace(/^#!/, '//');
  const cachePath = codeCachePath(dir, source);
  const cachedData = prime ? undefined : readCache(cachePath);
  // The function Node wraps every CommonJS module in; the bundle's code starts on its first line.
  // No importModuleDynamically: the bundle has no import() (bundle.ts fails the build if one is left).
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
  const cache = prime ? 'priming' : !cachedData ? 'none' : script.cachedDataRejected ? 'rejected' : 'used';
  return { script, file, cachePath, cache };
}

function launch(dir: string): void {
  const { script, file, cachePath, cache } = compileBundle(dir, process.env[PRIME_ENV] === '1');
  if (cache === 'priming') {
    // At exit, so that the cache holds every function the run compiled, not only the top level.
    process.once('exit', () => {
      const tmp = `${cachePath}.${process.pid}.tmp`;
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, cachePath);
    });
  }
  const module = { exports: {} };
  (script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, createRequire(file), module, file, dir);
}

// Only when run as dist/cli.cjs; the build imports codeCachePath and PRIME_ENV from here.
if (typeof require !== 'undefined' && require.main === module) launch(__dirname);
