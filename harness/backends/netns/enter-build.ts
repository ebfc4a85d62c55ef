// Builds vxlab-enter (enter.c) with the machine's C compiler, as part of `npm run build`. It has
// no C library (no glibc start-up at each command: the point of it), so it needs only a compiler
// and the kernel's headers. Where it cannot be built, vxlab enters nodes with nsenter and setpriv.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../scenario/project-root.ts';

/** Its name in dist/. */
export const ENTER_FILE = 'vxlab-enter';
export const ENTER_SOURCE = join(PROJECT_ROOT, 'harness', 'backends', 'netns', 'enter.c');

/** The first 16 hex digits of enter.c's SHA-256, which the build compiles in (undefined: no source). */
function sourceHash(): string | undefined {
  let source: Buffer;
  try {
    source = readFileSync(ENTER_SOURCE);
  } catch {
    return undefined;
  }
  return createHash('sha256').update(source).digest('hex').slice(0, 16);
}

/** What `vxlab-enter --probe` must answer: a build of this very enter.c (undefined: no source to build from). */
export function enterProbeAnswer(): string | undefined {
  const hash = sourceHash();
  return hash === undefined ? undefined : `vxlab-enter ${hash}`;
}

/** The compiler's argv: static, no C library, no stack protector (it needs libc's canary), warnings as errors. */
export function enterCompileArgv(output: string, compiler = 'cc'): string[] {
  const hash = sourceHash() ?? 'none';
  return [
    compiler, '-O2', '-static', '-nostdlib', '-ffreestanding', '-fno-stack-protector', '-fno-asynchronous-unwind-tables',
    '-fno-pie', '-no-pie', '-Wall', '-Wextra', '-Werror', `-DSOURCE_HASH="${hash}"`, '-o', output, ENTER_SOURCE,
  ];
}

/** Compiles vxlab-enter to `output`; undefined when built, else why not (the compiler's words). */
export function buildEnter(output: string, compiler = 'cc'): string | undefined {
  const [program, ...args] = enterCompileArgv(output, compiler);
  const run = spawnSync(program!, args, { encoding: 'utf8', timeout: 60_000 });
  if (run.error) return `${program} could not run (${run.error.message})`;
  if (run.status !== 0) return `${program} failed (exit ${run.status ?? run.signal}): ${run.stderr.trim().split('\n').slice(0, 5).join(' | ')}`;
  // A "compiler" that exits 0 and writes nothing (the 37th attack's stand-in) built nothing.
  if (!statSync(output, { throwIfNoEntry: false })?.isFile()) return `${program} exited 0 but wrote no ${output}`;
  return undefined;
}
