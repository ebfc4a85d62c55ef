import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BUILT_CLI, DIST_DIR } from './bundle.ts';
import { PRIME_ENV, bundleCachePath, compileBundle, sealCache } from './cli-entry.ts';

// dist/ is built by the tests' global setup, as `npm ci` builds it.
const caches = () => readdirSync(DIST_DIR).filter((name) => name.endsWith('.code-cache'));

let scratch: string | undefined;
afterEach(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
});

/** A project of its own (package.json, dist/ with the built launcher and bundle, whose text `edit` may change) and the cache of its bundle's path. */
function copyOfDist(edit: (source: string) => string = (s) => s): { dist: string; cache: string } {
  scratch = mkdtempSync(join(tmpdir(), 'vxlab-cli-entry-'));
  const dist = join(scratch, 'dist');
  mkdirSync(dist);
  writeFileSync(join(scratch, 'package.json'), '{}\n');
  writeFileSync(join(dist, 'vxlab.cjs'), edit(readFileSync(join(DIST_DIR, 'vxlab.cjs'), 'utf8')));
  copyFileSync(BUILT_CLI, join(dist, 'cli.cjs'));
  return { dist, cache: bundleCachePath(dist) };
}

/** The built cache, copied to `cache` with `damage` done to it. */
function copyCache(cache: string, damage: (bytes: Buffer) => Buffer = (b) => b): void {
  writeFileSync(cache, damage(readFileSync(join(DIST_DIR, caches()[0]!))));
}

describe('the CLI launcher (dist/cli.cjs)', () => {
  it("finds the one code cache the build made for its bundle, which V8 takes; another Node's build is compiled from source", () => {
    expect(caches()).toHaveLength(1);
    const builtBy = /\.v8-(.+)\.code-cache$/.exec(caches()[0]!)?.[1];
    const compiled = compileBundle(DIST_DIR);
    // CI's Node 24 leg runs the unit tests against the build `npm ci` made with Node 20.
    if (builtBy === process.versions.v8) {
      expect(compiled.cachePath).toBe(join(DIST_DIR, caches()[0]!));
      expect(compiled.cache).toBe('used');
    } else {
      expect(builtBy).toBeDefined();
      expect(compiled.cache).toBe('none');
    }
  });

  it('is the executable of the build, which left nothing else behind (no staging directory, no earlier build)', () => {
    expect(statSync(BUILT_CLI).mode & 0o111).toBe(0o111);
    expect(statSync(join(DIST_DIR, 'vxlab.cjs')).mode & 0o111).toBe(0);
    // vxlab-enter: this machine has a C compiler (CI installs one).
    expect(statSync(join(DIST_DIR, 'vxlab-enter')).mode & 0o111).toBe(0o111);
    expect(readdirSync(DIST_DIR).sort()).toEqual(['cli.cjs', caches()[0]!, 'vxlab-enter', 'vxlab.cjs', 'vxlab.cjs.map'].sort());
  });

  it('compiles from source a bundle edited in place to the same length', () => {
    const { dist } = copyOfDist((source) => source.replace('vxlab', 'VXLAB'));
    expect(readFileSync(join(dist, 'vxlab.cjs'), 'utf8')).toHaveLength(readFileSync(join(DIST_DIR, 'vxlab.cjs'), 'utf8').length);
    expect(compileBundle(dist).cache).toBe('none');
  });

  it('refuses a cache damaged past its header, which V8 alone would run and crash on', () => {
    const { dist, cache } = copyOfDist();
    copyCache(cache, (bytes) => {
      for (let i = 600_000; i < 600_064; i++) bytes[i] = bytes[i]! ^ 0xff;
      return bytes;
    });
    expect(compileBundle(dist).cache).toBe('refused');
  });

  it('refuses a sound file whose contents V8 will not take (another V8, random bytes)', () => {
    const { dist, cache } = copyOfDist();
    writeFileSync(cache, sealCache(Buffer.alloc(4096, 7)));
    expect(compileBundle(dist).cache).toBe('refused');
  });

  it('reads no cache that is a FIFO (which would block), a link, or a directory', () => {
    const { dist, cache } = copyOfDist();
    execFileSync('mkfifo', [cache]);
    expect(compileBundle(dist).cache).toBe('none');
    rmSync(cache);
    const real = join(dist, 'elsewhere');
    copyCache(real);
    symlinkSync(real, cache);
    expect(compileBundle(dist).cache).toBe('none');
    rmSync(cache);
    mkdirSync(cache);
    expect(compileBundle(dist).cache).toBe('none');
  });

  it('reads no cache while priming one', () => {
    expect(compileBundle(DIST_DIR, DIST_DIR).cache).toBe('priming');
  });

  it("names the bundle where it runs in stack traces, though the build primed its cache elsewhere (V8 keeps a cache's file name)", () => {
    const preload = join((scratch = mkdtempSync(join(tmpdir(), 'vxlab-cli-entry-'))), 'throw.cjs');
    // The CLI's first file-system change of a run is making --pcap-dir: made to fail, it is an internal error with a stack.
    writeFileSync(preload, "require('node:fs').promises.mkdir = async () => { throw new Error('no mkdir here'); };\n");
    const run = spawnSync(process.execPath, ['--require', preload, BUILT_CLI, 'multicast', '--pcap-dir', join(scratch, 'pcaps')], { encoding: 'utf8' });
    expect(run.stderr).toContain('no mkdir here');
    expect(run.stderr).toContain(`${join(DIST_DIR, 'vxlab.cjs')}:`);
    expect(run.stderr).not.toContain('.build-');
  });

  it('fails a priming run that cannot write the cache, and leaves no temporary file', () => {
    const { dist, cache } = copyOfDist();
    mkdirSync(cache);
    const run = spawnSync(process.execPath, [join(dist, 'cli.cjs'), '--help'], { env: { ...process.env, [PRIME_ENV]: dist }, encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`could not write the code cache ${cache}`);
    expect(readdirSync(dist).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    rmSync(cache, { recursive: true });
    const primed = spawnSync(process.execPath, [join(dist, 'cli.cjs'), '--help'], { env: { ...process.env, [PRIME_ENV]: dist }, encoding: 'utf8' });
    expect(primed.status).toBe(0);
    expect(existsSync(cache)).toBe(true);
    expect(compileBundle(dist).cache).toBe('used');
  });
});
