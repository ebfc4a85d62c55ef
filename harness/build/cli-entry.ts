// The CLI's launcher (dist/cli.cjs, the package's bin): runs the bundle (dist/vxlab.cjs) from V8's
// code cache, made by the build, so that a start deserialises compiled code instead of parsing
// 1.6 MB of JavaScript (~40 ms of each start here). Node 20 caches no ES module's code, hence a
// CommonJS bundle run through vm.Script, as Node runs any CommonJS module.
// V8 trusts a cache it is given: it checks only the source's length (a cache made for other code of
// the same length runs that other code) and, in release builds, no checksum (damaged bytes crash
// it). So the cache is named by a hash of the bundle's content and path (V8 keeps the path for
// stack traces) and by the V8 that made it (CI's Node 24 leg runs Node 20's build), and starts with
// the SHA-256 of the rest, checked before V8 sees it.
// Anything else (no cache, a damaged one, one V8 refuses) means compiling from source.
// Only the build writes the cache; a run never writes anything here.
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join } from 'node:path';
import { Script } from 'node:vm';

/**
 * Where, in `dir`, the code cache is of a bundle with this source, to be run as `origin` (V8 keeps
 * the file name a cache was made under: its stack traces name it), made by this V8.
 */
export function codeCachePath(dir: string, origin: string, source: Buffer, v8 = process.versions.v8): string {
  // The bytes, not the decoded text: hashing a 1.6 MB string encodes it again (~4 ms of each start).
  const digest = createHash('sha256').update(origin).update('\0').update(source).digest('hex');
  return join(dir, `vxlab.${digest.slice(0, 32)}.v8-${v8}.code-cache`);
}

/** The bundle's bytes as the launcher compiles them: main.ts's hashbang, no JavaScript inside a function, becomes a comment of the same length. */
function bundleBytes(file: string): Buffer {
  const bytes = readFileSync(file);
  if (bytes[0] === 0x23 && bytes[1] === 0x21) bytes.write('//', 0, 'latin1');
  return bytes;
}

/** Where the code cache of dir/vxlab.cjs is, for the bundle run from `runDir` (dir itself, or where the build will move it). */
export function bundleCachePath(dir: string, runDir = dir): string {
  return codeCachePath(dir, join(runDir, 'vxlab.cjs'), bundleBytes(join(dir, 'vxlab.cjs')));
}

/**
 * Set by the build to the directory the bundle will be run from (`PRIME_ENV=DIST node
 * STAGING/cli.cjs list`): compile from source under that name and write the cache at exit.
 */
export const PRIME_ENV = 'VXLAB_PRIME_CODE_CACHE';

/** The cache here is ~1.1 MB; a file far larger is not one. */
const MAX_CACHE_BYTES = 64 * 1024 * 1024;
const DIGEST_BYTES = 32;

function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

/** The cache file's bytes: a regular file, not through a link, of bounded size (a FIFO would block the open, /dev/zero never ends). */
function readCacheFile(path: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile() || info.size > MAX_CACHE_BYTES) return undefined;
    const data = Buffer.alloc(info.size);
    let read = 0;
    while (read < data.length) {
      const n = readSync(fd, data, read, data.length - read, null);
      if (n === 0) break;
      read += n;
    }
    return data.subarray(0, read);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** The cache as the build wrote it: its digest, then what V8 made. */
export function sealCache(data: Buffer): Buffer {
  return Buffer.concat([sha256(data), data]);
}

/** What V8 made, if the file holds it whole; undefined for a damaged file. */
function unsealCache(file: Buffer): Buffer | undefined {
  const data = file.subarray(DIGEST_BYTES);
  return file.length > DIGEST_BYTES && sha256(data).equals(file.subarray(0, DIGEST_BYTES)) ? data : undefined;
}

export interface CompiledBundle {
  script: Script;
  cachePath: string;
  /** What became of the code cache: V8 took it, it was refused (damaged, or V8 would not), there was none, or it is being made. */
  cache: 'used' | 'refused' | 'none' | 'priming';
}

/**
 * Compiles dir/vxlab.cjs, from its code cache when there is a sound one for this very source run
 * from here; or, priming, from source under the name it will be run as from `primeFor`.
 */
export function compileBundle(dir: string, primeFor?: string): CompiledBundle {
  const file = join(dir, 'vxlab.cjs');
  const bytes = bundleBytes(file);
  const origin = join(primeFor ?? dir, 'vxlab.cjs');
  const cachePath = codeCachePath(dir, origin, bytes);
  const source = bytes.toString('utf8');
  const prime = primeFor !== undefined;
  const sealed = prime ? undefined : readCacheFile(cachePath);
  const cachedData = sealed && unsealCache(sealed);
  // The function Node wraps every CommonJS module in; the bundle's code starts on its first line.
  // No importModuleDynamically: the bundle has no import() (bundle.ts fails the build if one is left).
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: origin, cachedData });
  const cache = prime ? 'priming' : !sealed ? 'none' : !cachedData || script.cachedDataRejected ? 'refused' : 'used';
  return { script, cachePath, cache };
}

/** At exit, so that the cache holds every function the run compiled, not only the top level; a failure fails the run (the build checks). */
function writeCacheAtExit(script: Script, cachePath: string): void {
  process.once('exit', () => {
    const tmp = `${cachePath}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, sealCache(script.createCachedData()), { flag: 'wx', mode: 0o644 });
      renameSync(tmp, cachePath);
    } catch (error) {
      rmSync(tmp, { force: true });
      process.stderr.write(`vxlab: could not write the code cache ${cachePath}: ${(error as Error).message}\n`);
      process.exitCode = 1;
    }
  });
}

function launch(dir: string): void {
  const file = join(dir, 'vxlab.cjs');
  // Node maps stack traces through source maps only for modules it loads itself.
  if ((process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled) {
    createRequire(__filename)(file);
    return;
  }
  const primeFor = process.env[PRIME_ENV];
  // Not for the run's own children (the learner's supervisor is this CLI again).
  delete process.env[PRIME_ENV];
  const { script, cachePath, cache } = compileBundle(dir, primeFor && isAbsolute(primeFor) ? primeFor : undefined);
  if (cache === 'priming') writeCacheAtExit(script, cachePath);
  const module = { exports: {} };
  (script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, createRequire(file), module, file, dir);
}

// Only when run as dist/cli.cjs; the build imports bundleCachePath and PRIME_ENV from here.
if (typeof require !== 'undefined' && require.main === module) launch(__dirname);
