// Finds the host's programs for a node's tree, with what `ldd` says of each, once per process.
import { accessSync, closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { PrerequisiteError } from '../util/errors.ts';
import { execArgv } from '../util/process.ts';
import { readInterpreter } from './elf-interpreter.ts';
import { splitLdd, type LocatedProgram } from './node-tree.ts';

const HOST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Where PATH (then the usual system directories) has an executable of this name. Synchronous, as
 * is the ELF read below (a few system calls each): the libraries' listing then starts at once,
 * while the scenarios parse, instead of behind them.
 */
export function findProgram(name: string): string | undefined {
  for (const dir of `${process.env.PATH ?? ''}${delimiter}${HOST_PATH}`.split(delimiter).filter(Boolean)) {
    const path = join(dir, name);
    try {
      // A regular file that is executable, as `which` finds: root may "execute" a directory or a FIFO with an x bit.
      accessSync(path, constants.X_OK);
      if (statSync(path).isFile()) return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The loader a program names (its ELF PT_INTERP); undefined for a static program, a script or no regular file. */
function interpreterOf(path: string): string | undefined {
  // Non-blocking, and no controlling terminal: whatever PATH holds must not stop or change anything here.
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    if (!fstatSync(fd).isFile()) return undefined;
    for (let size = 4096; size <= 1 << 20; ) {
      const head = Buffer.alloc(size);
      const bytesRead = readSync(fd, head, 0, size, 0);
      const reading = readInterpreter(head.subarray(0, bytesRead));
      if ('interpreter' in reading) return reading.interpreter;
      if (bytesRead < size || reading.needBytes <= size) return undefined; // a truncated file: no libraries to name
      size = reading.needBytes;
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * What `ldd` prints for these programs (a `PATH:` line before each part), from one spawn: each
 * dynamic program's own loader run with LD_TRACE_LOADED_OBJECTS=1, as ldd does, without ldd's
 * own checks around it (a bash script: about 40 ms for eight programs here, against 7 ms).
 */
async function listLibraries(paths: readonly string[]): Promise<Map<string, string>> {
  const loaders = paths.map(interpreterOf);
  const pairs = paths.flatMap((path, i) => (loaders[i] ? [loaders[i], path] : []));
  if (pairs.length === 0) return new Map();
  const trace = 'while [ $# -gt 1 ]; do printf "%s:\\n" "$2"; LD_TRACE_LOADED_OBJECTS=1 "$1" "$2"; shift 2; done';
  const r = await execArgv(['sh', '-c', trace, 'vxlab', ...pairs], { timeoutMs: 10_000 });
  const dynamic = paths.filter((_, i) => loaders[i]);
  // Every part headed, even for one program: splitLdd reads a lone program's output whole.
  return dynamic.length === 1 ? new Map([[dynamic[0]!, r.stdout]]) : splitLdd(r.stdout, dynamic);
}

const located = new Map<string, Promise<LocatedProgram>>();

/**
 * The programs of these names with their libraries, each looked up once per process, all the new
 * ones with one spawn (listLibraries). A missing one is a
 * PrerequisiteError saying how to get it.
 */
export function locatePrograms(names: readonly string[], fix: string): Promise<LocatedProgram[]> {
  const fresh = [...new Set(names)].filter((name) => !located.has(name));
  if (fresh.length > 0) {
    const found = (async () => {
      const paths = fresh.map(findProgram);
      const absent = fresh.find((_, i) => paths[i] === undefined);
      if (absent) throw new PrerequisiteError(`${absent} is not installed, and a node's programs come from the host`, fix);
      // A static program has no libraries: it gets no part.
      const parts = await listLibraries(paths as string[]);
      return (paths as string[]).map((path) => ({ path, ldd: parts.get(path) ?? '' }));
    })();
    fresh.forEach((name, i) => {
      const program = found.then((programs) => programs[i]!);
      program.catch(() => located.delete(name));
      located.set(name, program);
    });
  }
  return Promise.all(names.map((name) => located.get(name)!));
}

/** The program of this name with its libraries (locatePrograms for one). */
export async function locateProgram(name: string, fix: string): Promise<LocatedProgram> {
  return (await locatePrograms([name], fix))[0]!;
}
