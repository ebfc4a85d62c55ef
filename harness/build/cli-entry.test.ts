import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DIST_DIR } from './bundle.ts';
import { codeCachePath, compileBundle } from './cli-entry.ts';

// dist/ is built by the tests' global setup, as `npm ci` builds it.
const caches = () => readdirSync(DIST_DIR).filter((name) => name.endsWith('.code-cache'));

let scratch: string | undefined;
afterEach(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
});

/** A copy of the built bundle and its cache, whose bundle `edit` may change. */
function copyOfDist(edit: (source: string) => string = (s) => s): string {
  scratch = mkdtempSync(join(tmpdir(), 'vxlab-cli-entry-'));
  writeFileSync(join(scratch, 'vxlab.cjs'), edit(readFileSync(join(DIST_DIR, 'vxlab.cjs'), 'utf8')));
  for (const name of caches()) copyFileSync(join(DIST_DIR, name), join(scratch, name));
  return scratch;
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

  it('compiles from source a bundle edited in place to the same length', () => {
    const dir = copyOfDist((source) => source.replace('vxlab', 'VXLAB'));
    const compiled = compileBundle(dir);
    expect(readFileSync(compiled.file, 'utf8')).toHaveLength(readFileSync(join(DIST_DIR, 'vxlab.cjs'), 'utf8').length);
    expect(compiled.cache).toBe('none');
  });

  it('compiles from source when V8 refuses the cache (another Node, a damaged file)', () => {
    const dir = copyOfDist();
    const source = readFileSync(join(dir, 'vxlab.cjs'), 'utf8').replace(/^#!/, '//');
    writeFileSync(codeCachePath(dir, source), Buffer.alloc(4096, 7));
    expect(compileBundle(dir).cache).toBe('rejected');
  });

  it('reads no cache while priming one', () => {
    expect(compileBundle(DIST_DIR, true).cache).toBe('priming');
  });
});
